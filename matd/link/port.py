"""Opening the mat's port: a device path (/dev/ttyACM0, /dev/smartmat) or a pyserial URL."""

from __future__ import annotations

import os
import select

import serial
from serial.urlhandler import protocol_socket

from matd.config import ConfigError, MatConfig

READ_TIMEOUT_S = 0.1  # how long a read waits, so the reader notices stop() and vanished paths
SOCKET_CHUNK = 65536
WRITE_TIMEOUT_S = 1.0  # a port that takes no bytes for this long is treated as gone

# What opening, reading or writing a port that went away raises (SerialException is an
# OSError; ValueError comes from pyserial for a URL it cannot parse).
PORT_ERRORS = (serial.SerialException, OSError, ValueError)


def is_device_path(port: str) -> bool:
    return "://" not in port


def check_port(port: str) -> None:
    """Reject a URL whose scheme pyserial does not know, before any attempt to open it."""
    if is_device_path(port):
        return
    try:
        serial.serial_for_url(port, do_not_open=True)
    except (ValueError, serial.SerialException) as exc:
        raise ConfigError(f"config key 'mat.port': {exc}") from None


def open_port(port: str, cfg: MatConfig) -> serial.SerialBase:
    """Open the port for reading with a short timeout. Raises one of PORT_ERRORS."""
    kwargs: dict[str, object] = {
        "baudrate": cfg.baudrate,
        "timeout": READ_TIMEOUT_S,
        "write_timeout": WRITE_TIMEOUT_S,
    }
    if is_device_path(port):
        # Two readers on one tty would each get half the bytes: refuse to share it.
        kwargs["exclusive"] = True
        return serial.serial_for_url(port, **kwargs)
    if port.startswith("socket://"):
        kwargs["timeout"] = 0  # read_some() waits on the socket itself
        ser = _SocketPort(None, **kwargs)
        ser.port = port
        ser.open()
        return ser
    return serial.serial_for_url(port, **kwargs)


class _SocketPort(protocol_socket.Serial):
    """pyserial's socket:// port, keeping the bytes that arrive while it connects (pyserial
    discards them): a mat behind a TCP port boots when a host connects and sends its
    greeting (0x00, HELLO) at once, and a recording should start with it."""

    _opening = False

    def open(self) -> None:
        self._opening = True
        try:
            super().open()
        finally:
            self._opening = False

    def reset_input_buffer(self) -> None:
        if not self._opening:
            super().reset_input_buffer()


def read_some(ser: serial.SerialBase) -> bytes:
    """Wait up to READ_TIMEOUT_S for bytes, then return all that have arrived."""
    if isinstance(ser, protocol_socket.Serial):
        # A socket port's in_waiting says only whether anything is there (0 or 1), so
        # reading in_waiting bytes would take the stream one byte per call.
        ready, _, _ = select.select([ser.fileno()], [], [], READ_TIMEOUT_S)
        return ser.read(SOCKET_CHUNK) if ready else b""
    return ser.read(ser.in_waiting or 1)


def still_there(port: str, opened: serial.SerialBase) -> bool:
    """False when a device path no longer exists or now names another device (a replug
    that brought a new tty under the same name while the old handle stayed open)."""
    if not is_device_path(port):
        return True
    try:
        now = os.stat(port)
        held = os.fstat(opened.fileno())
    except OSError:
        return False
    return now.st_rdev == held.st_rdev
