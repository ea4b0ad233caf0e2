"""The messages of wire protocol version 1 (PROTOCOL.md) and their payload codec.

This is the pure-Python reference: it encodes (for the simulator, tests and
firmware vectors) and decodes. The compiled decoder (ext/wire.pyx) must agree.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from matd.wire.cobs import CobsError, cobs_decode, cobs_encode

PROTOCOL_VERSION = 1
MAX_PAYLOAD = 65536
MAX_UNDELIMITED = 66000  # bytes buffered without a 0x00 before they are dropped
MAX_CELLS = 32762


class MsgType(IntEnum):
    HELLO = 0x01
    FRAME_RAW = 0x02
    FRAME_SPARSE = 0x03
    LOG = 0x04
    ACK = 0x05
    GET_INFO = 0x81
    SET_RATE = 0x82
    START = 0x83
    STOP = 0x84
    SET_ENCODING = 0x85


class Encoding(IntEnum):
    RAW = 0
    SPARSE = 1


class AckStatus(IntEnum):
    DONE = 0
    UNKNOWN_COMMAND = 1
    BAD_ARGUMENT = 2


class BadPacket(ValueError):
    """A packet that must be dropped and counted; `reason` names the counter."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# Counter names for every way a packet can fail (one counter each, shown in health).
BAD_REASONS = ("cobs", "short", "crc", "version", "type", "length", "runs", "overflow")


@dataclass(frozen=True, slots=True)
class Hello:
    fw_major: int
    fw_minor: int
    fw_patch: int
    rows: int
    cols: int
    row_pitch_um: int
    col_pitch_um: int
    adc_bits: int
    rate_hz: int
    encoding: int
    serial: int
    board: str

    @property
    def firmware(self) -> str:
        return f"{self.fw_major}.{self.fw_minor}.{self.fw_patch}"


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One scan of the mat: raw ADC counts, row-major, rows across and cols along the mat."""

    seq: int
    device_time_us: int
    cells: npt.NDArray[np.uint16]
    sparse: bool = False

    @property
    def rows(self) -> int:
        return int(self.cells.shape[0])

    @property
    def cols(self) -> int:
        return int(self.cells.shape[1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frame):
            return NotImplemented
        return (
            self.seq == other.seq
            and self.device_time_us == other.device_time_us
            and self.cells.shape == other.cells.shape
            and bool(np.array_equal(self.cells, other.cells))
        )


@dataclass(frozen=True, slots=True)
class Log:
    level: int
    message: str


@dataclass(frozen=True, slots=True)
class Ack:
    command: int
    status: int


@dataclass(frozen=True, slots=True)
class Command:
    """Host to device. `arg` is the raw argument bytes (empty for most commands)."""

    type: int
    arg: bytes = field(default=b"")

    @staticmethod
    def get_info() -> Command:
        return Command(MsgType.GET_INFO)

    @staticmethod
    def start() -> Command:
        return Command(MsgType.START)

    @staticmethod
    def stop() -> Command:
        return Command(MsgType.STOP)

    @staticmethod
    def set_rate(hz: int) -> Command:
        return Command(MsgType.SET_RATE, struct.pack("<H", hz))

    @staticmethod
    def set_encoding(encoding: int) -> Command:
        return Command(MsgType.SET_ENCODING, bytes([encoding]))


Message = Hello | Frame | Log | Ack | Command

_HELLO = struct.Struct("<BBBBBBBHHBHBQB")  # header through the board name's length
_FRAME_HEADER = struct.Struct("<BBIIBB")


# ---------------------------------------------------------------- encoding


def encode_payload(msg: Message) -> bytes:
    if isinstance(msg, Hello):
        board = msg.board.encode("ascii")
        return (
            _HELLO.pack(
                PROTOCOL_VERSION,
                MsgType.HELLO,
                msg.fw_major,
                msg.fw_minor,
                msg.fw_patch,
                msg.rows,
                msg.cols,
                msg.row_pitch_um,
                msg.col_pitch_um,
                msg.adc_bits,
                msg.rate_hz,
                msg.encoding,
                msg.serial,
                len(board),
            )
            + board
        )
    if isinstance(msg, Frame):
        return encode_frame(msg.seq, msg.device_time_us, msg.cells, sparse=msg.sparse)
    if isinstance(msg, Log):
        return bytes([PROTOCOL_VERSION, MsgType.LOG, msg.level]) + msg.message.encode("utf-8")
    if isinstance(msg, Ack):
        return bytes([PROTOCOL_VERSION, MsgType.ACK, msg.command, msg.status])
    if isinstance(msg, Command):
        return bytes([PROTOCOL_VERSION, msg.type]) + msg.arg
    raise TypeError(f"not a wire message: {msg!r}")


def encode_frame(
    seq: int, device_time_us: int, cells: npt.NDArray[np.uint16], *, sparse: bool = False
) -> bytes:
    rows, cols = cells.shape
    kind = MsgType.FRAME_SPARSE if sparse else MsgType.FRAME_RAW
    header = _FRAME_HEADER.pack(
        PROTOCOL_VERSION, kind, seq & 0xFFFFFFFF, device_time_us & 0xFFFFFFFF, rows, cols
    )
    flat = np.ascontiguousarray(cells, dtype="<u2").ravel()
    if not sparse:
        return header + flat.tobytes()
    return header + _sparse_runs(flat)


def _sparse_runs(flat: npt.NDArray[np.uint16]) -> bytes:
    """Runs of (zeros, count, values); trailing zeros are left implicit."""
    out = bytearray()
    nz = np.flatnonzero(flat)
    if nz.size == 0:
        return b""
    i = 0
    n = int(nz[-1]) + 1
    while i < n:
        zeros = 0
        while i < n and flat[i] == 0 and zeros < 0xFFFF:
            zeros += 1
            i += 1
        start = i
        while i < n and flat[i] != 0 and i - start < 0xFFFF:
            i += 1
        out += struct.pack("<HH", zeros, i - start)
        out += flat[start:i].astype("<u2").tobytes()
    return bytes(out)


def pack(msg: Message | bytes) -> bytes:
    """The exact wire bytes of one packet: COBS(payload || CRC32) || 0x00."""
    payload = msg if isinstance(msg, bytes) else encode_payload(msg)
    crc = zlib.crc32(payload) & 0xFFFFFFFF
    return cobs_encode(payload + crc.to_bytes(4, "little")) + b"\x00"


# ---------------------------------------------------------------- decoding


def unpack(packet: bytes) -> Message:
    """Decode one packet (its bytes between delimiters). Raises BadPacket."""
    try:
        raw = cobs_decode(packet)
    except CobsError as exc:
        raise BadPacket("cobs", str(exc)) from None
    if len(raw) < 6:
        raise BadPacket("short", f"{len(raw)} bytes")
    payload, crc = raw[:-4], int.from_bytes(raw[-4:], "little")
    if zlib.crc32(payload) & 0xFFFFFFFF != crc:
        raise BadPacket("crc")
    if len(payload) > MAX_PAYLOAD:
        raise BadPacket("length", "payload over 65536 bytes")
    return decode_payload(payload)


def decode_payload(p: bytes) -> Message:
    if len(p) < 2:
        raise BadPacket("short")
    if p[0] != PROTOCOL_VERSION:
        raise BadPacket("version", f"version {p[0]}")
    kind = p[1]
    if kind == MsgType.HELLO:
        if len(p) < _HELLO.size:
            raise BadPacket("length", "HELLO too short")
        f = _HELLO.unpack_from(p)
        n = f[13]
        if len(p) != _HELLO.size + n:
            raise BadPacket("length", "HELLO board name length")
        board = p[_HELLO.size :]
        if any(b > 0x7F for b in board):
            raise BadPacket("length", "HELLO board name is not ASCII")
        major, minor, patch, rows, cols, row_pitch, col_pitch, adc_bits, rate, encoding, serial = f[
            2:13
        ]
        return Hello(
            major,
            minor,
            patch,
            rows,
            cols,
            row_pitch,
            col_pitch,
            adc_bits,
            rate,
            encoding,
            serial,
            board.decode("ascii"),
        )
    if kind in (MsgType.FRAME_RAW, MsgType.FRAME_SPARSE):
        return _decode_frame(p, sparse=kind == MsgType.FRAME_SPARSE)
    if kind == MsgType.LOG:
        if len(p) < 3:
            raise BadPacket("length", "LOG too short")
        return Log(p[2], p[3:].decode("utf-8", errors="replace"))
    if kind == MsgType.ACK:
        if len(p) != 4:
            raise BadPacket("length", "ACK length")
        return Ack(p[2], p[3])
    if kind in (MsgType.GET_INFO, MsgType.START, MsgType.STOP):
        if len(p) != 2:
            raise BadPacket("length", "command takes no argument")
        return Command(kind)
    if kind == MsgType.SET_RATE:
        if len(p) != 4:
            raise BadPacket("length", "SET_RATE length")
        return Command(kind, p[2:])
    if kind == MsgType.SET_ENCODING:
        if len(p) != 3:
            raise BadPacket("length", "SET_ENCODING length")
        return Command(kind, p[2:])
    raise BadPacket("type", f"type 0x{kind:02x}")


def _decode_frame(p: bytes, *, sparse: bool) -> Frame:
    if len(p) < _FRAME_HEADER.size:
        raise BadPacket("length", "frame header")
    _, _, seq, t_us, rows, cols = _FRAME_HEADER.unpack_from(p)
    n = rows * cols
    if rows == 0 or cols == 0 or n > MAX_CELLS:
        raise BadPacket("length", f"grid {rows}x{cols}")
    body = p[_FRAME_HEADER.size :]
    if not sparse:
        if len(body) != 2 * n:
            raise BadPacket("length", "raw frame size")
        cells = np.frombuffer(body, dtype="<u2").astype(np.uint16).reshape(rows, cols)
        return Frame(seq, t_us, cells, sparse=False)
    flat = np.zeros(n, dtype=np.uint16)
    i = 0
    pos = 0
    while i < len(body):
        if i + 4 > len(body):
            raise BadPacket("runs", "truncated run header")
        zeros, count = struct.unpack_from("<HH", body, i)
        i += 4
        if i + 2 * count > len(body):
            raise BadPacket("runs", "truncated run values")
        pos += zeros
        if pos + count > n:
            raise BadPacket("runs", "runs address past the grid")
        flat[pos : pos + count] = np.frombuffer(body, dtype="<u2", count=count, offset=i)
        pos += count
        i += 2 * count
    return Frame(seq, t_us, flat.reshape(rows, cols), sparse=True)
