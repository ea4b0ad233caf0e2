"""The daemon: one mat's link and pipeline, the hub, and the sinks, started and stopped
together. The reader thread does link → decode → calibrate → kernels → detector; the
hub hands results to the sinks' own threads."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Any

from matd import __version__
from matd.config import Config
from matd.controls import Controls
from matd.hub import Hub, Sink
from matd.link import MatLink
from matd.person import load_person_baseline, person_file, store_calibration
from matd.pipeline import MatPipeline
from matd.wire import Frame, Hello, Log, Message

log = logging.getLogger(__name__)

LOG_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}
STATE_EVERY_S = 0.1  # the hub coalesces anyway; no need to hand it 50 states a second
TARE_FILE = "tare.npz"  # in the state folder: the empty-mat baseline, kept across restarts


class Daemon:
    def __init__(
        self,
        cfg: Config,
        *,
        console: bool = False,
        keep_tare: bool = True,
        keep_person: bool = True,
    ) -> None:
        """`keep_tare=False`: the tare baseline is neither read from nor written to the
        state folder (the demo's simulated mat must not replace a real mat's).
        `keep_person=False`: likewise the per-person calibration in the state folder (the
        demo's simulated people are not the person who calibrated); a configured
        `detector.calibration_file` is still read, and a calibration is kept in memory."""
        self.cfg = cfg
        self.started_at = time.monotonic()
        self.state_dir = Path(cfg.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # The per-person calibration: the configured file, else <state_dir>/person.json.
        self.person_path = person_file(cfg)
        self.keep_person = keep_person
        self.hub = Hub()
        self.controls = Controls()
        self.pipeline = MatPipeline(
            cfg,
            first_set_id=self._load_next_set_id(),
            person_baseline=self._load_person_baseline(),
            tare_path=self.state_dir / TARE_FILE if keep_tare else None,
        )
        self.link = MatLink(cfg.mat.port, cfg.mat, self._on_message)
        self._stop = threading.Event()
        self._last_state_t = -1.0
        self._link_up: bool | None = None
        self.mqtt: Any = None
        if console:
            from matd.sinks.console import ConsoleSink

            self.hub.add(ConsoleSink())
        if cfg.mqtt.enabled:
            from matd.sinks.mqtt import MqttSink

            self.mqtt = MqttSink(cfg, self.controls, __version__, health_extra=self.health)
            self.hub.add(self.mqtt)

    def add_sink(self, sink: Sink) -> None:
        self.hub.add(sink)

    # ------------------------------------------------------------ the reader thread

    def _on_message(self, msg: Message) -> None:
        events = []
        for control in self.controls.drain():
            events += self.pipeline.apply(control)
        if isinstance(msg, Frame):
            events += self.pipeline.on_frame(msg)
        elif isinstance(msg, Hello):
            self.pipeline.on_hello(msg)
            log.info(
                "mat: %s fw %s, %dx%d cells, %d Hz, serial %016x",
                msg.board,
                msg.firmware,
                msg.rows,
                msg.cols,
                msg.rate_hz,
                msg.serial,
            )
        elif isinstance(msg, Log):
            log.log(LOG_LEVELS.get(msg.level, logging.INFO), "mat says: %s", msg.message)
        for ev in events:
            self.hub.publish_event(ev)
            if ev["event_type"] == "set_ended":
                self._save_next_set_id(ev["set_id"] + 1)
            elif ev["event_type"] == "calibration_done":
                self._save_calibration(ev)
        t = self.pipeline.detector.t
        if events or t - self._last_state_t >= STATE_EVERY_S or t < self._last_state_t:
            self._last_state_t = t
            self.hub.publish_state(self.state())

    # ------------------------------------------------------------ views

    def state(self) -> dict[str, Any]:
        state = self.pipeline.state()
        state["link_up"] = self.link.connected
        return state

    def health(self) -> dict[str, Any]:
        stats = self.link.stats
        hello = self.link.hello
        return {
            "version": __version__,
            "uptime_s": round(time.monotonic() - self.started_at, 1),
            "link_up": self.link.connected,
            "link_outages": self.link.outages,
            "frames_per_s": round(self.link.frames_per_s, 1),
            "frames": stats.frames,
            "crc_errors": stats.bad.get("crc", 0),
            "bad_packets": stats.bad_packets,
            "lost_frames": stats.lost_frames,
            "mat": {
                "board": hello.board,
                "firmware": hello.firmware,
                "rows": hello.rows,
                "cols": hello.cols,
                "serial": f"{hello.serial:016x}",
            }
            if hello
            else None,
            "sink_dropped_events": self.hub.dropped(),
            "tare_from_file": self.pipeline.tare_from_file,
        }

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.hub.start()
        self.link.start()
        threading.Thread(target=self._health_loop, name="health", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.link.stop()
        # The reader thread is gone: the calibrator is ours to read.
        self.pipeline.save_tare()
        self.hub.stop()

    def request_stop(self) -> None:
        self._stop.set()

    def run_forever(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._stop.set())
        self.start()
        try:
            while not self._stop.wait(0.5):
                pass
        finally:
            self.stop()
        return 0

    def _health_loop(self) -> None:
        interval = self.cfg.mqtt.health_interval_s
        next_at = 0.0
        while not self._stop.wait(0.5):
            up = self.link.connected
            now = time.monotonic()
            if up != self._link_up or now >= next_at:
                self._link_up = up
                next_at = now + interval
                self.hub.publish_health(self.health())
                if not up:
                    self.hub.publish_state(self.state())

    # ------------------------------------------------------------ state folder

    def _load_next_set_id(self) -> int:
        try:
            return int((self.state_dir / "next_set_id").read_text().strip())
        except (OSError, ValueError):
            return 1

    def _save_next_set_id(self, n: int) -> None:
        try:
            (self.state_dir / "next_set_id").write_text(f"{n}\n")
        except OSError as exc:
            log.warning("could not save the set counter: %s", exc)

    def _load_person_baseline(self) -> dict[str, float] | None:
        if not self.keep_person and not self.cfg.detector.calibration_file:
            return None
        return load_person_baseline(self.person_path)

    def _save_calibration(self, event: dict[str, Any]) -> None:
        if not self.keep_person:
            log.info("calibration kept in memory only (not saved by this run)")
            return
        try:
            saved = store_calibration(
                self.person_path,
                bool(event["knees"]),
                float(event["baseline_u"]),
                known=self.pipeline.detector.person_baseline,
            )
        except OSError as exc:
            log.warning("could not save the calibration to %s: %s", self.person_path, exc)
            return
        log.info("calibration saved to %s: %s", self.person_path, saved)
