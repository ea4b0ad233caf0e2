"""What each kernel means, checked on both implementations with frames worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from matd.features import (
    CELLS,
    CX,
    CY,
    LOAD,
    PEAK,
    PX,
    PY,
    SXX,
    SXY,
    SYY,
    XMAX,
    XMIN,
    YMAX,
    YMIN,
)
from matd.kernels import Kernels

FS = 4095.0
P_HALF = 50.0
PITCH = 25.0


def contacts(
    kernels: Kernels, p: npt.ArrayLike, min_kpa: float = 0.5, min_cells: int = 1
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    pressure = np.ascontiguousarray(p, dtype=np.float32)
    labels = np.empty(pressure.shape, dtype=np.int32)
    return kernels.contacts(pressure, min_kpa, min_cells, PITCH, PITCH, labels), labels


def calibrate(
    kernels: Kernels, raw: npt.ArrayLike, baseline: float, floor: float = 6.0, masked: bool = False
) -> npt.NDArray[np.float32]:
    raw = np.ascontiguousarray(raw, dtype=np.uint16)
    out = np.full(raw.shape, -1.0, dtype=np.float32)
    kernels.calibrate(
        raw,
        np.full(raw.shape, baseline, np.float32),
        np.full(raw.shape, floor, np.float32),
        np.full(raw.shape, masked, np.uint8),
        FS,
        P_HALF,
        out,
    )
    return out


def test_half_scale_above_baseline_reads_p_half(kernels: Kernels) -> None:
    # adc = FS·p/(p + p_half) is half of full scale exactly when p = p_half.
    out = calibrate(kernels, [[100 + 2048]], baseline=100.5)
    assert out[0, 0] == pytest.approx(P_HALF, rel=1e-6)


def test_calibrate_inverts_the_saturating_response(kernels: Kernels) -> None:
    pressures = np.array([[2.0, 10.0, 30.0, 80.0, 300.0]])
    raw = np.rint(40 + FS * pressures / (pressures + P_HALF))
    out = calibrate(kernels, raw, baseline=40.0)
    # One count of rounding is worth more kPa as the curve flattens.
    np.testing.assert_allclose(out, pressures, rtol=0.02)


def test_readings_within_the_floor_or_masked_read_zero(kernels: Kernels) -> None:
    assert not calibrate(kernels, [[100, 106, 90, 0]], baseline=100.0, floor=6.0).any()
    assert calibrate(kernels, [[107]], baseline=100.0, floor=6.0)[0, 0] > 0
    assert not calibrate(kernels, [[3000]], baseline=100.0, masked=True).any()


def test_full_scale_reading_stays_finite(kernels: Kernels) -> None:
    out = calibrate(kernels, [[4095, 65535]], baseline=0.0)
    assert np.all(np.isfinite(out))
    assert out[0, 0] == pytest.approx(P_HALF * 0.995 / 0.005, rel=1e-5)


def test_tracking_converges_on_a_steady_reading(kernels: Kernels) -> None:
    raw = np.full((2, 3), 250, dtype=np.uint16)
    baseline = np.zeros((2, 3), np.float32)
    var = np.zeros((2, 3), np.float32)
    for _ in range(400):
        kernels.track_baseline(raw, baseline, var, 0.05)
    np.testing.assert_allclose(baseline, 250.0, rtol=1e-4)
    assert var.max() < 1.0  # the approach's transient dies away


def test_tracking_measures_the_noise(kernels: Kernels) -> None:
    baseline = np.full((1, 1), 100.0, np.float32)
    var = np.zeros((1, 1), np.float32)
    for i in range(4000):
        reading = 103 if i % 2 else 97
        kernels.track_baseline(np.array([[reading]], np.uint16), baseline, var, 0.01)
    assert baseline[0, 0] == pytest.approx(100.0, abs=0.1)
    assert math.sqrt(var[0, 0]) == pytest.approx(3.0, rel=0.05)


def test_moments_of_one_cell(kernels: Kernels) -> None:
    p = np.zeros((4, 6), np.float32)
    p[2, 5] = 40.0
    load, x, y = kernels.moments(p, 20.0, 30.0)
    assert load == pytest.approx(40.0 * 20.0 * 30.0 * 1e-3)
    assert (x, y) == pytest.approx((5.5 * 30.0, 2.5 * 20.0))


def test_moments_weigh_by_pressure(kernels: Kernels) -> None:
    p = np.zeros((3, 10), np.float32)
    p[0, 0], p[0, 9] = 30.0, 10.0
    load, x, y = kernels.moments(p, PITCH, PITCH)
    assert load == pytest.approx(40.0 * PITCH * PITCH * 1e-3)
    assert x == pytest.approx((0.75 * 0.5 + 0.25 * 9.5) * PITCH)
    assert y == pytest.approx(0.5 * PITCH)


def test_empty_frame_has_no_load_and_no_centre(kernels: Kernels) -> None:
    load, x, y = kernels.moments(np.zeros((32, 80), np.float32), PITCH, PITCH)
    assert load == 0.0 and math.isnan(x) and math.isnan(y)
    table, labels = contacts(kernels, np.zeros((32, 80)))
    assert table.shape == (0, 14) and not labels.any()


def test_diagonal_neighbours_are_one_contact(kernels: Kernels) -> None:
    p = np.zeros((5, 5))
    for i in range(5):
        p[i, i] = 10.0
    table, labels = contacts(kernels, p)
    assert table.shape[0] == 1
    assert table[0, CELLS] == 5
    assert table[0, SXY] > 0  # x and y grow together along the diagonal
    assert set(np.unique(labels)) == {0, 1}


def test_columns_of_a_uniform_block(kernels: Kernels) -> None:
    p = np.zeros((6, 8))
    p[1:3, 2:5] = 20.0  # 2 rows x 3 cols
    p[2, 4] = 26.0
    table, _ = contacts(kernels, p)
    row = table[0]
    assert row[CELLS] == 6
    assert row[LOAD] == pytest.approx((5 * 20.0 + 26.0) * PITCH * PITCH * 1e-3)
    assert (row[CX], row[CY]) == pytest.approx((3.5 * PITCH, 2.0 * PITCH))
    assert row[PX] > row[CX] and row[PY] > row[CY]  # pulled toward the heavier cell
    assert (row[XMIN], row[XMAX], row[YMIN], row[YMAX]) == pytest.approx(
        (2.5 * PITCH, 4.5 * PITCH, 1.5 * PITCH, 2.5 * PITCH)
    )
    assert row[PEAK] == 26.0


def test_spread_of_a_uniform_block(kernels: Kernels) -> None:
    p = np.zeros((4, 5))
    p[1:3, 1:4] = 20.0
    row = contacts(kernels, p)[0][0]
    # Uniform weights: the variance of the cell centres, {0, 1, 2} and {0, 1} pitches.
    assert row[SXX] == pytest.approx(PITCH**2 * 2 / 3)
    assert row[SYY] == pytest.approx(PITCH**2 / 4)
    assert row[SXY] == pytest.approx(0.0, abs=1e-9)


def test_small_patches_are_dropped_and_unlabelled(kernels: Kernels) -> None:
    p = np.zeros((6, 10))
    p[0:3, 0:3] = 5.0  # 9 cells
    p[5, 9] = 50.0  # 1 cell, heavier than any single cell of the block
    table, labels = contacts(kernels, p, min_cells=2)
    assert table.shape[0] == 1 and table[0, CELLS] == 9
    assert labels[5, 9] == 0
    assert (labels[0:3, 0:3] == 1).all()


def test_contacts_heaviest_first_with_matching_labels(kernels: Kernels) -> None:
    p = np.zeros((10, 20))
    p[1:3, 1:3] = 5.0  # light
    p[6:9, 14:17] = 30.0  # heavy
    p[1:4, 10:12] = 10.0  # middle
    table, labels = contacts(kernels, p)
    assert list(table[:, CELLS]) == [9, 6, 4]
    assert np.all(np.diff(table[:, LOAD]) < 0)
    assert labels[7, 15] == 1 and labels[2, 10] == 2 and labels[1, 1] == 3


def test_equal_loads_order_by_x_then_y(kernels: Kernels) -> None:
    p = np.zeros((6, 6))
    p[4, 1] = p[0, 3] = p[2, 1] = 7.0
    table, labels = contacts(kernels, p)
    assert [(r[CX], r[CY]) for r in table] == [
        (1.5 * PITCH, 2.5 * PITCH),
        (1.5 * PITCH, 4.5 * PITCH),
        (3.5 * PITCH, 0.5 * PITCH),
    ]
    assert (labels[2, 1], labels[4, 1], labels[0, 3]) == (1, 2, 3)


def test_threshold_is_strict(kernels: Kernels) -> None:
    p = np.array([[1.0, 1.0, 0.0, 1.5]])
    table, labels = contacts(kernels, p, min_kpa=1.0)
    assert table.shape[0] == 1 and table[0, CELLS] == 1
    assert list(labels[0]) == [0, 0, 0, 1]


def test_a_mat_full_of_pressure_is_one_contact(kernels: Kernels) -> None:
    # The largest grid, every cell connected: deep enough to overflow any recursion.
    p = np.full((255, 128), 12.0)
    p[::2, 1::2] = 0.0  # a lattice of holes keeps it connected only diagonally in places
    table, labels = contacts(kernels, p)
    assert table.shape[0] == 1
    assert table[0, CELLS] == np.count_nonzero(p)
    assert (labels[p > 0] == 1).all()
