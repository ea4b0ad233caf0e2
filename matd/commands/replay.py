"""`matd replay FILE`: decode a recording and print what it holds as JSON lines.

stdout carries only JSON lines: one per event the frame hook raises, then a last line
{"summary": {...}}. Everything else (the mat's HELLO and LOG messages, errors) goes to
stderr. The loop is decode -> per-frame hook; the hook is where the detector sits
(anything with on_hello / on_frame / finish, as matd.pipeline.MatPipeline has).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TextIO

from matd.clock import DeviceClock
from matd.recording import decode_recording
from matd.wire.decoder import Impl
from matd.wire.messages import Frame, Hello, Log

log = logging.getLogger("matd.replay")

# Device LOG levels (PROTOCOL.md) onto Python logging levels.
_DEVICE_LOG_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}


class FrameHook(Protocol):
    """What the replay loop hands each message to; returns the events to print."""

    def on_hello(self, hello: Hello) -> None: ...

    def on_frame(self, frame: Frame) -> list[dict[str, Any]]: ...

    def finish(self) -> list[dict[str, Any]]: ...


class DecodeOnly:
    """The hook when no detector is plugged in: no events."""

    def on_hello(self, hello: Hello) -> None:
        pass

    def on_frame(self, frame: Frame) -> list[dict[str, Any]]:
        return []

    def finish(self) -> list[dict[str, Any]]:
        return []


class DevicePacer:
    """Holds each frame back until its device time has passed on the wall clock.

    Device time wraps at 2^32 µs and jumps when the mat reboots; DeviceClock turns it into
    seconds that only go forward, the same way the live pipeline does."""

    def __init__(
        self,
        speed: float = 1.0,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._clock = DeviceClock()
        self._now = now
        self._sleep = sleep
        self._start: tuple[float, float] | None = None  # (device seconds, wall seconds)

    def wait(self, device_time_us: int) -> None:
        t = self._clock.to_seconds(device_time_us)
        if self._start is None:
            self._start = (t, self._now())
            return
        t0, wall0 = self._start
        delay = wall0 + (t - t0) / self.speed - self._now()
        if delay > 0:
            self._sleep(delay)


def replay(
    path: Path | str,
    *,
    impl: Impl = "compiled",
    hook: FrameHook | None = None,
    realtime: bool = False,
    speed: float = 1.0,
    out: TextIO = sys.stdout,
) -> dict[str, Any]:
    """Decode the recording through the hook, print events and the summary; return it."""
    hook = hook if hook is not None else DecodeOnly()
    recording = decode_recording(path, impl)
    pacer = DevicePacer(speed) if realtime else None
    sets = reps = 0

    def emit(line: Mapping[str, Any]) -> None:
        out.write(json.dumps(line, separators=(",", ":")) + "\n")

    for msg in recording.messages():
        if isinstance(msg, Frame):
            if pacer is not None:
                pacer.wait(msg.device_time_us)
            events = hook.on_frame(msg)
        elif isinstance(msg, Hello):
            log.info(
                "mat %dx%d, firmware %s, %d Hz, board %r",
                msg.rows,
                msg.cols,
                msg.firmware,
                msg.rate_hz,
                msg.board,
            )
            hook.on_hello(msg)
            continue
        elif isinstance(msg, Log):
            log.log(_DEVICE_LOG_LEVELS.get(msg.level, logging.INFO), "mat says: %s", msg.message)
            continue
        else:
            continue
        for event in events:
            sets += event.get("event_type") == "set_ended"
            reps += event.get("event_type") == "rep"
            emit(event)
    for event in hook.finish():
        sets += event.get("event_type") == "set_ended"
        reps += event.get("event_type") == "rep"
        emit(event)
    stats = recording.stats
    summary = {
        "frames": stats.frames,
        "bad_packets": stats.bad_packets,
        "lost_frames": stats.lost_frames,
        "sets": sets,
        "reps": reps,
        "bad": dict(stats.bad),
        "decode_s": round(recording.decode_s, 6),
    }
    emit({"summary": summary})
    out.flush()
    return summary


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("replay", help="decode a recording; print JSON lines and a summary")
    p.add_argument("file", help="a recording: the mat's raw serial bytes")
    p.add_argument(
        "--impl",
        choices=("compiled", "reference"),
        default="compiled",
        help="the stream decoder: compiled (default) or the pure-Python reference",
    )
    p.add_argument(
        "--realtime",
        action="store_true",
        help="pace the frames by their device time instead of as fast as possible",
    )
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="with --realtime, play X times faster than recorded",
    )
    p.add_argument("--config", metavar="FILE", help="TOML configuration (detector thresholds)")
    p.add_argument(
        "--decode-only",
        action="store_true",
        help="decode and count only, without calibration and the detector",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.speed <= 0:
        print("matd replay: --speed must be positive", file=sys.stderr)
        return 2
    hook: FrameHook | None = None
    if not args.decode_only:
        from matd.config import load_config
        from matd.pipeline import MatPipeline

        hook = MatPipeline(load_config(args.config), impl=args.impl, keep_pressure=False)
    try:
        replay(args.file, impl=args.impl, hook=hook, realtime=args.realtime, speed=args.speed)
    except OSError as exc:
        print(f"matd replay: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
