"""One mat's processing chain, after the link: frames → calibrated features → detector.

Runs on the mat's reader thread (live) or in a loop over a recording (replay); both
give the same events because everything here runs on the frames' device time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from matd.analyzer import FrameAnalyzer
from matd.clock import DeviceClock
from matd.config import Config
from matd.controls import Control
from matd.detector import Detector, Event
from matd.detector.events import utc_now_iso
from matd.features import Features
from matd.sim.source import Geometry
from matd.wire import Frame, Hello
from matd.wire.decoder import Impl

log = logging.getLogger(__name__)


class MatPipeline:
    def __init__(
        self,
        cfg: Config,
        *,
        impl: Impl = "compiled",
        first_set_id: int = 1,
        person_baseline: dict[str, float] | None = None,
        wall_clock: Callable[[], str] = utc_now_iso,
    ) -> None:
        self.cfg = cfg
        self.impl = impl
        self.clock = DeviceClock()
        self.detector = Detector(
            cfg.detector, first_set_id=first_set_id, person_baseline=person_baseline
        )
        self.hello: Hello | None = None
        self.analyzer: FrameAnalyzer | None = None
        self.features: Features | None = None
        self.frames = 0
        self._wall_clock = wall_clock
        self._geometry: Geometry | None = None

    def on_hello(self, hello: Hello) -> None:
        self.hello = hello
        geometry = Geometry(
            rows=hello.rows,
            cols=hello.cols,
            row_pitch_um=hello.row_pitch_um,
            col_pitch_um=hello.col_pitch_um,
            adc_bits=hello.adc_bits,
        )
        if geometry != self._geometry:
            self._geometry = geometry
            self.analyzer = None  # rebuilt with the new geometry on the next frame
        if hello.rate_hz:
            self.clock.nominal_step_s = 1.0 / hello.rate_hz

    def on_reconnect(self) -> None:
        self.clock.reset()

    def on_frame(self, frame: Frame) -> list[Event]:
        t = self.clock.to_seconds(frame.device_time_us)
        geometry = self._geometry_for(frame)
        if self.analyzer is None:
            self.analyzer = FrameAnalyzer(geometry, self.cfg.calibration, impl=self.impl)
        self.features = self.analyzer.process(frame, t)
        self.frames += 1
        return self._stamp(self.detector.update(self.features))

    def _geometry_for(self, frame: Frame) -> Geometry:
        # The frame's own rows and cols win (PROTOCOL.md); pitch and ADC bits come from HELLO.
        g = self._geometry or Geometry()
        if (g.rows, g.cols) != (frame.rows, frame.cols):
            g = Geometry(frame.rows, frame.cols, g.row_pitch_um, g.col_pitch_um, g.adc_bits)
            self._geometry = g
            self.analyzer = None
        return g

    def apply(self, control: Control) -> list[Event]:
        if control.name == "tare":
            if self.analyzer is not None:
                self.analyzer.calibrator.tare()
            log.info("tare requested: re-zeroing the empty mat")
            return []
        if control.name == "end_set":
            return self._stamp(self.detector.end_set())
        if control.name == "sag_threshold" and control.value is not None:
            self.detector.sag_threshold = control.value
            log.info("sag threshold set to %.4f u", control.value)
            return []
        log.warning("unknown control %r ignored", control.name)
        return []

    def finish(self) -> list[Event]:
        return self._stamp(self.detector.finish())

    def state(self) -> dict[str, Any]:
        state = self.detector.state()
        state["ts"] = self._wall_clock()
        return state

    def _stamp(self, events: list[Event]) -> list[Event]:
        for ev in events:
            ev["ts"] = self._wall_clock()
        return events
