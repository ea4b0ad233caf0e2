"""The whole per-frame chain: raw frames of a push-up in, contacts and CoP out."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from matd.analyzer import FrameAnalyzer
from matd.calibrate import WARMUP_FRAMES
from matd.config import CalibrationConfig
from matd.features import Features
from matd.kernels import Impl
from matd.kernels.synthetic import (
    Patch,
    Sensor,
    centre_of_pressure,
    pushup_patches,
    render_pressure,
)
from matd.sim.source import Geometry
from matd.wire.messages import Frame, Hello


class Session:
    """One analyzer fed by a simulated sensor at 50 Hz of device time."""

    def __init__(self, impl: Impl, geometry: Geometry, seed: int = 0) -> None:
        self.geometry = geometry
        self.rng = np.random.default_rng(seed)
        shape = (geometry.rows, geometry.cols)
        self.sensor = Sensor(geometry, noise_counts=2.0, offset=self.rng.uniform(10, 60, shape))
        self.analyzer = FrameAnalyzer(geometry, CalibrationConfig(), impl)
        self.seq = 0

    def frame(self, field: npt.NDArray[np.float64] | None = None) -> Features:
        if field is None:
            field = np.zeros((self.geometry.rows, self.geometry.cols))
        raw = self.sensor.read(field, self.rng)
        self.seq += 1
        return self.analyzer.process(Frame(self.seq, self.seq * 20000, raw), self.seq / 50.0)

    def settle(self) -> Features:
        for _ in range(WARMUP_FRAMES + 10):
            features = self.frame()
        return features


def pitch_mm(g: Geometry) -> float:
    return max(g.row_pitch_um, g.col_pitch_um) / 1000.0


def rotate(patches: list[Patch], degrees: float, about: tuple[float, float]) -> list[Patch]:
    a = math.radians(degrees)
    cx, cy = about
    out = []
    for p in patches:
        dx, dy = p.x_mm - cx, p.y_mm - cy
        x = cx + dx * math.cos(a) - dy * math.sin(a)
        y = cy + dx * math.sin(a) + dy * math.cos(a)
        out.append(Patch(x, y, p.a_mm, p.b_mm, p.mean_kpa, p.angle_rad + a))
    return out


def check_pushup(features: Features, patches: list[Patch], g: Geometry) -> None:
    cell = pitch_mm(g)
    truth = sum(p.load_n for p in patches)
    assert features.load_n == pytest.approx(truth, rel=0.03)
    assert features.cop is not None
    cop = centre_of_pressure(patches)
    assert math.dist(features.cop, cop) < cell / 2
    assert len(features.contacts) == len(patches)
    for patch in patches:
        contact = min(features.contacts, key=lambda c: math.dist(c.cop, (patch.x_mm, patch.y_mm)))
        assert math.dist(contact.cop, (patch.x_mm, patch.y_mm)) < cell / 2
        assert math.dist(contact.centroid, (patch.x_mm, patch.y_mm)) < cell
        assert contact.load_n == pytest.approx(patch.load_n, rel=0.06)
        xmin, xmax, ymin, ymax = contact.bbox
        assert xmin <= patch.x_mm <= xmax and ymin <= patch.y_mm <= ymax


@pytest.mark.parametrize(
    ("degrees", "facing"),
    [(0.0, "right"), (0.0, "left"), (20.0, "right"), (-15.0, "left")],
)
def test_two_palms_and_toes(impl: Impl, degrees: float, facing: str) -> None:
    g = Geometry()
    session = Session(impl, g)
    assert session.settle().contacts == []
    # Hands 1 m from the toes, so the body still fits across the 0.8 m mat at 20°.
    patches = pushup_patches(
        g,
        weight_n=780.0,
        hands_share=0.7,
        hands_x_mm=500.0,
        feet_x_mm=1500.0,
        y_mm=420.0,
        hand_gap_mm=340.0,
    )
    if facing == "left":
        patches = [Patch(2000.0 - p.x_mm, p.y_mm, p.a_mm, p.b_mm, p.mean_kpa) for p in patches]
    patches = rotate(patches, degrees, (1000.0, 420.0))
    features = session.frame(render_pressure(g, patches))
    check_pushup(features, patches, g)
    palms = sorted(features.contacts[:2], key=lambda c: c.cop[1])
    assert all(80.0 <= c.area_cm2 <= 160.0 for c in palms)
    assert all(c.area_cm2 < 60.0 for c in features.contacts[2:])  # toes
    assert not any(c.at_edge for c in features.contacts)


@pytest.mark.parametrize("side", ["left", "right", "near", "far"])
def test_a_contact_over_the_mats_edge_is_marked(impl: Impl, side: str) -> None:
    """A palm half beyond any of the four edges is marked as reaching it; the others
    are not."""
    g = Geometry()
    session = Session(impl, g)
    session.settle()
    patches = pushup_patches(g, hands_x_mm=500.0, feet_x_mm=1500.0, y_mm=400.0, hand_gap_mm=340.0)
    length, width = g.cols * g.col_pitch_um / 1000.0, g.rows * g.row_pitch_um / 1000.0
    palm = min(patches[:2], key=lambda p: p.y_mm if side == "near" else -p.y_mm)
    x, y = {
        "left": (0.0, palm.y_mm),
        "right": (length, palm.y_mm),
        "near": (palm.x_mm, 0.0),
        "far": (palm.x_mm, width),
    }[side]
    cut = Patch(x, y, palm.a_mm, palm.b_mm, palm.mean_kpa)
    patches = [cut if p is palm else p for p in patches]
    features = session.frame(render_pressure(g, patches))
    edge = [c for c in features.contacts if c.at_edge]
    assert len(edge) == 1, features.contacts
    assert math.dist(edge[0].centroid, (x, y)) < max(palm.a_mm, palm.b_mm)


def test_pitch_comes_from_hello(impl: Impl) -> None:
    hello = Hello(1, 0, 0, 40, 60, 20000, 30000, 12, 50, 0, 1, "narrow")
    g = Geometry(40, 60, 20000, 30000, 12)
    session = Session(impl, g)
    session.analyzer = FrameAnalyzer(hello, CalibrationConfig(), impl)
    session.settle()
    patches = pushup_patches(g, hands_x_mm=330.0, feet_x_mm=1500.0, y_mm=400.0)
    check_pushup(session.frame(render_pressure(g, patches)), patches, g)


def test_empty_mat_has_no_centre(impl: Impl) -> None:
    features = Session(impl, Geometry()).settle()
    assert features.load_n < 0.5 and features.contacts == []
    assert features.cop is None or features.load_n > 0


def test_a_frame_of_another_size_starts_afresh(impl: Impl) -> None:
    session = Session(impl, Geometry())
    session.settle()
    small = Geometry(16, 40, 25000, 25000)
    session.geometry = small
    session.sensor = Sensor(small, noise_counts=2.0, offset=session.rng.uniform(10, 60, (16, 40)))
    session.settle()
    assert (session.analyzer.geometry.rows, session.analyzer.geometry.cols) == (16, 40)
    assert session.analyzer.calibrator.baseline.shape == (16, 40)
    palm = [Patch.carrying(200.0, 500.0, 200.0, 60.0, 45.0)]
    features = session.frame(render_pressure(small, palm))
    assert len(features.contacts) == 1
    assert features.load_n == pytest.approx(200.0, rel=0.03)


def test_a_hello_of_another_mat_resets_and_the_same_one_does_not(impl: Impl) -> None:
    session = Session(impl, Geometry())
    session.settle()
    before = session.analyzer.calibrator
    session.analyzer.on_hello(Hello(1, 0, 0, 32, 80, 25000, 25000, 12, 50, 0, 1, "same"))
    assert session.analyzer.calibrator is before
    session.analyzer.on_hello(Hello(1, 0, 0, 32, 80, 20000, 20000, 12, 50, 0, 1, "finer"))
    assert session.analyzer.calibrator is not before
    assert session.analyzer.calibrator.warming_up


def test_each_frame_gets_its_own_pressure_image(impl: Impl) -> None:
    session = Session(impl, Geometry())
    session.settle()
    g = session.geometry
    loaded = session.frame(render_pressure(g, pushup_patches(g)))
    assert loaded.pressure is not None
    kept = loaded.pressure.copy()
    session.frame()
    np.testing.assert_array_equal(loaded.pressure, kept)
    session.analyzer.keep_pressure = False
    assert session.frame().pressure is None
