"""A virtual mat that behaves like the firmware (PROTOCOL.md), on a pty, a TCP port or a file.

`VirtualMat` is the device's logic with time passed in: it boots (a lone 0x00, then
HELLO), scans its FrameSource on a schedule and answers host commands. The transports
below pace it by the wall clock (`serve_pty`, `serve_tcp`) or run it on simulated time as
fast as possible (`write_recording`).
"""

from __future__ import annotations

import logging
import math
import os
import select
import socket
import struct
import threading
import time
import tty
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from matd.sim.source import FrameSource, Geometry
from matd.wire.cobs import CobsError, cobs_decode
from matd.wire.messages import (
    PROTOCOL_VERSION,
    Ack,
    AckStatus,
    Command,
    Encoding,
    Frame,
    Hello,
    Log,
    Message,
    MsgType,
    pack,
)
from matd.wire.stream import StreamDecoder

log = logging.getLogger(__name__)

DEFAULT_SERIAL = 0x4D41_5453_494D_0001  # "MATSIM" and a unit number
MIN_RATE_HZ = 1
MAX_RATE_HZ = 1000
# Fallen further behind than this (the process was stopped, the machine stalled), the
# device picks its schedule up from now instead of bursting the backlog out.
MAX_BEHIND_S = 1.0
# Bytes the device holds for a host that is not reading; past this, scans are not sent
# (their sequence numbers are skipped, so the host counts them as lost, as with the real mat).
OUTPUT_LIMIT = 128 * 1024
POLL_S = 0.05  # longest sleep, so a stop request or a host leaving is seen promptly
HOST_WAIT_S = 0.02

COMMAND_TYPES = frozenset(
    {MsgType.GET_INFO, MsgType.SET_RATE, MsgType.START, MsgType.STOP, MsgType.SET_ENCODING}
)


@dataclass
class DeviceCounters:
    boots: int = 0
    frames_sent: int = 0  # handed to the transport
    frames_unsent: int = 0  # scanned while no host was there or the host was not reading
    commands: int = 0  # well-formed commands, answered with ACK done or bad argument
    rejected: int = 0  # packets answered with ACK unknown command or bad argument (length)


@dataclass(frozen=True, slots=True)
class _Rejected:
    """A packet with a sound CRC whose type is unknown or whose length is wrong."""

    kind: int


def _checked_type(packet: bytes) -> int | None:
    """The message type of a packet whose COBS, CRC and version are sound, else None."""
    try:
        raw = cobs_decode(packet)
    except CobsError:
        return None
    if len(raw) < 6:
        return None
    payload = raw[:-4]
    if zlib.crc32(payload) & 0xFFFFFFFF != int.from_bytes(raw[-4:], "little"):
        return None
    if payload[0] != PROTOCOL_VERSION:
        return None
    return payload[1]


class _CommandDecoder(StreamDecoder):
    """The reference decoder, also keeping the packets it rejected for their type alone,
    so that the device can answer an unknown command with ACK, as the firmware does."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Message | _Rejected] = []

    def _packet(self, packet: bytes) -> Message | None:
        msg = super()._packet(packet)
        if msg is not None:
            self.received.append(msg)
        else:
            kind = _checked_type(packet)
            if kind is not None:
                self.received.append(_Rejected(kind))
        return msg

    def take(self) -> list[Message | _Rejected]:
        out, self.received = self.received, []
        return out


def _message_type(msg: Message) -> int:
    if isinstance(msg, Command):
        return msg.type
    if isinstance(msg, Hello):
        return MsgType.HELLO
    if isinstance(msg, Frame):
        return MsgType.FRAME_SPARSE if msg.sparse else MsgType.FRAME_RAW
    if isinstance(msg, Log):
        return MsgType.LOG
    return MsgType.ACK


class VirtualMat:
    """The firmware's behaviour, with time (seconds on any monotonic clock) passed in.

    Device time in frames is the device's own clock: `t0_us` at boot, counting µs since,
    wrapping at 2^32. The source is rendered at seconds since the first boot, so it never
    sees time go backwards, even across reboots."""

    def __init__(
        self,
        source: FrameSource,
        rate_hz: int = 50,
        encoding: int = Encoding.RAW,
        serial: int = DEFAULT_SERIAL,
        board: str = "matd-sim",
        fw: tuple[int, int, int] = (0, 1, 0),
        t0_us: int = 0,
    ) -> None:
        if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
            raise ValueError(f"rate {rate_hz} Hz: must be {MIN_RATE_HZ} to {MAX_RATE_HZ}")
        if not board.isascii() or len(board) > 255:
            raise ValueError("board name: up to 255 ASCII characters")
        if not 0 <= serial < 1 << 64:
            raise ValueError("serial number: must fit in 64 bits")
        self.source = source
        self.boot_rate_hz = rate_hz
        self.boot_encoding = Encoding(encoding)
        self.serial = serial
        self.board = board
        self.fw = fw
        self.t0_us = t0_us & 0xFFFFFFFF
        self.counters = DeviceCounters()
        self.rate_hz = rate_hz
        self.encoding = self.boot_encoding
        self.streaming = False
        self.seq = 0
        self._boot_at = 0.0
        self._anchor_at = 0.0
        self._anchor_us = 0
        self._scans_since_anchor = 0
        self._last_scan_at: float | None = None
        self._source_origin: float | None = None
        self._commands = _CommandDecoder()

    @property
    def geometry(self) -> Geometry:
        return self.source.geometry

    @property
    def command_stats(self) -> dict[str, object]:
        """The counters of the host-command decoder (bad packets the device dropped)."""
        return self._commands.stats.as_dict()

    def hello(self) -> Hello:
        g = self.geometry
        return Hello(
            *self.fw,
            rows=g.rows,
            cols=g.cols,
            row_pitch_um=g.row_pitch_um,
            col_pitch_um=g.col_pitch_um,
            adc_bits=g.adc_bits,
            rate_hz=self.rate_hz,
            encoding=int(self.encoding),
            serial=self.serial,
            board=self.board,
        )

    # ------------------------------------------------------------ lifecycle

    def boot(self, now: float) -> bytes:
        """Power on at `now`: back to the boot settings, streaming. Returns what it sends."""
        self.counters.boots += 1
        self.rate_hz = self.boot_rate_hz
        self.encoding = self.boot_encoding
        self.streaming = True
        self.seq = 0
        self._boot_at = now
        self._anchor(now)
        self._last_scan_at = None
        self._commands = _CommandDecoder()
        if self._source_origin is None:
            self._source_origin = now
        # The lone 0x00 lets a host that joined mid-packet resynchronise (PROTOCOL.md).
        return b"\x00" + pack(self.hello())

    def device_time_us(self, at: float) -> int:
        """The device's clock at `at`."""
        return (self.t0_us + round((at - self._boot_at) * 1e6)) & 0xFFFFFFFF

    # ------------------------------------------------------------ scanning

    def _anchor(self, at: float) -> None:
        self._anchor_at = at
        # Scan k after the anchor is at anchor_us + k periods, rounded once per scan, so
        # device time neither drifts nor jitters (5 ms at 200 Hz is 5000 µs every time).
        self._anchor_us = round((at - self._boot_at) * 1e6)
        self._scans_since_anchor = 0

    def next_scan_at(self) -> float | None:
        """When the next scan starts, or None while stopped."""
        if not self.streaming:
            return None
        return self._anchor_at + self._scans_since_anchor / self.rate_hz

    def scan(self) -> bytes:
        """The packet of the scan due at next_scan_at(); advances the schedule."""
        at = self.next_scan_at()
        if at is None:
            raise RuntimeError("the mat is stopped: no scan is due")
        assert self._source_origin is not None
        cells = self.source.render(at - self._source_origin)
        g = self.geometry
        if cells.shape != (g.rows, g.cols):
            raise ValueError(f"source rendered {cells.shape}, geometry is {g.rows}x{g.cols}")
        scan_us = self._anchor_us + round(self._scans_since_anchor * 1e6 / self.rate_hz)
        packet = pack(
            Frame(
                self.seq,
                (self.t0_us + scan_us) & 0xFFFFFFFF,
                cells,
                sparse=self.encoding == Encoding.SPARSE,
            )
        )
        self._advance(at)
        self.counters.frames_sent += 1
        return packet

    def skip_scan(self) -> None:
        """The scan due now happens but cannot be sent: its sequence number is used up."""
        at = self.next_scan_at()
        if at is None:
            return
        self._advance(at)
        self.counters.frames_unsent += 1

    def _advance(self, at: float) -> None:
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        self._scans_since_anchor += 1
        self._last_scan_at = at

    def resume_if_behind(self, now: float) -> bool:
        """Re-anchor the schedule at `now` if it is more than MAX_BEHIND_S late."""
        due = self.next_scan_at()
        if due is None or now - due <= MAX_BEHIND_S:
            return False
        log.warning("virtual mat fell %.1f s behind; resuming from now", now - due)
        self._anchor(now)
        return True

    # ------------------------------------------------------------ host commands

    def receive(self, data: bytes, now: float) -> bytes:
        """Bytes from the host in; the device's answers (ACK, HELLO) out."""
        self._commands.feed(data)
        out = bytearray()
        for item in self._commands.take():
            if isinstance(item, _Rejected):
                self.counters.rejected += 1
                status = (
                    AckStatus.BAD_ARGUMENT
                    if item.kind in COMMAND_TYPES
                    else AckStatus.UNKNOWN_COMMAND
                )
                out += pack(Ack(item.kind, status))
            elif isinstance(item, Command):
                self.counters.commands += 1
                out += self._answer(item, now)
            else:
                self.counters.rejected += 1
                out += pack(Ack(_message_type(item), AckStatus.UNKNOWN_COMMAND))
        return bytes(out)

    def _answer(self, cmd: Command, now: float) -> bytes:
        done = pack(Ack(cmd.type, AckStatus.DONE))
        bad = pack(Ack(cmd.type, AckStatus.BAD_ARGUMENT))
        if cmd.type == MsgType.GET_INFO:
            return done + pack(self.hello())
        if cmd.type == MsgType.SET_RATE:
            (hz,) = struct.unpack("<H", cmd.arg)
            if not MIN_RATE_HZ <= hz <= MAX_RATE_HZ:
                return bad
            self.rate_hz = hz
            if self.streaming:
                # Keep the new spacing from the last scan, but never schedule in the past.
                last = self._last_scan_at
                self._anchor(now if last is None else max(now, last + 1.0 / hz))
            return done
        if cmd.type == MsgType.START:
            if not self.streaming:
                self.streaming = True
                self._anchor(now)
            return done
        if cmd.type == MsgType.STOP:
            self.streaming = False
            return done
        if cmd.type == MsgType.SET_ENCODING:
            if cmd.arg[0] not in (Encoding.RAW, Encoding.SPARSE):
                return bad
            self.encoding = Encoding(cmd.arg[0])
            return done
        return pack(Ack(cmd.type, AckStatus.UNKNOWN_COMMAND))


# ---------------------------------------------------------------- transports


class _HostGone(Exception):
    """The host closed the port or the connection."""


class _HostEnd(Protocol):
    def fileno(self) -> int: ...

    def recv(self) -> bytes: ...

    def send(self, data: bytes | bytearray) -> int: ...


class _PtyMaster:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def recv(self) -> bytes:
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return b""
        except OSError as exc:  # EIO: the host closed the slave side
            raise _HostGone(str(exc)) from None
        if not data:
            raise _HostGone("end of file")
        return data

    def send(self, data: bytes | bytearray) -> int:
        try:
            return os.write(self.fd, data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise _HostGone(str(exc)) from None


class _TcpClient:
    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn

    def fileno(self) -> int:
        return self.conn.fileno()

    def recv(self) -> bytes:
        try:
            data = self.conn.recv(65536)
        except BlockingIOError:
            return b""
        except OSError as exc:
            raise _HostGone(str(exc)) from None
        if not data:
            raise _HostGone("the client closed the connection")
        return data

    def send(self, data: bytes | bytearray) -> int:
        try:
            return self.conn.send(data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise _HostGone(str(exc)) from None


def _serve_host(
    mat: VirtualMat,
    host: _HostEnd,
    greeting: bytes,
    *,
    stop: threading.Event,
    until: float | None,
    clock: Callable[[], float],
    hangup_mask: int = 0,
    others: dict[int, Callable[[], None]] | None = None,
) -> bool:
    """Stream to one host until it leaves (False) or the run ends (True)."""
    out = bytearray(greeting)
    fd = host.fileno()
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    for other in others or {}:
        poller.register(other, select.POLLIN)
    try:
        while True:
            now = clock()
            if stop.is_set() or (until is not None and now >= until):
                return True
            mat.resume_if_behind(now)
            due = mat.next_scan_at()
            while due is not None and due <= now:
                if len(out) < OUTPUT_LIMIT:
                    out += mat.scan()
                else:
                    mat.skip_scan()
                due = mat.next_scan_at()
            if out:
                del out[: host.send(out)]
            wait = POLL_S
            if due is not None:
                wait = min(wait, due - now)
            if until is not None:
                wait = min(wait, until - now)
            poller.modify(fd, select.POLLIN | (select.POLLOUT if out else 0))
            ready = poller.poll(max(0, math.ceil(wait * 1000)))
            # The host first: if it has just left, a newcomer waiting on another socket
            # is the next host, not one to turn away.
            for ready_fd, events in sorted(ready, key=lambda r: r[0] != fd):
                if ready_fd != fd:
                    (others or {})[ready_fd]()
                    continue
                if events & select.POLLIN:
                    data = host.recv()
                    if data:
                        out += mat.receive(data, clock())
                if events & (hangup_mask | select.POLLERR | select.POLLNVAL):
                    raise _HostGone("hang-up")
    except _HostGone as exc:
        log.info("virtual mat: host gone (%s)", exc)
        return False


def _make_link(target: str, link_path: str) -> None:
    """Point link_path at target atomically (an older link from a killed run is replaced)."""
    tmp = f"{link_path}.{os.getpid()}.tmp"
    os.symlink(target, tmp)
    os.replace(tmp, link_path)


def _remove_link(target: str, link_path: str) -> None:
    try:
        if os.readlink(link_path) == target:
            os.unlink(link_path)
    except OSError:
        pass


def _pty_host_present(master: int) -> bool:
    poller = select.poll()
    poller.register(master, select.POLLIN)
    return not any(ev & select.POLLHUP for _, ev in poller.poll(0))


def _idle(mat: VirtualMat, now: float) -> None:
    """No host: the mat scans on, but nothing can be sent."""
    mat.resume_if_behind(now)
    due = mat.next_scan_at()
    while due is not None and due <= now:
        mat.skip_scan()
        due = mat.next_scan_at()


def serve_pty(
    mat: VirtualMat,
    *,
    stop: threading.Event,
    on_ready: Callable[[str], None],
    link_path: str | None = None,
    seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Be a serial device on a new pty until `stop` is set or `seconds` have passed.

    The mat boots when the pty appears; a host that opens the port later gets the boot
    greeting first, then live frames. While no host has the port open the mat scans on
    but sends nothing, as a USB mat does with its port closed."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    try:
        # Raw on the device's side too: no echo, no line editing, no CR/LF mapping, even
        # for bytes that arrive before the host's own serial setup.
        tty.setraw(slave)
        # Without our own handle on the slave, the master reports POLLHUP while no host
        # has the port open: that is how the device tells a host is there.
        os.close(slave)
        os.set_blocking(master, False)
        if link_path:
            _make_link(path, link_path)
        on_ready(path)
        started = clock()
        until = None if seconds is None else started + seconds
        greeting = mat.boot(started)
        while not stop.is_set():
            now = clock()
            if until is not None and now >= until:
                break
            if not _pty_host_present(master):
                _idle(mat, now)
                stop.wait(HOST_WAIT_S)
                continue
            log.info("virtual mat: a host opened %s", path)
            # A lone 0x00 starts every host's stream on a packet boundary.
            done = _serve_host(
                mat,
                _PtyMaster(master),
                greeting or b"\x00",
                stop=stop,
                until=until,
                clock=clock,
                hangup_mask=select.POLLHUP,
            )
            greeting = b""
            if done:
                break
    finally:
        if link_path:
            _remove_link(path, link_path)
        os.close(master)


def serve_tcp(
    mat: VirtualMat,
    *,
    stop: threading.Event,
    on_ready: Callable[[int], None],
    port: int = 0,
    host: str = "127.0.0.1",
    seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Be a mat behind a TCP port (pyserial's socket://). One client at a time; each new
    client powers the mat up afresh (a lone 0x00, HELLO, frames from sequence 0)."""
    with socket.create_server((host, port)) as server:
        server.setblocking(False)
        on_ready(server.getsockname()[1])
        started = clock()
        until = None if seconds is None else started + seconds

        current: list[socket.socket] = []

        def refuse() -> None:
            if current and _peer_closed(current[0]):
                return  # the host is leaving; the newcomer will be served next
            try:
                extra, peer = server.accept()
            except BlockingIOError:
                return
            log.warning("virtual mat: refused %s, another host is connected", peer)
            extra.close()

        while not stop.is_set():
            now = clock()
            if until is not None and now >= until:
                break
            ready, _, _ = select.select([server], [], [], POLL_S)
            if not ready:
                continue
            try:
                conn, peer = server.accept()
            except BlockingIOError:
                continue
            log.info("virtual mat: host %s connected", peer)
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            current[:] = [conn]
            try:
                done = _serve_host(
                    mat,
                    _TcpClient(conn),
                    mat.boot(clock()),
                    stop=stop,
                    until=until,
                    clock=clock,
                    others={server.fileno(): refuse},
                )
            finally:
                current.clear()
                conn.close()
            if done:
                break


def _peer_closed(conn: socket.socket) -> bool:
    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def write_recording(mat: VirtualMat, out: BinaryIO, seconds: float) -> int:
    """Boot, then write exactly round(seconds × rate) frames on simulated time, as fast as
    possible: the bytes a host would have recorded. Returns the number of frames."""
    n = round(seconds * mat.rate_hz)
    out.write(mat.boot(0.0))
    for _ in range(n):
        out.write(mat.scan())
    return n
