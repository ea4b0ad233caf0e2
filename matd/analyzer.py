"""One frame in, its Features out: calibrate → moments → contacts.

The analyzer holds the mat's per-cell state (the Calibrator) and the buffers the
kernels write into, so a frame costs no allocation beyond its contact table and
(optionally) the copy of the pressure image handed to the live views.
"""

from __future__ import annotations

import math

import numpy as np

from matd.calibrate import Calibrator, geometry_of
from matd.config import CalibrationConfig
from matd.features import Features, contacts_from_table
from matd.geometry import Geometry
from matd.kernels import Impl, get
from matd.wire.messages import Frame, Hello


class FrameAnalyzer:
    """Features of each frame of one mat. A frame of another grid size resets the state.

    `keep_pressure` puts a copy of the calibrated image into each Features (for the
    live views, which read it on other threads); turn it off where nobody looks."""

    def __init__(
        self,
        source: Hello | Geometry,
        cal_cfg: CalibrationConfig | None = None,
        impl: Impl = "compiled",
        *,
        keep_pressure: bool = True,
    ) -> None:
        self.cfg = cal_cfg or CalibrationConfig.model_validate({})
        self.impl: Impl = impl
        self.kernels = get(impl)
        self.keep_pressure = keep_pressure
        self._setup(geometry_of(source))

    def _setup(self, geometry: Geometry) -> None:
        self.geometry = geometry
        self.calibrator = Calibrator(geometry, self.cfg, self.kernels)
        self.labels = np.zeros((geometry.rows, geometry.cols), dtype=np.int32)
        self._row_pitch_mm = geometry.row_pitch_um / 1000.0
        self._col_pitch_mm = geometry.col_pitch_um / 1000.0
        self._cell_area_cm2 = self._row_pitch_mm * self._col_pitch_mm / 100.0
        self._mat_mm = (
            self._col_pitch_mm,
            self._row_pitch_mm,
            geometry.cols * self._col_pitch_mm,
            geometry.rows * self._row_pitch_mm,
        )

    def on_hello(self, hello: Hello) -> None:
        """A HELLO of another geometry (new mat, new firmware) starts afresh."""
        geometry = geometry_of(hello)
        if geometry != self.geometry:
            self._setup(geometry)

    def tare(self) -> None:
        self.calibrator.tare()

    def process(self, frame: Frame, t: float) -> Features:
        """Calibrate the frame (device time `t`, seconds) and summarise it."""
        g = self.geometry
        if (frame.rows, frame.cols) != (g.rows, g.cols):
            # The frame's own size wins (PROTOCOL.md); pitch and ADC bits stay as known.
            self._setup(
                Geometry(frame.rows, frame.cols, g.row_pitch_um, g.col_pitch_um, g.adc_bits)
            )
        pressure = self.calibrator.process(frame.cells, t)
        load, cop_x, cop_y = self.kernels.moments(pressure, self._row_pitch_mm, self._col_pitch_mm)
        table = self.kernels.contacts(
            pressure,
            self.cfg.contact_min_kpa,
            self.cfg.contact_min_cells,
            self._row_pitch_mm,
            self._col_pitch_mm,
            self.labels,
        )
        return Features(
            t=t,
            load_n=float(load),
            cop=None if math.isnan(cop_x) else (float(cop_x), float(cop_y)),
            contacts=contacts_from_table(table, self._cell_area_cm2, self._mat_mm),
            pressure=pressure.copy() if self.keep_pressure else None,
        )
