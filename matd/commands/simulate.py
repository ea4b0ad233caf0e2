"""`matd simulate`: a virtual mat speaking the wire protocol on a pty, a TCP port or a file."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from types import ModuleType

from matd.config import ConfigError
from matd.sim.device import (
    DEFAULT_SERIAL,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    VirtualMat,
    serve_pty,
    serve_tcp,
    write_recording,
)
from matd.sim.patterns import PATTERNS, pattern_source
from matd.sim.source import FrameSource
from matd.wire.messages import Encoding

log = logging.getLogger("matd.simulate")

MODEL_DEFAULT = "demo"
FALLBACK_DEFAULT = "moving-blob"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "simulate",
        help="a virtual mat on a pty (prints its path), a TCP port or into a file",
        description="A virtual mat that behaves like the firmware. The first line on stdout "
        "is where it is (the pty's path, the TCP port, or the file); it then runs until "
        "killed or --seconds have passed.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="on a new pty (the default)")
    where.add_argument(
        "--tcp", type=int, metavar="PORT", help="behind a TCP port, one client at a time (0: any)"
    )
    where.add_argument(
        "--out", metavar="FILE", help="write a recording of --seconds, as fast as possible"
    )
    p.add_argument("--link", metavar="PATH", help="with --pty: a symlink to it, removed on exit")
    p.add_argument("--host", default="127.0.0.1", help="with --tcp: the address to listen on")
    p.add_argument(
        "--scenario",
        metavar="NAME",
        help=f"a scripted pattern ({', '.join(PATTERNS)}) or a scenario of the push-up "
        f"model (matd.sim.scenarios; default: its {MODEL_DEFAULT!r}, else {FALLBACK_DEFAULT!r})",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the scenario's randomness")
    p.add_argument("--rate", type=int, default=50, metavar="HZ", help="frames per second at boot")
    p.add_argument("--encoding", choices=("raw", "sparse"), default="raw", help="at boot")
    p.add_argument("--seconds", type=float, help="run this long (needed with --out)")
    p.add_argument(
        "--t0-us", type=int, default=0, metavar="N", help="device clock at boot, µs (wraps at 2^32)"
    )
    p.add_argument(
        "--serial", type=lambda s: int(s, 0), default=DEFAULT_SERIAL, help="serial number in HELLO"
    )
    p.set_defaults(func=simulate)


def _scenarios_module() -> ModuleType | None:
    """matd.sim.scenarios (the physical push-up model) if it is there."""
    try:
        return importlib.import_module("matd.sim.scenarios")
    except ModuleNotFoundError as exc:
        if exc.name != "matd.sim.scenarios":
            raise
        return None


def _model_names(module: ModuleType | None) -> list[str]:
    listed = getattr(module, "NAMES", None) or getattr(module, "SCENARIOS", None) or ()
    return [str(n) for n in listed]


def known_scenarios() -> list[str]:
    """Every name --scenario takes: the scripted patterns, then the model's scenarios."""
    return list(PATTERNS) + [n for n in _model_names(_scenarios_module()) if n not in PATTERNS]


def default_scenario() -> str:
    """The push-up model's endless demo when it is there, else a scripted pattern."""
    return MODEL_DEFAULT if MODEL_DEFAULT in _model_names(_scenarios_module()) else FALLBACK_DEFAULT


def resolve_source(name: str, seed: int) -> FrameSource:
    """The FrameSource called `name`: a scripted pattern first, else a model scenario."""
    if name in PATTERNS:
        return pattern_source(name, seed)
    module = _scenarios_module()
    if module is not None and name in _model_names(module):
        source, _truth = module.scenario_source(name, seed)
        return source
    raise ConfigError(f"--scenario: no scenario {name!r}; known: {', '.join(known_scenarios())}")


def simulate(args: argparse.Namespace) -> int:
    if args.out is not None and args.seconds is None:
        raise ConfigError("--out needs --seconds: how much of the mat to write")
    if args.link is not None and (args.tcp is not None or args.out is not None):
        raise ConfigError("--link goes with --pty only")
    if not MIN_RATE_HZ <= args.rate <= MAX_RATE_HZ:
        raise ConfigError(f"--rate: {args.rate} Hz; must be {MIN_RATE_HZ} to {MAX_RATE_HZ}")
    if args.seconds is not None and args.seconds < 0:
        raise ConfigError("--seconds: must not be negative")
    if not 0 <= args.serial < 1 << 64:
        raise ConfigError("--serial: must fit in 64 bits")
    mat = VirtualMat(
        resolve_source(args.scenario or default_scenario(), args.seed),
        rate_hz=args.rate,
        encoding=Encoding.SPARSE if args.encoding == "sparse" else Encoding.RAW,
        serial=args.serial,
        t0_us=args.t0_us,
    )

    def ready(where: object) -> None:
        print(where, flush=True)

    if args.out is not None:
        ready(args.out)
        try:
            with open(args.out, "wb") as fh:
                n = write_recording(mat, fh, args.seconds)
        except OSError as exc:
            print(f"matd: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        log.info("wrote %d frames (%g s at %d Hz) to %s", n, args.seconds, args.rate, args.out)
        return 0

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if args.tcp is not None:
            serve_tcp(
                mat, stop=stop, on_ready=ready, port=args.tcp, host=args.host, seconds=args.seconds
            )
        else:
            serve_pty(mat, stop=stop, on_ready=ready, link_path=args.link, seconds=args.seconds)
    except OSError as exc:
        print(f"matd: virtual mat: {exc}", file=sys.stderr)
        return 1
    c = mat.counters
    log.info(
        "virtual mat off: %d boots, %d frames sent, %d scanned unsent, %d commands, %d rejected",
        c.boots,
        c.frames_sent,
        c.frames_unsent,
        c.commands,
        c.rejected,
    )
    return 0
