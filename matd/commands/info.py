"""`matd info`: ask the mat for HELLO and print it."""

from __future__ import annotations

import argparse
import json
import sys

from matd.config import load_config
from matd.link import NoHello, ask_hello, check_port, find_mat
from matd.wire.messages import Encoding, Hello


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("info", help="ask the mat for HELLO and print it")
    p.add_argument(
        "--port", help="device path or pyserial URL (default: probe the USB serial ports)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for HELLO")
    p.add_argument("--config", metavar="FILE", help="TOML configuration file (the [mat] keys)")
    p.set_defaults(func=info)


def hello_fields(port: str, hello: Hello) -> dict[str, object]:
    return {
        "port": port,
        "board": hello.board,
        "serial": f"{hello.serial:016x}",
        "firmware": hello.firmware,
        "rows": hello.rows,
        "cols": hello.cols,
        "row_pitch_um": hello.row_pitch_um,
        "col_pitch_um": hello.col_pitch_um,
        "adc_bits": hello.adc_bits,
        "rate_hz": hello.rate_hz,
        "encoding": Encoding(hello.encoding).name.lower()
        if hello.encoding in (0, 1)
        else hello.encoding,
    }


def hello_text(port: str, hello: Hello) -> str:
    f = hello_fields(port, hello)
    width_m = hello.rows * hello.row_pitch_um * 1e-6
    length_m = hello.cols * hello.col_pitch_um * 1e-6
    lines = [
        ("port", f["port"]),
        ("board", f["board"]),
        ("serial", f["serial"]),
        ("firmware", f["firmware"]),
        ("grid", f"{hello.rows} rows x {hello.cols} cols"),
        (
            "pitch",
            f"{hello.row_pitch_um / 1000:g} mm between rows, "
            f"{hello.col_pitch_um / 1000:g} mm between cols",
        ),
        ("size", f"{width_m:.2f} m across x {length_m:.2f} m along"),
        ("adc", f"{hello.adc_bits} bits"),
        ("rate", f"{hello.rate_hz} Hz"),
        ("encoding", f["encoding"]),
    ]
    return "\n".join(f"{name:<10}{value}" for name, value in lines)


def info(args: argparse.Namespace) -> int:
    cfg = load_config(args.config).mat
    if args.port is not None:
        check_port(args.port)
        try:
            hello = ask_hello(args.port, cfg, args.timeout)
        except NoHello as exc:
            print(f"matd: {exc}", file=sys.stderr)
            return 1
        port = args.port
    else:
        found = find_mat(cfg, args.timeout)
        if found is None:
            print("matd: no mat answered GET_INFO on the USB serial ports", file=sys.stderr)
            return 1
        port, hello = found.port, found.hello
    if args.json:
        print(json.dumps(hello_fields(port, hello)))
    else:
        print(hello_text(port, hello))
    return 0
