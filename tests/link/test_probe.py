"""Finding the mat with no port given: the ranking of ports and the GET_INFO probe."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from serial.tools.list_ports_common import ListPortInfo

from matd.config import MatConfig
from matd.link import NoHello, ask_hello, probe_ports, rank_ports

from .linkkit import DeviceThread

MAT_VID, MAT_PID = 0x1209, 0x4D41


def usb_port(device: str, vid: int | None, pid: int | None) -> ListPortInfo:
    port = ListPortInfo(device, skip_link_detection=True)
    port.vid, port.pid = vid, pid
    if vid is not None:
        port.apply_usb_info()
    return port


def test_the_mats_own_usb_ids_come_first_then_other_usb_then_nothing_else() -> None:
    ports = [
        usb_port("/dev/ttyS0", None, None),  # a built-in UART: never probed
        usb_port("/dev/ttyUSB0", 0x0403, 0x6001),  # some FTDI adapter
        usb_port("/dev/ttyACM10", MAT_VID, MAT_PID),
        usb_port("/dev/ttyACM3", 0x2341, 0x0043),  # an Arduino
        usb_port("/dev/ttyACM2", MAT_VID, MAT_PID),
        usb_port("/dev/ttyAMA0", None, None),
        usb_port("/dev/ttyACM4", MAT_VID, 0x0001),  # our vendor, another product
    ]
    assert rank_ports(ports, MAT_VID, MAT_PID) == [
        "/dev/ttyACM2",
        "/dev/ttyACM10",
        "/dev/ttyACM3",
        "/dev/ttyACM4",
        "/dev/ttyUSB0",
    ]
    assert rank_ports(ports[:1], MAT_VID, MAT_PID) == []


@pytest.fixture
def silent_pty() -> Iterator[str]:
    """A serial port with something on it that never answers."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    yield path
    os.close(master)


def test_the_probe_skips_a_silent_port_and_takes_the_mat(
    silent_pty: str, devices: Callable[..., DeviceThread]
) -> None:
    dev = devices()
    cfg = MatConfig()
    found = probe_ports([silent_pty, "/dev/no-such-tty", dev.where], cfg, timeout=0.3)
    assert found is not None
    assert found.port == dev.where
    assert found.hello == dev.mat.hello()
    first = probe_ports([dev.where, silent_pty], cfg, timeout=0.3)
    assert first is not None and first.port == dev.where


def test_no_mat_among_the_ports_is_none(silent_pty: str) -> None:
    assert probe_ports([silent_pty, "/dev/no-such-tty"], MatConfig(), timeout=0.2) is None
    assert probe_ports([], MatConfig(), timeout=0.2) is None


def test_asking_a_silent_port_says_why_there_is_no_hello(silent_pty: str) -> None:
    with pytest.raises(NoHello, match="it sent nothing"):
        ask_hello(silent_pty, MatConfig(), timeout=0.2)
    with pytest.raises(NoHello, match="cannot open /dev/no-such-tty"):
        ask_hello("/dev/no-such-tty", MatConfig(), timeout=0.2)


def test_the_mat_answers_the_probe_over_tcp(devices: Callable[..., DeviceThread]) -> None:
    dev = devices(tcp=True)
    hello = ask_hello(f"socket://127.0.0.1:{dev.port}", MatConfig(), timeout=5.0)
    assert hello == dev.mat.hello()
