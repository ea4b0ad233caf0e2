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
        keep_pressure: bool = True,
        first_set_id: int = 1,
        person_baseline: dict[str, float] | None = None,
        wall_clock: Callable[[], str] = utc_now_iso,
    ) -> None:
        self.cfg = cfg
        self.impl = impl
        self.keep_pressure = keep_pressure
        self.clock = DeviceClock()
        self.detector = Detector(
            cfg.detector, first_set_id=first_set_id, person_baseline=person_baseline
        )
        self.hello: Hello | None = None
        self.analyzer: FrameAnalyzer | None = None
        self.features: Features | None = None
        self.frames = 0
        self._wall_clock = wall_clock

    def on_hello(self, hello: Hello) -> None:
        self.hello = hello
        if self.analyzer is not None:
            self.analyzer.on_hello(hello)
        if hello.rate_hz:
            self.clock.nominal_step_s = 1.0 / hello.rate_hz

    def on_frame(self, frame: Frame) -> list[Event]:
        t = self.clock.to_seconds(frame.device_time_us)
        if self.analyzer is None:
            # Pitch and ADC bits come from HELLO; without one, the reference mat's.
            self.analyzer = FrameAnalyzer(
                self.hello or Geometry(),
                self.cfg.calibration,
                impl=self.impl,
                keep_pressure=self.keep_pressure,
            )
        self.features = self.analyzer.process(frame, t)
        self.frames += 1
        return self._stamp(self.detector.update(self.features))

    def apply(self, control: Control) -> list[Event]:
        if control.name == "tare":
            if self.analyzer is not None:
                self.analyzer.tare()
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
