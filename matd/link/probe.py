"""Finding the mat when no port is configured: rank the serial ports, ask each for HELLO."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from matd.config import MatConfig
from matd.link.port import PORT_ERRORS, open_port, read_some
from matd.wire.messages import Command, Hello, pack
from matd.wire.stream import StreamDecoder

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 0.5  # a mat answers GET_INFO within milliseconds


class NoHello(Exception):
    """The port could not be opened or did not answer GET_INFO with HELLO in time."""


@dataclass(frozen=True, slots=True)
class FoundMat:
    port: str
    hello: Hello


def _natural(device: str) -> list[int | str]:
    """ttyACM2 before ttyACM10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", device) if part]


def rank_ports(ports: Iterable[ListPortInfo], usb_vid: int, usb_pid: int) -> list[str]:
    """Device paths worth probing, best first: the mat's own USB ids, then any other USB
    serial device. Ports without USB ids (built-in UARTs) are left out: probing them is
    slow and a mat on a UART is given by its path."""
    ours: list[ListPortInfo] = []
    other_usb: list[ListPortInfo] = []
    for p in ports:
        if p.vid is None:
            continue
        (ours if (p.vid, p.pid) == (usb_vid, usb_pid) else other_usb).append(p)
    return [
        p.device
        for group in (ours, other_usb)
        for p in sorted(group, key=lambda p: _natural(p.device))
    ]


def ask_hello(
    port: str, cfg: MatConfig, timeout: float, stop: threading.Event | None = None
) -> Hello:
    """Open the port, send GET_INFO and wait for HELLO. Raises NoHello saying why not."""
    try:
        ser = open_port(port, cfg)
    except PORT_ERRORS as exc:
        raise NoHello(f"cannot open {port}: {exc}") from None
    # A handful of packets at most: the reference decoder is quick enough here.
    decoder = StreamDecoder()
    try:
        ser.write(pack(Command.get_info()))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            for msg in decoder.feed(read_some(ser)):
                if isinstance(msg, Hello):
                    return msg
    except PORT_ERRORS as exc:
        raise NoHello(f"{port}: {exc}") from None
    finally:
        with contextlib.suppress(*PORT_ERRORS):
            ser.close()
    heard = decoder.stats.bytes
    raise NoHello(
        f"no HELLO from {port} within {timeout:g} s"
        + (f" ({heard} bytes heard, none a HELLO)" if heard else " (it sent nothing)")
    )


def probe_ports(
    ports: Sequence[str],
    cfg: MatConfig,
    timeout: float = PROBE_TIMEOUT_S,
    stop: threading.Event | None = None,
) -> FoundMat | None:
    """The first of `ports`, in order, that answers GET_INFO with HELLO."""
    for port in ports:
        if stop and stop.is_set():
            return None
        try:
            hello = ask_hello(port, cfg, timeout, stop)
        except NoHello as exc:
            log.debug("probe: %s", exc)
            continue
        log.info("found the mat on %s: %s, serial %016x", port, hello.board, hello.serial)
        return FoundMat(port, hello)
    return None


def find_mat(
    cfg: MatConfig, timeout: float = PROBE_TIMEOUT_S, stop: threading.Event | None = None
) -> FoundMat | None:
    """Probe this machine's USB serial ports (cfg.usb_vid/usb_pid first); `timeout` is the
    wait for each port's HELLO."""
    return probe_ports(
        rank_ports(list_ports.comports(), cfg.usb_vid, cfg.usb_pid), cfg, timeout, stop
    )
