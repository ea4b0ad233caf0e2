"""Every compiled kernel gives what its NumPy/SciPy reference gives, on any frame."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matd.analyzer import FrameAnalyzer
from matd.config import CalibrationConfig
from matd.kernels import Kernels
from matd.kernels.synthetic import Patch, Sensor, render_pressure
from matd.sim.source import Geometry
from matd.wire.messages import MAX_CELLS, Frame

STYLES = ("zeros", "max", "uniform", "sparse", "levels", "blobs")
CORNER_SHAPES = [(1, 1), (1, 255), (255, 1), (255, 128), (128, 255)]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def grids(draw: st.DrawFn) -> tuple[int, int]:
    rows = draw(st.integers(1, 255))
    cols = draw(st.integers(1, min(255, MAX_CELLS // rows)))
    return rows, cols


def blob_field(
    shape: tuple[int, int], rng: np.random.Generator, peak: float
) -> npt.NDArray[np.float64]:
    rows, cols = shape
    g = Geometry(rows, cols)
    patches = [
        Patch(
            rng.uniform(0, cols * 25.0),
            rng.uniform(0, rows * 25.0),
            rng.uniform(10.0, 120.0),
            rng.uniform(10.0, 80.0),
            rng.uniform(0.1, 0.5) * peak,
            rng.uniform(0, math.pi),
        )
        for _ in range(int(rng.integers(0, 8)))
    ]
    return np.minimum(render_pressure(g, patches, oversample=2), peak)


def pressure_frame(shape: tuple[int, int], style: str, seed: int) -> npt.NDArray[np.float32]:
    """Calibrated-looking frames, kPa: what the moments and contacts kernels get."""
    rng = np.random.default_rng(seed)
    top = 9950.0  # the largest pressure calibrate can give at p_half 50 kPa
    if style == "zeros":
        p = np.zeros(shape)
    elif style == "max":
        p = np.full(shape, top)
    elif style == "uniform":
        p = rng.uniform(0, 200, shape)
    elif style == "sparse":
        p = rng.uniform(0, 100, shape) * (rng.random(shape) < rng.uniform(0.02, 0.6))
    elif style == "levels":
        # Few distinct values: equal loads and equal centroids, so the tie-breaks matter.
        p = rng.integers(0, 4, shape) * (rng.random(shape) < rng.uniform(0.1, 0.7))
    else:
        p = blob_field(shape, rng, 150.0)
    return np.ascontiguousarray(p, dtype=np.float32)


def raw_frame(
    shape: tuple[int, int], style: str, seed: int, full_scale: int
) -> npt.NDArray[np.uint16]:
    rng = np.random.default_rng(seed)
    if style == "zeros":
        raw = np.zeros(shape)
    elif style == "max":
        raw = np.full(shape, full_scale)
    elif style in ("uniform", "levels"):
        raw = rng.integers(0, full_scale + 1, shape)
    elif style == "sparse":
        raw = rng.integers(0, full_scale + 1, shape) * (rng.random(shape) < 0.2)
    else:
        rows, cols = shape
        sensor = Sensor(
            Geometry(rows, cols, adc_bits=int(full_scale).bit_length()), noise_counts=3.0
        )
        sensor.offset = rng.uniform(0, 80, shape)
        raw = sensor.read(blob_field(shape, rng, 300.0), rng)
    return np.ascontiguousarray(raw, dtype=np.uint16)


def cell_state(
    shape: tuple[int, int], seed: int, full_scale: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
    rng = np.random.default_rng(seed + 1)
    baseline = rng.uniform(0, full_scale * 0.2, shape).astype(np.float32)
    floor = rng.uniform(0, 30, shape).astype(np.float32)
    mask = (rng.random(shape) < 0.05).astype(np.uint8)
    return baseline, floor, mask


def check_calibrate(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    adc_bits: int,
    p_half: float,
) -> None:
    fs = (1 << adc_bits) - 1
    raw = raw_frame(shape, style, seed, fs)
    baseline, floor, mask = cell_state(shape, seed, fs)
    outs = []
    for k in (compiled, reference):
        out = np.full(shape, -1.0, dtype=np.float32)
        k.calibrate(raw, baseline, floor, mask, float(fs), p_half, out)
        outs.append(out)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=0)
    assert outs[0].min() >= 0.0
    assert not np.any(outs[0][mask == 1])


def check_track(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    alpha: float,
) -> None:
    raw = raw_frame(shape, style, seed, 4095)
    baseline, var, _ = cell_state(shape, seed, 4095)
    states = []
    for k in (compiled, reference):
        b, v = baseline.copy(), var.copy()
        for _ in range(3):
            k.track_baseline(raw, b, v, alpha)
        states.append((b, v))
    np.testing.assert_allclose(states[0][0], states[1][0], rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(states[0][1], states[1][1], rtol=1e-5, atol=1e-4)


def check_moments(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    pitches: tuple[float, float],
) -> None:
    p = pressure_frame(shape, style, seed)
    got = compiled.moments(p, *pitches)
    want = reference.moments(p, *pitches)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)
    assert math.isnan(got[1]) == (not p.any())


def check_contacts(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    min_kpa: float,
    min_cells: int,
    pitches: tuple[float, float],
) -> None:
    p = pressure_frame(shape, style, seed)
    results = []
    for k in (compiled, reference):
        labels = np.full(shape, -7, dtype=np.int32)
        table = k.contacts(p, min_kpa, min_cells, pitches[0], pitches[1], labels)
        results.append((table, labels))
    (got, got_labels), (want, want_labels) = results
    assert got.shape == want.shape
    assert got.shape[1] == 14
    np.testing.assert_array_equal(got_labels, want_labels)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert got_labels.max(initial=0) == got.shape[0]


@pytest.mark.parametrize("shape", CORNER_SHAPES)
@pytest.mark.parametrize("style", ["zeros", "max", "uniform", "levels"])
def test_kernels_agree_on_corner_grids(
    compiled: Kernels, reference: Kernels, shape: tuple[int, int], style: str
) -> None:
    check_calibrate(compiled, reference, shape, style, 1, 12, 50.0)
    check_track(compiled, reference, shape, style, 2, 0.01)
    check_moments(compiled, reference, shape, style, 3, (25.0, 25.0))
    check_contacts(compiled, reference, shape, style, 4, 0.5, 2, (25.0, 25.0))


@SETTINGS
@given(
    shape=grids(),
    style=st.sampled_from(STYLES),
    seed=st.integers(0, 2**31),
    adc_bits=st.integers(8, 16),
    p_half=st.floats(5.0, 200.0),
)
def test_calibrate_agrees(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    adc_bits: int,
    p_half: float,
) -> None:
    check_calibrate(compiled, reference, shape, style, seed, adc_bits, p_half)


@SETTINGS
@given(
    shape=grids(),
    style=st.sampled_from(STYLES),
    seed=st.integers(0, 2**31),
    alpha=st.sampled_from([0.0, 1.0, 1e-4, 0.02, 0.5]),
)
def test_track_baseline_agrees(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    alpha: float,
) -> None:
    check_track(compiled, reference, shape, style, seed, alpha)


pitches = st.tuples(st.floats(1.0, 60.0), st.floats(1.0, 60.0))


@SETTINGS
@given(shape=grids(), style=st.sampled_from(STYLES), seed=st.integers(0, 2**31), pitch=pitches)
def test_moments_agree(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    pitch: tuple[float, float],
) -> None:
    check_moments(compiled, reference, shape, style, seed, pitch)


@SETTINGS
@given(
    shape=grids(),
    style=st.sampled_from(STYLES),
    seed=st.integers(0, 2**31),
    min_kpa=st.sampled_from([0.0, 0.5, 1.0, 2.5, 40.0]),
    min_cells=st.integers(0, 6),
    pitch=pitches,
)
def test_contacts_agree(
    compiled: Kernels,
    reference: Kernels,
    shape: tuple[int, int],
    style: str,
    seed: int,
    min_kpa: float,
    min_cells: int,
    pitch: tuple[float, float],
) -> None:
    check_contacts(compiled, reference, shape, style, seed, min_kpa, min_cells, pitch)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    rows=st.integers(8, 40),
    cols=st.integers(24, 100),
    pitch_mm=st.integers(15, 30),
)
def test_whole_chain_agrees_on_simulated_sessions(
    seed: int, rows: int, cols: int, pitch_mm: int
) -> None:
    """An empty mat, then palms and toes, read through a sensor with gain spread, offsets,
    noise, crosstalk, a dead and a stuck cell: both analyzers report the same frames."""
    rng = np.random.default_rng(seed)
    g = Geometry(rows, cols, pitch_mm * 1000, pitch_mm * 1000)
    sensor = Sensor.typical(g, rng)
    sensor.dead = [(int(rng.integers(rows)), int(rng.integers(cols)))]
    sensor.stuck = [(int(rng.integers(rows)), int(rng.integers(cols)))]
    w, h = cols * pitch_mm, rows * pitch_mm
    body = [
        Patch(
            rng.uniform(0, w),
            rng.uniform(0, h),
            rng.uniform(30, 70),
            rng.uniform(25, 50),
            rng.uniform(15, 45),
            rng.uniform(0, math.pi),
        )
        for _ in range(4)
    ]
    field = render_pressure(g, body)
    empty = np.zeros((rows, cols))
    analyzers = [FrameAnalyzer(g, CalibrationConfig(), impl) for impl in ("compiled", "reference")]
    for i in range(60):
        raw = sensor.read(empty if i < 35 else field * (0.9 + 0.002 * i), rng)
        got, want = (a.process(Frame(i, 0, raw), i / 50.0) for a in analyzers)
        assert len(got.contacts) == len(want.contacts)
        assert got.load_n == pytest.approx(want.load_n, rel=1e-6, abs=1e-6)
        assert (got.cop is None) == (want.cop is None)
        if got.cop is not None and want.cop is not None:
            assert got.cop == pytest.approx(want.cop, rel=1e-6, abs=1e-6)
        for a, b in zip(got.contacts, want.contacts, strict=True):
            assert a.cells == b.cells
            assert a.load_n == pytest.approx(b.load_n, rel=1e-6, abs=1e-6)
            assert a.cop == pytest.approx(b.cop, rel=1e-6, abs=1e-6)
        assert got.pressure is not None and want.pressure is not None
        np.testing.assert_allclose(got.pressure, want.pressure, rtol=1e-5, atol=1e-5)
    assert analyzers[0].calibrator.stuck_cells == analyzers[1].calibrator.stuck_cells == 1


@pytest.mark.parametrize("name", ["baseline", "floor", "mask", "out"])
def test_calibrate_refuses_a_mismatched_array(kernels: Kernels, name: str) -> None:
    arrays = {
        "baseline": np.zeros((4, 5), np.float32),
        "floor": np.zeros((4, 5), np.float32),
        "mask": np.zeros((4, 5), np.uint8),
        "out": np.zeros((4, 5), np.float32),
    }
    arrays[name] = np.zeros((5, 4), dtype=arrays[name].dtype)
    raw = np.zeros((4, 5), np.uint16)
    with pytest.raises(ValueError, match=name):
        kernels.calibrate(
            raw, arrays["baseline"], arrays["floor"], arrays["mask"], 4095.0, 50.0, arrays["out"]
        )


def test_kernels_refuse_bad_arguments(kernels: Kernels) -> None:
    raw = np.zeros((3, 3), np.uint16)
    f32 = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match="full_scale"):
        kernels.calibrate(raw, f32, f32, np.zeros((3, 3), np.uint8), 0.0, 50.0, f32.copy())
    with pytest.raises(ValueError, match="alpha"):
        kernels.track_baseline(raw, f32.copy(), f32.copy(), 1.5)
    with pytest.raises(ValueError, match="var"):
        kernels.track_baseline(raw, f32.copy(), np.zeros((2, 3), np.float32), 0.1)
    with pytest.raises(ValueError, match="min_kpa"):
        kernels.contacts(f32, -1.0, 1, 25.0, 25.0, np.zeros((3, 3), np.int32))
    with pytest.raises(ValueError, match="labels"):
        kernels.contacts(f32, 1.0, 1, 25.0, 25.0, np.zeros((3, 4), np.int32))
