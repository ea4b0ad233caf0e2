"""What a virtual mat scans: anything that renders the cell grid at a device time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Geometry:
    """The mat's grid. The reference mat: 32 rows × 80 cols at 25 mm, 12-bit ADC."""

    rows: int = 32
    cols: int = 80
    row_pitch_um: int = 25000
    col_pitch_um: int = 25000
    adc_bits: int = 12

    @property
    def full_scale(self) -> int:
        return (1 << self.adc_bits) - 1


class FrameSource(Protocol):
    """Renders raw ADC counts (uint16, rows × cols) for the scan starting at `t` seconds.

    `t` never decreases between calls; a source may keep state (noise, drift)."""

    geometry: Geometry

    def render(self, t: float) -> npt.NDArray[np.uint16]: ...
