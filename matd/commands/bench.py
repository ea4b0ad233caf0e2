"""`matd bench`: times each compiled kernel beside its NumPy/SciPy reference."""

from __future__ import annotations

import argparse
import json
import sys

from matd.bench import format_report, run_bench


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bench", help="time the compiled kernels, analyzer and wire decoder against the reference"
    )
    p.add_argument("--quick", action="store_true", help="few frames and repeats: a smoke run")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--repeats", type=int, metavar="N", help="interleaved runs, best kept")
    p.add_argument("--frames", type=int, metavar="N", help="push-up frames per run")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for flag in ("repeats", "frames"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            print(f"matd bench: --{flag} must be 1 or more", file=sys.stderr)
            return 2
    report = run_bench(quick=args.quick, repeats=args.repeats, frames=args.frames)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(format_report(report))
    return 0
