"""The NumPy/SciPy reference of every kernel in ext/kernels.pyx, with the same signatures.

Slower, plainly written, and the definition the compiled kernels are tested against.
Sums go through np.bincount (scipy.ndimage's sums do too), which adds in raster order
like the compiled loops, so both agree to the last bit on loads and centroids and
order tied contacts alike.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from matd.features import (
    CELLS,
    CONTACT_COLUMNS,
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

# Largest response the inverse is asked to undo (see ext/kernels.pyx).
CLIP_SHARE = 0.995
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def _same_shape(frame: npt.NDArray[np.generic], other: npt.NDArray[np.generic], name: str) -> None:
    if other.shape != frame.shape:
        rows, cols = frame.shape
        raise ValueError(f"{name} is {other.shape[0]}x{other.shape[1]}, the frame is {rows}x{cols}")


def calibrate(
    raw: npt.NDArray[np.uint16],
    baseline: npt.NDArray[np.float32],
    floor: npt.NDArray[np.float32],
    mask: npt.NDArray[np.uint8],
    full_scale: float,
    p_half_kpa: float,
    out: npt.NDArray[np.float32],
    clip_share: float = CLIP_SHARE,
) -> None:
    """Raw counts to kPa in `out`: subtract the baseline, gate on the noise floor and the
    mask, then invert the saturating response adc = FS·p/(p + p_half), reading no more
    than `clip_share` of full scale (near saturation the inverse blows up cell gain errors)."""
    for array, name in ((baseline, "baseline"), (floor, "floor"), (mask, "mask"), (out, "out")):
        _same_shape(raw, array, name)
    if not full_scale > 0:
        raise ValueError(f"full_scale must be positive, got {full_scale}")
    above = raw.astype(np.float32) - baseline
    live = (above > floor) & (mask == 0)
    a = np.minimum(above.astype(np.float64), clip_share * full_scale)
    pressure = p_half_kpa * a / (full_scale - a)
    out[...] = np.where(live, pressure, 0.0).astype(np.float32)


def track_baseline(
    raw: npt.NDArray[np.uint16],
    baseline: npt.NDArray[np.float32],
    var: npt.NDArray[np.float32],
    alpha: float,
) -> None:
    """One step of exponential tracking of each cell's mean and variance (in place)."""
    _same_shape(raw, baseline, "baseline")
    _same_shape(raw, var, "var")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")
    mean = baseline.astype(np.float64)
    d = raw.astype(np.float64) - mean
    baseline[...] = mean + alpha * d
    var[...] = (1.0 - alpha) * (var.astype(np.float64) + alpha * d * d)


def _centres(
    rows: int, cols: int, row_pitch_mm: float, col_pitch_mm: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    x = (np.arange(cols) + 0.5) * col_pitch_mm
    y = (np.arange(rows) + 0.5) * row_pitch_mm
    return np.broadcast_to(x, (rows, cols)), np.broadcast_to(y[:, None], (rows, cols))


def moments(
    pressure: npt.NDArray[np.float32], row_pitch_mm: float, col_pitch_mm: float
) -> tuple[float, float, float]:
    """(load N, CoP x mm, CoP y mm) of the whole frame; the CoP is NaN when load is 0."""
    p = pressure.astype(np.float64)
    x, y = _centres(p.shape[0], p.shape[1], row_pitch_mm, col_pitch_mm)
    w = float(p.sum())
    load = w * (row_pitch_mm * col_pitch_mm * 1e-3)
    if w == 0.0:
        return load, float("nan"), float("nan")
    return load, float((p * x).sum() / w), float((p * y).sum() / w)


def contacts(
    pressure: npt.NDArray[np.float32],
    min_kpa: float,
    min_cells: int,
    row_pitch_mm: float,
    col_pitch_mm: float,
    labels: npt.NDArray[np.int32],
) -> npt.NDArray[np.float64]:
    """The contact table (n, 14) of the frame's 8-connected patches above min_kpa.

    Patches of fewer than min_cells cells are dropped. Rows are sorted heaviest first
    (ties by CX, then CY); `labels` gets each cell's row number + 1, or 0."""
    _same_shape(pressure, labels, "labels")
    if not min_kpa >= 0:
        raise ValueError(f"min_kpa must be 0 or more, got {min_kpa}")
    found, n = ndimage.label(pressure > min_kpa, structure=EIGHT_CONNECTED)
    if n == 0:
        labels[...] = 0
        return np.empty((0, CONTACT_COLUMNS), dtype=np.float64)
    p = pressure.astype(np.float64)
    x, y = _centres(p.shape[0], p.shape[1], row_pitch_mm, col_pitch_mm)
    index = np.arange(1, n + 1)

    cells = ndimage.sum_labels(np.ones_like(p), found, index)
    w = ndimage.sum_labels(p, found, index)
    load = w * (row_pitch_mm * col_pitch_mm * 1e-3)
    cx = ndimage.sum_labels(x, found, index) / cells
    cy = ndimage.sum_labels(y, found, index) / cells
    px = ndimage.sum_labels(p * x, found, index) / w
    py = ndimage.sum_labels(p * y, found, index) / w
    peak = np.asarray(ndimage.maximum(p, found, index), dtype=np.float64)
    boxes = ndimage.find_objects(found)

    kept = np.flatnonzero(cells >= min_cells)
    # lexsort's last key sorts first; the provisional label (raster order of a patch's
    # first cell) breaks the remaining ties, as the compiled qsort does.
    order = kept[np.lexsort((kept, cy[kept], cx[kept], -load[kept]))]
    rank = np.zeros(n + 1, dtype=np.int32)
    rank[order + 1] = np.arange(1, order.size + 1, dtype=np.int32)
    labels[...] = rank[found]

    table = np.empty((order.size, CONTACT_COLUMNS), dtype=np.float64)
    table[:, CELLS] = cells[order]
    table[:, LOAD] = load[order]
    table[:, CX] = cx[order]
    table[:, CY] = cy[order]
    table[:, PX] = px[order]
    table[:, PY] = py[order]
    for row, k in enumerate(order):
        rows, cols = boxes[k]
        table[row, XMIN] = (cols.start + 0.5) * col_pitch_mm
        table[row, XMAX] = (cols.stop - 0.5) * col_pitch_mm
        table[row, YMIN] = (rows.start + 0.5) * row_pitch_mm
        table[row, YMAX] = (rows.stop - 0.5) * row_pitch_mm
    table[:, PEAK] = peak[order]

    # Spread about each contact's own CoP, in a second pass (no cancellation).
    own = labels.ravel()
    dx = (x - np.concatenate(([0.0], table[:, PX]))[labels]).ravel()
    dy = (y - np.concatenate(([0.0], table[:, PY]))[labels]).ravel()
    flat = p.ravel()
    m = order.size + 1
    w_sorted = w[order]
    table[:, SXX] = np.bincount(own, flat * (dx * dx), minlength=m)[1:] / w_sorted
    table[:, SXY] = np.bincount(own, flat * (dx * dy), minlength=m)[1:] / w_sorted
    table[:, SYY] = np.bincount(own, flat * (dy * dy), minlength=m)[1:] / w_sorted
    return table
