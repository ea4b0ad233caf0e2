"""What the kernels tell the detector about one calibrated frame.

Coordinates are millimetres on the mat: x along the long side (columns), y across
(rows), the cell (r, c) centred at ((c + 0.5)·col pitch, (r + 0.5)·row pitch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

# Columns of the contact table the contacts kernel returns (one row per contact).
CELLS, LOAD, CX, CY, PX, PY, XMIN, XMAX, YMIN, YMAX, SXX, SXY, SYY, PEAK = range(14)
CONTACT_COLUMNS = 14


@dataclass(frozen=True, slots=True)
class Contact:
    """One connected patch of pressure: a palm, a foot, the toes, a knee."""

    cells: int
    area_cm2: float
    load_n: float
    centroid: tuple[float, float]  # the patch's geometric centre, mm
    cop: tuple[float, float]  # the patch's own centre of pressure, mm
    bbox: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax of cell centres, mm
    cov: tuple[float, float, float]  # load-weighted sxx, sxy, syy about the CoP, mm²
    peak_kpa: float
    # It reaches the mat's outermost row or column: it may go on beyond the mat, and then
    # its load and its CoP are only of the part on the mat.
    at_edge: bool = False

    @property
    def length_mm(self) -> float:
        """Extent along the patch's long axis (4 std devs of its pressure)."""
        sxx, sxy, syy = self.cov
        tr, det = sxx + syy, sxx * syy - sxy * sxy
        lam = tr / 2 + np.sqrt(max(tr * tr / 4 - det, 0.0))
        return float(4 * np.sqrt(max(lam, 0.0)))


@dataclass(slots=True)
class Features:
    """One frame, summarised: the input of the detector."""

    t: float  # seconds on the mat's clock (device time, unwrapped)
    load_n: float
    cop: tuple[float, float] | None
    contacts: list[Contact] = field(default_factory=list)
    pressure: npt.NDArray[np.float32] | None = None  # calibrated kPa, for the live views


def contacts_from_table(
    table: npt.NDArray[np.float64],
    cell_area_cm2: float,
    mat_mm: tuple[float, float, float, float] | None = None,
) -> list[Contact]:
    """`mat_mm`: the (x, y) pitch and the mat's length and width, mm, to tell the
    contacts that reach its edge."""
    out = []
    if mat_mm is not None:
        col_mm, row_mm, length_mm, width_mm = mat_mm
        # The outermost cells' centres lie half a pitch in from the mat's edges.
        x_lo, x_hi = 0.75 * col_mm, length_mm - 0.75 * col_mm
        y_lo, y_hi = 0.75 * row_mm, width_mm - 0.75 * row_mm
    for row in table.tolist():  # Python floats at once: far cheaper than numpy scalars
        edge = mat_mm is not None and (
            row[XMIN] < x_lo or row[XMAX] > x_hi or row[YMIN] < y_lo or row[YMAX] > y_hi
        )
        out.append(
            Contact(
                cells=int(row[CELLS]),
                area_cm2=row[CELLS] * cell_area_cm2,
                load_n=row[LOAD],
                centroid=(row[CX], row[CY]),
                cop=(row[PX], row[PY]),
                bbox=(row[XMIN], row[XMAX], row[YMIN], row[YMAX]),
                cov=(row[SXX], row[SXY], row[SYY]),
                peak_kpa=row[PEAK],
                at_edge=edge,
            )
        )
    return out
