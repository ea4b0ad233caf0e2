"""`matd eval DIR`: scores the detector against a corpus's ground truth."""

from __future__ import annotations

import argparse
import json
import os
import sys

from matd.config import load_config
from matd.degrade import DEGRADATIONS
from matd.evaluate import evaluate


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eval", help="score the detector on a corpus with ground truth")
    p.add_argument("directory", help="folder of NAME.bin recordings with NAME.json truth")
    p.add_argument("--config", help="TOML configuration (detector thresholds)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--cases", action="store_true", help="also print each case's notes")
    p.add_argument(
        "--degrade",
        choices=sorted(DEGRADATIONS),
        help="remove what other mats or recordings may not show (docs/accuracy.md)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    try:
        summary, scores = evaluate(args.directory, cfg, jobs=args.jobs, degrade=args.degrade)
    except FileNotFoundError as exc:
        print(f"matd eval: {exc}", file=sys.stderr)
        return 2
    if args.cases:
        for s in scores:
            if s.notes:
                print(json.dumps({"case": s.name, "notes": s.notes}))
    print(json.dumps({"summary": summary}, indent=2))
    return 0
