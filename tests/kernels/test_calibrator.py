"""The calibrator on a simulated mat: it learns the empty mat, and only the empty mat."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from matd.calibrate import HEALTH_WINDOW_S, WARMUP_FRAMES, Calibrator, geometry_of
from matd.config import CalibrationConfig
from matd.kernels import Kernels, get
from matd.kernels.synthetic import Patch, Sensor, render_pressure
from matd.sim.source import Geometry
from matd.wire.messages import Frame, Hello

GEOMETRY = Geometry()  # the reference mat, 32 x 80 at 25 mm
AREA_M2 = 0.025 * 0.025
EMPTY = np.zeros((GEOMETRY.rows, GEOMETRY.cols))


def palm_field(
    x_mm: float = 500.0, y_mm: float = 400.0, load_n: float = 250.0
) -> npt.NDArray[np.float64]:
    return render_pressure(GEOMETRY, [Patch.carrying(load_n, x_mm, y_mm, 60.0, 45.0)])


def lying_body() -> npt.NDArray[np.float64]:
    """A person lying on their back: head, shoulders, hips, heels (about 700 N)."""
    return render_pressure(
        GEOMETRY,
        [
            Patch.carrying(60.0, 150.0, 400.0, 70.0, 60.0),
            Patch.carrying(250.0, 500.0, 400.0, 90.0, 180.0),
            Patch.carrying(300.0, 1000.0, 400.0, 110.0, 160.0),
            Patch.carrying(45.0, 1800.0, 330.0, 40.0, 30.0),
            Patch.carrying(45.0, 1800.0, 470.0, 40.0, 30.0),
        ],
    )


class Mat:
    """A simulated mat scanned at a steady device rate into a calibrator."""

    def __init__(
        self,
        kernels: Kernels,
        *,
        rate_hz: float = 10.0,
        seed: int = 0,
        sensor: Sensor | None = None,
        cfg: CalibrationConfig | None = None,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.sensor = sensor or Sensor(
            GEOMETRY, noise_counts=2.0, offset=self.rng.uniform(10.0, 60.0, EMPTY.shape)
        )
        self.cal = Calibrator(GEOMETRY, cfg or CalibrationConfig(), kernels)
        self.step = 1.0 / rate_hz
        self.t = 0.0
        self.drift = 0.0
        self.loads: list[float] = []
        self.tracked: list[bool] = []
        self.pressure: npt.NDArray[np.float32] = np.zeros(EMPTY.shape, np.float32)

    def scan(
        self,
        field: npt.NDArray[np.float64] = EMPTY,
        seconds: float = 1.0,
        *,
        drift_per_s: float = 0.0,
        step: float | None = None,
    ) -> None:
        step = self.step if step is None else step
        self.loads, self.tracked = [], []
        for _ in range(max(1, round(seconds / step))):
            self.t += step
            self.drift += drift_per_s * step
            raw = self.sensor.read(field, self.rng, drift_counts=self.drift)
            self.pressure = self.cal.process(raw, self.t)
            self.loads.append(float(self.pressure.sum(dtype=np.float64)) * AREA_M2 * 1000)
            self.tracked.append(self.cal.tracking)

    @property
    def load(self) -> float:
        return self.loads[-1]


@pytest.fixture
def mat(kernels: Kernels) -> Mat:
    m = Mat(kernels)
    m.scan(seconds=WARMUP_FRAMES * m.step + 1.0)
    return m


def test_empty_mat_reads_nothing_after_the_first_frames(mat: Mat) -> None:
    assert not mat.cal.warming_up
    mat.scan(seconds=30)
    assert all(mat.tracked)
    assert max(mat.loads) < 0.5  # newtons: noise stays under the floor


def test_offset_drift_is_followed_while_the_mat_is_empty(mat: Mat) -> None:
    before = float(mat.cal.baseline.mean())
    mat.scan(seconds=240, drift_per_s=40 / 240)  # +40 counts over four minutes
    assert all(mat.tracked)
    assert float(mat.cal.baseline.mean()) - before == pytest.approx(40, abs=5)
    assert mat.load < 1.0
    mat.scan(palm_field(load_n=250.0), seconds=0.5)
    assert mat.load == pytest.approx(250.0, rel=0.04)


def test_tracking_runs_on_device_time_not_frame_count(mat: Mat) -> None:
    before = float(mat.cal.baseline.mean())
    # The same 2400 frames as above, but only 2.4 s of the mat's clock between them.
    mat.scan(seconds=2.4, drift_per_s=40 / 2.4, step=0.001)
    assert float(mat.cal.baseline.mean()) - before < 5.0


def test_a_person_lying_still_is_not_absorbed(mat: Mat) -> None:
    body = lying_body()
    mat.scan(body, seconds=0.5)
    first = mat.load
    assert first == pytest.approx(700.0, rel=0.05)
    mat.scan(body, seconds=300)  # five minutes without moving
    assert not any(mat.tracked)
    assert min(mat.loads) == pytest.approx(first, rel=0.02)
    mat.scan(seconds=1.0)
    assert mat.tracked[-1]
    assert mat.load < 1.0


def test_a_light_object_left_on_the_mat_is_learnt_and_unlearnt(mat: Mat) -> None:
    phone = render_pressure(GEOMETRY, [Patch.carrying(1.5, 900.0, 300.0, 70.0, 35.0)])
    mat.scan(phone, seconds=120)
    assert all(mat.tracked)  # 1.5 N is not a person: the mat counts as empty
    assert mat.load < 0.5  # and after a while the phone is part of the empty mat
    mat.scan(seconds=0.2)
    assert mat.load < 0.5  # lifting it leaves no hole: those cells re-zero at once


def test_a_person_on_the_mat_at_power_up_is_forgotten_when_they_leave(kernels: Kernels) -> None:
    m = Mat(kernels)
    body = lying_body()
    m.scan(body, seconds=WARMUP_FRAMES * m.step + 1.0)  # the provisional baseline holds them
    assert m.load < 1.0
    m.scan(seconds=0.3)  # they get up
    assert m.tracked[-1] and m.load < 1.0
    m.scan(body, seconds=0.3)  # and lie down again: now they weigh what they weigh
    assert m.load == pytest.approx(700.0, rel=0.05)


def test_tare_rezeroes_after_an_offset_jump(mat: Mat) -> None:
    mat.drift = 400.0  # the whole mat reads 400 counts higher (connector reseated)
    mat.scan(seconds=60)
    assert not any(mat.tracked)  # every cell is clearly above its floor: looks loaded
    assert mat.load > 1000.0
    mat.cal.tare()
    mat.scan(seconds=WARMUP_FRAMES * mat.step + 0.5)
    assert mat.tracked[-1] and mat.load < 1.0
    mat.scan(palm_field(load_n=250.0), seconds=0.5)
    assert mat.load == pytest.approx(250.0, rel=0.04)


def test_a_stuck_cell_at_power_up_is_masked(kernels: Kernels) -> None:
    m = Mat(kernels)
    m.sensor.stuck = [(10, 30)]
    m.scan(seconds=WARMUP_FRAMES * m.step + 2.0)
    assert m.cal.stuck_cells == 1 and m.cal.mask[10, 30]
    assert all(m.tracked) and m.load < 0.5


def test_a_cell_that_sticks_later_is_masked_then_freed(mat: Mat) -> None:
    mat.sensor.stuck = [(5, 60)]
    # Judged over whole windows of empty mat: the first full window after it sticks.
    mat.scan(seconds=2 * HEALTH_WINDOW_S + 1.0)
    assert all(mat.tracked)  # one lone cell does not make the mat occupied
    assert mat.cal.stuck_cells == 1 and mat.pressure[5, 60] == 0.0
    mat.sensor.stuck = []
    mat.scan(seconds=2 * HEALTH_WINDOW_S + 1.0)
    assert mat.cal.stuck_cells == 0 and not mat.cal.mask.any()
    mat.scan(palm_field(x_mm=60 * 25 + 12.5, y_mm=5 * 25 + 12.5), seconds=0.3)
    assert mat.pressure[5, 60] > 10.0  # it reads the palm again


def count_contacts(kernels: Kernels, pressure: npt.NDArray[np.float32]) -> int:
    labels = np.empty(pressure.shape, np.int32)
    return int(kernels.contacts(pressure, 1.0, 2, 25.0, 25.0, labels).shape[0])


def test_a_dead_row_does_not_split_a_palm(kernels: Kernels) -> None:
    m = Mat(kernels)
    m.sensor.dead = [(16, c) for c in range(GEOMETRY.cols)]  # a broken row trace
    m.scan(seconds=WARMUP_FRAMES * m.step + 0.5)
    palm = palm_field(x_mm=800.0, y_mm=16 * 25 + 12.5)
    m.scan(palm, seconds=0.3)
    assert count_contacts(kernels, m.pressure) == 2  # not yet known dead: a split palm
    split_load = m.load

    m.scan(seconds=HEALTH_WINDOW_S + 1.0)
    assert m.cal.dead_cells == GEOMETRY.cols
    m.scan(palm, seconds=0.3)
    assert count_contacts(kernels, m.pressure) == 1
    # The fill takes the mean of the rows either side, a little under the palm's middle.
    assert split_load < m.load < 250.0 * 1.05
    assert m.load == pytest.approx(250.0, rel=0.2)
    assert m.pressure[16, 0] == 0.0  # away from the palm the dead row reads nothing

    m.sensor.dead = []  # the trace is repaired
    m.scan(seconds=0.2)
    assert m.cal.dead_cells == 0


def test_a_quiet_mat_does_not_look_dead(kernels: Kernels) -> None:
    # No noise and no offsets: every cell reads 0, and none of them is therefore dead.
    m = Mat(kernels, sensor=Sensor(GEOMETRY, noise_counts=0.0))
    m.scan(seconds=WARMUP_FRAMES * m.step + 3 * HEALTH_WINDOW_S)
    assert m.cal.dead_cells == 0 and all(m.tracked)


def test_saved_baseline_measures_from_the_first_frame(
    mat: Mat, kernels: Kernels, tmp_path: Path
) -> None:
    mat.sensor.stuck = [(3, 3)]
    mat.scan(seconds=2 * HEALTH_WINDOW_S + 1.0)
    path = tmp_path / "state" / "baseline.npz"
    mat.cal.save(path)

    fresh = Calibrator(GEOMETRY, CalibrationConfig(), kernels)
    fresh.load(path)
    assert not fresh.warming_up and fresh.stuck_cells == 1
    np.testing.assert_array_equal(fresh.baseline, mat.cal.baseline)
    # Someone already on the mat at start-up is measured, not taken for the empty mat.
    raw = mat.sensor.read(palm_field(load_n=250.0), mat.rng, drift_counts=mat.drift)
    load = float(fresh.process(raw, 0.0).sum(dtype=np.float64)) * AREA_M2 * 1000
    assert load == pytest.approx(250.0, rel=0.04)


def test_a_baseline_of_another_mat_is_refused(kernels: Kernels, tmp_path: Path) -> None:
    path = tmp_path / "baseline.npz"
    Calibrator(Geometry(16, 40), kernels=kernels).save(path)
    with pytest.raises(ValueError, match="16x40"):
        Calibrator(GEOMETRY, kernels=kernels).load(path)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a baseline")
    with pytest.raises(ValueError, match="not a saved baseline"):
        Calibrator(GEOMETRY, kernels=kernels).load(junk)


def test_a_frame_of_another_size_is_refused(kernels: Kernels) -> None:
    cal = Calibrator(GEOMETRY, kernels=kernels)
    with pytest.raises(ValueError, match="32x80"):
        cal.process(np.zeros((16, 40), np.uint16), 0.0)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            lambda: Hello(1, 2, 3, 24, 60, 20000, 30000, 10, 50, 0, 7, "m"),
            Geometry(24, 60, 20000, 30000, 10),
        ),
        (lambda: Frame(0, 0, np.zeros((12, 34), np.uint16)), Geometry(12, 34)),
        (lambda: Geometry(3, 4), Geometry(3, 4)),
    ],
)
def test_geometry_comes_from_hello_or_frame(
    source: Callable[[], Hello | Frame | Geometry], expected: Geometry
) -> None:
    assert geometry_of(source()) == expected


def test_compiled_is_the_default() -> None:
    assert Calibrator(GEOMETRY).kernels is get("compiled")
