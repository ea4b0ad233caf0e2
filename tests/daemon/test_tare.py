"""The empty-mat baseline kept across restarts: MatPipeline with a `tare_path`, fed the
frames of the simulator's sensor model with nothing on the mat (per-cell offsets, drift,
noise), as the daemon feeds it from the link."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from matd.calibrate import WARMUP_FRAMES, Calibrator
from matd.config import Config, load_config
from matd.controls import Control
from matd.geometry import Geometry
from matd.pipeline import MatPipeline
from matd.sim.sensor import MatSensor, SensorParams
from matd.wire import Frame

RATE_HZ = 50
REFERENCE_MAT = Geometry()


class EmptyMat:
    """A mat with nobody on it, scanned at 50 Hz; each seed is another mat's cells."""

    def __init__(self, seed: int, geometry: Geometry = REFERENCE_MAT) -> None:
        params = SensorParams.draw(np.random.default_rng(seed), geometry)
        self.sensor = MatSensor(geometry, params, noise_seed=seed)
        self.empty = np.zeros((geometry.rows, geometry.cols))
        self.seq = 0

    def frames(self, n: int) -> list[Frame]:
        out = []
        for _ in range(n):
            t = self.seq / RATE_HZ
            cells = self.sensor.counts(self.empty, t)
            out.append(Frame(seq=self.seq, device_time_us=int(t * 1e6), cells=cells))
            self.seq += 1
        return out


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return load_config(environ={}, overrides={"state_dir": str(tmp_path)})


def feed(pipeline: MatPipeline, frames: list[Frame]) -> None:
    for frame in frames:
        pipeline.on_frame(frame)


def saved_baseline(path: Path) -> np.ndarray:
    with np.load(path) as saved:
        return saved["baseline"]


def test_a_settled_tare_is_saved_and_the_next_run_starts_from_it(cfg, tmp_path) -> None:
    tare = tmp_path / "tare.npz"
    mat = EmptyMat(seed=3)
    first = MatPipeline(cfg, tare_path=tare)
    feed(first, mat.frames(40))
    assert not tare.exists(), "nothing is saved without a tare or a stop"

    first.apply(Control("tare"))
    feed(first, mat.frames(WARMUP_FRAMES - 1))
    assert not tare.exists(), "a tare still warming up is not saved"
    feed(first, mat.frames(1))
    assert tare.exists()
    assert np.array_equal(saved_baseline(tare), first.analyzer.calibrator.baseline)
    assert not first.tare_from_file

    second = MatPipeline(cfg, tare_path=tare)
    feed(second, mat.frames(1))
    assert second.tare_from_file
    calibrator = second.analyzer.calibrator
    assert not calibrator.warming_up, "the saved baseline replaces the warm-up"
    # The first frame was read against the saved baseline: the empty mat reads as empty.
    assert second.features is not None and second.features.contacts == []
    assert np.abs(calibrator.baseline - saved_baseline(tare)).max() < 2.0


def test_save_at_stop_writes_the_tracked_baseline_but_never_a_half_learnt_one(
    cfg, tmp_path
) -> None:
    tare = tmp_path / "state" / "tare.npz"
    mat = EmptyMat(seed=4)
    pipeline = MatPipeline(cfg, tare_path=tare)
    assert not pipeline.save_tare(), "no frame yet: nothing to save"
    feed(pipeline, mat.frames(WARMUP_FRAMES - 1))
    assert not pipeline.save_tare()
    assert not tare.exists()
    feed(pipeline, mat.frames(1))
    assert pipeline.save_tare()
    assert np.array_equal(saved_baseline(tare), pipeline.analyzer.calibrator.baseline)


def test_a_tare_asked_for_before_the_first_frame_does_not_take_up_the_old_file(
    cfg, tmp_path
) -> None:
    tare = tmp_path / "tare.npz"
    old_mat, new_mat = EmptyMat(seed=5), EmptyMat(seed=6)
    old = MatPipeline(cfg, tare_path=tare)
    feed(old, old_mat.frames(WARMUP_FRAMES))
    assert old.save_tare()
    old_baseline = saved_baseline(tare)

    fresh = MatPipeline(cfg, tare_path=tare)
    fresh.apply(Control("tare"))
    feed(fresh, new_mat.frames(1))
    assert not fresh.tare_from_file
    assert fresh.analyzer.calibrator.warming_up
    feed(fresh, new_mat.frames(WARMUP_FRAMES - 1))
    new_baseline = saved_baseline(tare)
    assert np.array_equal(new_baseline, fresh.analyzer.calibrator.baseline)
    assert not np.allclose(new_baseline, old_baseline), "the new mat's own cells were learnt"


def _truncated(path: Path) -> None:
    cal = Calibrator(Geometry())
    cal.save(path)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a baseline\n" * 20)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _another_grid(path: Path) -> None:
    cal = Calibrator(Geometry(rows=16, cols=40))
    cal.process(np.full((16, 40), 30, dtype=np.uint16), 0.0)
    cal.save(path)


@pytest.mark.parametrize("spoil", [_truncated, _garbage, _empty, _another_grid])
def test_a_tare_file_that_does_not_fit_is_reported_and_the_mat_warms_up(
    spoil, cfg, tmp_path, caplog
) -> None:
    tare = tmp_path / "tare.npz"
    spoil(tare)
    mat = EmptyMat(seed=7)
    pipeline = MatPipeline(cfg, tare_path=tare)
    with caplog.at_level(logging.WARNING, logger="matd.pipeline"):
        feed(pipeline, mat.frames(WARMUP_FRAMES))
    assert not pipeline.tare_from_file
    assert any("tare baseline not used" in r.getMessage() for r in caplog.records)
    assert pipeline.frames == WARMUP_FRAMES
    # The mat's own baseline replaces the bad file at the next save.
    assert pipeline.save_tare()
    again = MatPipeline(cfg, tare_path=tare)
    feed(again, mat.frames(1))
    assert again.tare_from_file
