"""The mat's cell grid: how many rows and columns, how far apart, how many ADC bits.

Shared by the host's processing chain (calibrate, analyzer, pipeline) and the simulator;
a HELLO from the mat says the same things (see `matd.calibrate.geometry_of`)."""

from __future__ import annotations

from dataclasses import dataclass


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
