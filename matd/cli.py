"""The `matd` command line: one module per subcommand in matd/commands/."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from matd import __version__
from matd.config import ConfigError
from matd.native import NativeMissing

COMMANDS = (
    "run",
    "demo",
    "calibrate",
    "simulate",
    "record",
    "replay",
    "info",
    "bench",
    "eval",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matd", description="the smart push-up mat daemon")
    parser.add_argument("--version", action="version", version=f"matd {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"matd.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"matd.commands.{name}":
                raise
            continue  # a command not built yet
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"matd: {exc}", file=sys.stderr)
        return 2
    except NativeMissing as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
