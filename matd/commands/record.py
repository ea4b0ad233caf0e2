"""`matd record`: save the exact bytes the mat sends, for `matd replay`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time

from matd.config import load_config
from matd.link import MatLink
from matd.wire.messages import Message
from matd.wire.stream import StreamDecoder

log = logging.getLogger("matd.record")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "record",
        help="save the exact bytes that arrive from the mat, for replay",
        description="Connects like the daemon (GET_INFO, START; reconnects if the mat is "
        "unplugged) and writes what the mat sends, from its first packet boundary, to FILE.",
    )
    p.add_argument("--port", required=True, help="device path or pyserial URL of the mat")
    p.add_argument("--out", required=True, metavar="FILE", help="the recording to write")
    p.add_argument("--seconds", type=float, help="stop after this long (default: until killed)")
    p.add_argument("--config", metavar="FILE", help="TOML configuration file (the [mat] keys)")
    p.set_defaults(func=record)


def record(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    write_errors: list[OSError] = []
    try:
        out = open(args.out, "wb")  # noqa: SIM115 - closed below, after the link stops
    except OSError as exc:
        print(f"matd: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    def keep(data: bytes) -> None:
        try:
            out.write(data)
        except OSError as exc:
            write_errors.append(exc)
            stop.set()

    def ignore(_msg: Message) -> None:
        pass

    # The recording is the product; the counters are a summary, and the reference decoder
    # keeps `record` working on a checkout without the compiled module.
    link = MatLink(args.port, cfg.mat, ignore, StreamDecoder, on_bytes=keep)
    started = time.monotonic()
    link.start()
    try:
        stop.wait(args.seconds)
    finally:
        link.stop()
        out.close()
    s = link.stats
    log.info(
        "recorded %d bytes in %.1f s from %s to %s: %d frames, %d bad packets, %d lost frames",
        s.bytes,
        time.monotonic() - started,
        args.port,
        args.out,
        s.frames,
        s.bad_packets,
        s.lost_frames,
    )
    if write_errors:
        print(f"matd: writing {args.out} failed: {write_errors[0]}", file=sys.stderr)
        return 1
    if s.bytes == 0:
        print(f"matd: nothing arrived from {args.port}", file=sys.stderr)
        return 1
    return 0
