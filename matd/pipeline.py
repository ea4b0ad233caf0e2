"""One mat's processing chain, after the link: frames → calibrated features → detector.

Runs on the mat's reader thread (live) or in a loop over a recording (replay); both
give the same events because everything here runs on the frames' device time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matd.analyzer import FrameAnalyzer
from matd.calibrate import Calibrator
from matd.clock import DeviceClock
from matd.config import Config
from matd.controls import Control
from matd.detector import Detector, Event
from matd.detector.calibration import PersonCalibration
from matd.detector.events import utc_now_iso
from matd.features import Features
from matd.geometry import Geometry
from matd.person import support_key
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
        tare_path: str | Path | None = None,
        features_filter: Callable[[Features], Features] | None = None,
    ) -> None:
        """`tare_path`: where the empty-mat baseline is kept between runs. It is taken up
        when the first frame (or a HELLO of a new grid) sets up the calibrator, and written
        once a tare has settled and by `save_tare()`; None keeps it in memory only."""
        self.cfg = cfg
        self.impl = impl
        # Applied to each frame's Features before the detector (matd eval --degrade).
        self.features_filter = features_filter
        self.keep_pressure = keep_pressure
        self.clock = DeviceClock()
        self.detector = Detector(
            cfg.detector, first_set_id=first_set_id, person_baseline=person_baseline
        )
        self.calibration = PersonCalibration()
        self.hello: Hello | None = None
        self.analyzer: FrameAnalyzer | None = None
        self.features: Features | None = None
        self.frames = 0
        self._wall_clock = wall_clock
        self.tare_path = Path(tare_path) if tare_path is not None else None
        self.tare_from_file = False  # the calibrator in use started from the saved baseline
        self._tare_save_due = False  # a tare is warming up; save it once it has settled
        self._calibrator_seen: Calibrator | None = None

    def on_hello(self, hello: Hello) -> None:
        self.hello = hello
        if self.analyzer is not None:
            self.analyzer.on_hello(hello)
            self._take_saved_tare(self.analyzer)
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
            self._take_saved_tare(self.analyzer)
        self.features = self.analyzer.process(frame, t)
        if self.features_filter is not None:
            self.features = self.features_filter(self.features)
        self.frames += 1
        if self._tare_save_due and not self.analyzer.calibrator.warming_up:
            self._tare_save_due = False
            self.save_tare()
        events = self.detector.update(self.features)
        outcome = self.calibration.observe(self.detector)
        if outcome is not None:
            events.append(outcome)
            self._calibrated(outcome)
        return self._stamp(events)

    def apply(self, control: Control) -> list[Event]:
        if control.name == "tare":
            if self.analyzer is not None:
                self.analyzer.tare()
            self.tare_from_file = False
            # Until this tare has settled and been saved, a calibrator set up meanwhile
            # (first frame, new grid) warms up afresh instead of taking the old file.
            self._tare_save_due = self.tare_path is not None
            log.info("tare requested: re-zeroing the empty mat")
            return []
        if control.name == "end_set":
            return self._stamp(self.detector.end_set())
        if control.name == "calibrate":
            self.calibration.arm()
            log.info("calibration armed: waiting for a steady plank")
            return []
        if control.name == "sag_threshold" and control.value is not None:
            self.detector.sag_threshold = control.value
            log.info("sag threshold set to %.4f u", control.value)
            return []
        log.warning("unknown control %r ignored", control.name)
        return []

    def _calibrated(self, event: Event) -> None:
        if event["event_type"] == "calibration_done":
            key = support_key(event["knees"])
            # The next set on this support starts from it (the one in progress keeps its own).
            self.detector.person_baseline[key] = event["baseline_u"]
            log.info("calibration done: %s baseline u = %.4f", key, event["baseline_u"])
        else:
            log.info("calibration failed: %s", event.get("reason"))

    def save_tare(self) -> bool:
        """Write the calibrator's empty-mat baseline to `tare_path`. Nothing is written
        while the baseline is still warming up: a half-learnt one is worse than the last."""
        if self.tare_path is None or self.analyzer is None:
            return False
        calibrator = self.analyzer.calibrator
        if calibrator.warming_up:
            return False
        try:
            calibrator.save(self.tare_path)
        except OSError as exc:
            log.warning("could not save the tare baseline to %s: %s", self.tare_path, exc)
            return False
        log.info("tare baseline saved to %s", self.tare_path)
        return True

    def _take_saved_tare(self, analyzer: FrameAnalyzer) -> None:
        calibrator = analyzer.calibrator
        if calibrator is self._calibrator_seen:
            return
        self._calibrator_seen = calibrator
        self.tare_from_file = False
        if self.tare_path is None or self._tare_save_due or not self.tare_path.exists():
            return
        try:
            calibrator.load(self.tare_path)
        except (OSError, ValueError) as exc:
            log.warning("tare baseline not used, warming up afresh: %s", exc)
            return
        self.tare_from_file = True
        log.info("tare baseline loaded from %s", self.tare_path)

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
