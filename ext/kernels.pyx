"""The per-frame kernels of the mat: calibrate, track the empty-mat baseline, moments, contacts.

Each one has a NumPy/SciPy twin with the same signature in matd/kernels/reference.py;
the differential tests in tests/kernels/ hold the two equal. Compiler directives
(boundscheck, wraparound, cdivision) are set once for the build in setup.py.

Coordinates are millimetres: x along the mat (columns), y across (rows), the cell
(r, c) centred at ((c + 0.5)·col pitch, (r + 0.5)·row pitch). Pressure is kPa and
1 kPa on 1 mm² is 1e-3 N.

Sums run in raster order in double precision, the order np.bincount (behind
scipy.ndimage's sums) uses too, so loads and centroids agree to the last bit and
ties in the contact order break the same way in both implementations.
"""

from libc.math cimport NAN
from libc.stdint cimport int32_t, uint8_t, uint16_t
from libc.stdlib cimport calloc, free, malloc, qsort

import numpy as np

# Columns of the contact table (matd.features holds the same indices).
cdef enum:
    N_COLUMNS = 14
    COL_CELLS = 0
    COL_LOAD = 1
    COL_CX = 2
    COL_CY = 3
    COL_PX = 4
    COL_PY = 5
    COL_XMIN = 6
    COL_XMAX = 7
    COL_YMIN = 8
    COL_YMAX = 9
    COL_SXX = 10
    COL_SXY = 11
    COL_SYY = 12
    COL_PEAK = 13

# Largest response the inverse is asked to undo: the curve is flat near full scale,
# so a reading there says little more than "very high" and would blow up the inverse.
cdef double CLIP_SHARE = 0.995


cdef int _same_shape(
    Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t r, Py_ssize_t c, str name
) except -1:
    if r != rows or c != cols:
        raise ValueError(f"{name} is {r}x{c}, the frame is {rows}x{cols}")
    return 0


def calibrate(
    const uint16_t[:, ::1] raw,
    const float[:, ::1] baseline,
    const float[:, ::1] floor,
    const uint8_t[:, ::1] mask,
    double full_scale,
    double p_half_kpa,
    float[:, ::1] out,
    double clip_share=CLIP_SHARE,
):
    """Raw counts to kPa in `out`: subtract the baseline, gate on the noise floor and the
    mask, then invert the saturating response adc = FS·p/(p + p_half), reading no more
    than `clip_share` of full scale (near saturation the inverse blows up cell gain errors)."""
    cdef Py_ssize_t rows = raw.shape[0], cols = raw.shape[1], r, c
    cdef float a
    cdef double ad, clip = clip_share * full_scale
    _same_shape(rows, cols, baseline.shape[0], baseline.shape[1], "baseline")
    _same_shape(rows, cols, floor.shape[0], floor.shape[1], "floor")
    _same_shape(rows, cols, mask.shape[0], mask.shape[1], "mask")
    _same_shape(rows, cols, out.shape[0], out.shape[1], "out")
    if not full_scale > 0:
        raise ValueError(f"full_scale must be positive, got {full_scale}")
    with nogil:
        for r in range(rows):
            for c in range(cols):
                a = raw[r, c] - baseline[r, c]
                if mask[r, c] or a <= floor[r, c]:
                    out[r, c] = 0
                else:
                    ad = a
                    if ad > clip:
                        ad = clip
                    out[r, c] = <float>(p_half_kpa * ad / (full_scale - ad))


def track_baseline(
    const uint16_t[:, ::1] raw, float[:, ::1] baseline, float[:, ::1] var, double alpha
):
    """One step of exponential tracking of each cell's mean and variance (in place)."""
    cdef Py_ssize_t rows = raw.shape[0], cols = raw.shape[1], r, c
    cdef double d, keep = 1.0 - alpha
    _same_shape(rows, cols, baseline.shape[0], baseline.shape[1], "baseline")
    _same_shape(rows, cols, var.shape[0], var.shape[1], "var")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")
    with nogil:
        for r in range(rows):
            for c in range(cols):
                d = <double>raw[r, c] - <double>baseline[r, c]
                baseline[r, c] = <float>(baseline[r, c] + alpha * d)
                var[r, c] = <float>(keep * (var[r, c] + alpha * d * d))


def moments(const float[:, ::1] pressure, double row_pitch_mm, double col_pitch_mm):
    """(load N, CoP x mm, CoP y mm) of the whole frame; the CoP is NaN when load is 0."""
    cdef Py_ssize_t rows = pressure.shape[0], cols = pressure.shape[1], r, c
    cdef double p, y, w = 0.0, wx = 0.0, wy = 0.0
    with nogil:
        for r in range(rows):
            y = (r + 0.5) * row_pitch_mm
            for c in range(cols):
                p = pressure[r, c]
                w += p
                wx += p * ((c + 0.5) * col_pitch_mm)
                wy += p * y
    load = w * (row_pitch_mm * col_pitch_mm * 1e-3)
    if w == 0.0:
        return load, NAN, NAN
    return load, wx / w, wy / w


cdef struct Blob:
    int32_t label  # provisional label: components numbered in raster order of first cell
    int32_t cells
    int32_t rmin, rmax, cmin, cmax
    double w  # sum of pressure, kPa
    double load  # newtons
    double sx, sy  # sums of cell-centre coordinates, mm
    double wx, wy  # pressure-weighted sums of coordinates
    double peak
    double cx, cy, px, py
    double sxx, sxy, syy


cdef int _heaviest_first(const void* a, const void* b) noexcept nogil:
    cdef const Blob* p = <const Blob*>a
    cdef const Blob* q = <const Blob*>b
    if p.load != q.load:
        return -1 if p.load > q.load else 1
    if p.cx != q.cx:
        return -1 if p.cx < q.cx else 1
    if p.cy != q.cy:
        return -1 if p.cy < q.cy else 1
    return -1 if p.label < q.label else (1 if p.label > q.label else 0)


cdef int32_t _flood_fill(
    const float[:, ::1] pressure, double min_kpa, int32_t[:, ::1] labels, int32_t* stack
) noexcept nogil:
    """Labels the 8-connected components of cells above min_kpa; returns their number.

    An explicit stack (every cell is pushed at most once, so it needs rows·cols slots)
    instead of recursion, which a 255x128 frame full of pressure would overflow."""
    cdef Py_ssize_t rows = pressure.shape[0], cols = pressure.shape[1]
    cdef Py_ssize_t r, c, rr, cc, nr, nc, r0, r1, c0, c1, top
    cdef int32_t n = 0, at
    for r in range(rows):
        for c in range(cols):
            labels[r, c] = 0
    for r in range(rows):
        for c in range(cols):
            if labels[r, c] != 0 or not pressure[r, c] > min_kpa:
                continue
            n += 1
            labels[r, c] = n
            stack[0] = <int32_t>(r * cols + c)
            top = 1
            while top > 0:
                top -= 1
                at = stack[top]
                rr = at // cols
                cc = at - rr * cols
                r0 = rr - 1 if rr > 0 else 0
                r1 = rr + 2 if rr + 2 < rows else rows
                c0 = cc - 1 if cc > 0 else 0
                c1 = cc + 2 if cc + 2 < cols else cols
                for nr in range(r0, r1):
                    for nc in range(c0, c1):
                        if labels[nr, nc] == 0 and pressure[nr, nc] > min_kpa:
                            labels[nr, nc] = n
                            stack[top] = <int32_t>(nr * cols + nc)
                            top += 1
    return n


cdef void _sum_blobs(
    const float[:, ::1] pressure,
    const int32_t[:, ::1] labels,
    double row_pitch_mm,
    double col_pitch_mm,
    Blob* blobs,
    int32_t n,
) noexcept nogil:
    cdef Py_ssize_t rows = pressure.shape[0], cols = pressure.shape[1], r, c
    cdef int32_t k
    cdef double p, x, y
    cdef Blob* b
    for k in range(1, n + 1):
        b = &blobs[k]
        b.label = k
        b.rmin = <int32_t>rows
        b.cmin = <int32_t>cols
        b.rmax = -1
        b.cmax = -1
    for r in range(rows):
        y = (r + 0.5) * row_pitch_mm
        for c in range(cols):
            k = labels[r, c]
            if k == 0:
                continue
            b = &blobs[k]
            p = pressure[r, c]
            x = (c + 0.5) * col_pitch_mm
            b.cells += 1
            b.w += p
            b.sx += x
            b.sy += y
            b.wx += p * x
            b.wy += p * y
            if p > b.peak:
                b.peak = p
            if r < b.rmin:
                b.rmin = <int32_t>r
            if r > b.rmax:
                b.rmax = <int32_t>r
            if c < b.cmin:
                b.cmin = <int32_t>c
            if c > b.cmax:
                b.cmax = <int32_t>c
    for k in range(1, n + 1):
        b = &blobs[k]
        b.load = b.w * (row_pitch_mm * col_pitch_mm * 1e-3)
        b.cx = b.sx / b.cells
        b.cy = b.sy / b.cells
        b.px = b.wx / b.w
        b.py = b.wy / b.w


cdef void _relabel_and_spread(
    const float[:, ::1] pressure,
    int32_t[:, ::1] labels,
    const int32_t* new_label,
    Blob* kept,
    double row_pitch_mm,
    double col_pitch_mm,
) noexcept nogil:
    """Renumbers labels by contact rank (0 for dropped blobs) and sums each kept contact's
    pressure-weighted spread about its own CoP (two-pass, so no cancellation)."""
    cdef Py_ssize_t rows = pressure.shape[0], cols = pressure.shape[1], r, c
    cdef int32_t k
    cdef double p, dx, dy, y
    cdef Blob* b
    for r in range(rows):
        y = (r + 0.5) * row_pitch_mm
        for c in range(cols):
            k = labels[r, c]
            if k == 0:
                continue
            k = new_label[k]
            labels[r, c] = k
            if k == 0:
                continue
            b = &kept[k - 1]
            p = pressure[r, c]
            dx = (c + 0.5) * col_pitch_mm - b.px
            dy = y - b.py
            b.sxx += p * (dx * dx)
            b.sxy += p * (dx * dy)
            b.syy += p * (dy * dy)


def contacts(
    const float[:, ::1] pressure,
    double min_kpa,
    long min_cells,
    double row_pitch_mm,
    double col_pitch_mm,
    int32_t[:, ::1] labels,
):
    """The contact table (n, 14) of the frame's 8-connected patches above min_kpa.

    Patches of fewer than min_cells cells are dropped. Rows are sorted heaviest first
    (ties by CX, then CY); `labels` gets each cell's row number + 1, or 0."""
    cdef Py_ssize_t rows = pressure.shape[0], cols = pressure.shape[1]
    cdef int32_t n, nk = 0, k
    cdef int32_t* stack = NULL
    cdef int32_t* new_label = NULL
    cdef Blob* blobs = NULL
    cdef Blob* kept = NULL
    cdef Blob* b
    cdef double[:, ::1] table
    _same_shape(rows, cols, labels.shape[0], labels.shape[1], "labels")
    if not min_kpa >= 0:
        raise ValueError(f"min_kpa must be 0 or more, got {min_kpa}")
    try:
        stack = <int32_t*>malloc(rows * cols * sizeof(int32_t))
        if stack == NULL:
            raise MemoryError()
        with nogil:
            n = _flood_fill(pressure, min_kpa, labels, stack)
        blobs = <Blob*>calloc(n + 1, sizeof(Blob))
        kept = <Blob*>calloc(n + 1, sizeof(Blob))
        new_label = <int32_t*>calloc(n + 1, sizeof(int32_t))
        if blobs == NULL or kept == NULL or new_label == NULL:
            raise MemoryError()
        with nogil:
            _sum_blobs(pressure, labels, row_pitch_mm, col_pitch_mm, blobs, n)
            for k in range(1, n + 1):
                if blobs[k].cells >= min_cells:
                    kept[nk] = blobs[k]
                    nk += 1
            qsort(kept, nk, sizeof(Blob), _heaviest_first)
            for k in range(nk):
                new_label[kept[k].label] = k + 1
            _relabel_and_spread(pressure, labels, new_label, kept, row_pitch_mm, col_pitch_mm)
        out = np.empty((nk, N_COLUMNS), dtype=np.float64)
        table = out
        for k in range(nk):
            b = &kept[k]
            table[k, COL_CELLS] = b.cells
            table[k, COL_LOAD] = b.load
            table[k, COL_CX] = b.cx
            table[k, COL_CY] = b.cy
            table[k, COL_PX] = b.px
            table[k, COL_PY] = b.py
            table[k, COL_XMIN] = (b.cmin + 0.5) * col_pitch_mm
            table[k, COL_XMAX] = (b.cmax + 0.5) * col_pitch_mm
            table[k, COL_YMIN] = (b.rmin + 0.5) * row_pitch_mm
            table[k, COL_YMAX] = (b.rmax + 0.5) * row_pitch_mm
            table[k, COL_SXX] = b.sxx / b.w
            table[k, COL_SXY] = b.sxy / b.w
            table[k, COL_SYY] = b.syy / b.w
            table[k, COL_PEAK] = b.peak
        return out
    finally:
        free(stack)
        free(blobs)
        free(kept)
        free(new_label)
