"""`matd calibrate`: save this person's good-form baseline from a plank held still for 3 s.

It reads the mat itself (the port as `matd run` takes it: a device path, a pyserial URL,
or none to probe the USB serial ports), so the daemon must not hold the port meanwhile;
with the daemon running, use MQTT `…/cmd/calibrate` or Home Assistant's button instead.
Instructions go to stderr; stdout gets one JSON line, the `calibration_done` event (plus
`file`, where it was saved) or `calibration_failed`. Exit 0 when saved, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import queue
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matd.config import ConfigError, load_config
from matd.controls import Controls
from matd.detector.calibration import GIVE_UP_S, STEADY_S
from matd.detector.events import Event, make_event, utc_now_iso
from matd.person import load_person_baseline, person_file, store_calibration, support_key
from matd.wire import Frame, Hello, Message

if TYPE_CHECKING:
    from matd.link import MatLink
    from matd.pipeline import MatPipeline

log = logging.getLogger("matd.calibrate")

# The calibration itself gives up after GIVE_UP_S of the mat's time; this also covers a
# mat that never sends a frame.
DEFAULT_TIMEOUT_S = GIVE_UP_S + 15.0
OUTCOMES = ("calibration_done", "calibration_failed")

REASON_TEXT = {
    "rep_started": "a push-up was started; a still plank is needed",
    "plank_ended": "the plank ended before it was held still for long enough",
    "timeout": "no steady plank in time",
    "no_frames": "no frames came from the mat",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "calibrate",
        help="save your good-form baseline: hold a good plank for 3 s",
        description="Reads the mat, waits for a plank held still for 3 s and saves its "
        "hands' share as your good-form baseline (detector.calibration_file, else "
        "<state_dir>/person.json), one per support (toes, knees). Prints one JSON line.",
    )
    p.add_argument(
        "--port", help="device path or pyserial URL of the mat (default: probe USB; mat.port)"
    )
    p.add_argument("--config", metavar="FILE", help="TOML configuration file")
    p.add_argument("--state-dir", metavar="DIR", help="where person.json goes (state_dir)")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"give up after this many seconds (default {DEFAULT_TIMEOUT_S:g})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    over: dict[str, Any] = {}
    if args.port is not None:
        over["mat"] = {"port": args.port}
    if args.state_dir is not None:
        over["state_dir"] = args.state_dir
    cfg = load_config(args.config, overrides=over)
    if not args.timeout > 0:
        raise ConfigError(f"--timeout: must be a positive number of seconds, got {args.timeout}")

    from matd.daemon import TARE_FILE
    from matd.link import MatLink
    from matd.pipeline import MatPipeline

    path = person_file(cfg)
    pipeline = MatPipeline(
        cfg,
        keep_pressure=False,
        person_baseline=load_person_baseline(path),
        # Read only (no tare is sent here): the mat reads right from its first frame even
        # when the person is on it already.
        tare_path=Path(cfg.state_dir) / TARE_FILE,
    )
    controls = Controls()
    outcomes: queue.Queue[Event] = queue.Queue()

    def on_message(msg: Message) -> None:
        events: list[Event] = []
        for control in controls.drain():
            events += pipeline.apply(control)
        if isinstance(msg, Frame):
            events += pipeline.on_frame(msg)
        elif isinstance(msg, Hello):
            pipeline.on_hello(msg)
        for ev in events:
            if ev["event_type"] in OUTCOMES:
                outcomes.put(ev)

    link = MatLink(cfg.mat.port, cfg.mat, on_message)
    say(
        "Get into a plank and hold it: palms under the shoulders, on your toes (or on your "
        f"knees, for knee push-ups), body straight and still for {STEADY_S:g} s. "
        f"Giving up after {GIVE_UP_S:g} s."
    )
    controls.calibrate()
    link.start()
    try:
        outcome = _wait(link, pipeline, outcomes, args.timeout)
    except KeyboardInterrupt:
        say("calibration: interrupted")
        return 1
    finally:
        link.stop()
    return _report(outcome, path, pipeline.detector.person_baseline)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _wait(
    link: MatLink, pipeline: MatPipeline, outcomes: queue.Queue[Event], timeout: float
) -> Event:
    deadline = time.monotonic() + timeout
    told_mat = told_plank = False
    while True:
        try:
            return outcomes.get(timeout=0.1)
        except queue.Empty:
            pass
        if not told_mat and pipeline.frames:
            told_mat = True
            say(f"mat found on {link.port_in_use}: waiting for your plank")
        if not told_plank and pipeline.calibration.holding:
            told_plank = True
            say(f"plank found: hold it still for {STEADY_S:g} s")
        if time.monotonic() >= deadline:
            reason = "timeout" if pipeline.frames else "no_frames"
            event = make_event("calibration_failed", pipeline.detector.t, None, reason=reason)
            event["ts"] = utc_now_iso()
            return event


def _report(event: Event, path: Path, known: dict[str, float]) -> int:
    if event["event_type"] != "calibration_done":
        print(json.dumps(event), flush=True)
        reason = str(event.get("reason"))
        say(f"calibration failed: {REASON_TEXT.get(reason, reason)}")
        return 1
    knees, u = bool(event["knees"]), float(event["baseline_u"])
    try:
        store_calibration(path, knees, u, known=known)
    except OSError as exc:
        print(json.dumps({**event, "file": None}), flush=True)
        say(f"calibration: could not save it to {path}: {exc}")
        return 1
    print(json.dumps({**event, "file": str(path)}), flush=True)
    say(f"calibrated: good plank on the {support_key(knees)} at u {u:.3f}, saved to {path}")
    return 0
