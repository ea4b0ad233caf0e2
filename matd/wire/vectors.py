"""The wire protocol's test vectors, and a synthetic recording for decoder benchmarks.

Every implementation of PROTOCOL.md (firmware C, host Cython, host pure Python) checks
itself against the same vectors, kept as JSON in tests/vectors/ (one file each). The
JSON is committed and is the source of truth; this module generated it and can again:

    python -m matd.wire.vectors tests/vectors
    python -m matd.wire.vectors --make-recording mat-10min.bin --minutes 10

A vector file holds
    name, description
    wire_hex      the exact bytes on the wire, with the 0x00 delimiter
    valid         whether a decoder yields a message from them
    message       the decoded message as JSON (see message_to_json), or null
    bad_reason    the counter a decoder bumps (BAD_REASONS), or null
and, for the sequence-number vectors only,
    after         the name of a vector whose wire is fed first into the same decoder
    lost_frames   the decoder's lost-frame count after both
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matd.wire.cobs import cobs_encode
from matd.wire.messages import (
    BAD_REASONS,
    MAX_UNDELIMITED,
    Ack,
    AckStatus,
    Command,
    Encoding,
    Frame,
    Hello,
    Log,
    Message,
    MsgType,
    encode_payload,
    pack,
)

# Grids with more cells than this are written as run lengths, not rows, to keep files small.
MAX_LISTED_CELLS = 4096


@dataclass(frozen=True)
class Vector:
    name: str
    description: str
    wire: bytes
    message: Message | None
    bad_reason: str | None = None
    after: str | None = None
    lost_frames: int | None = None

    @property
    def valid(self) -> bool:
        return self.message is not None


# ---------------------------------------------------------------- messages as JSON


def message_to_json(msg: Message) -> dict[str, object]:
    """The message as plain JSON: a "type" name (MsgType) and the message's fields."""
    if isinstance(msg, Hello):
        return {
            "type": "HELLO",
            "fw_major": msg.fw_major,
            "fw_minor": msg.fw_minor,
            "fw_patch": msg.fw_patch,
            "rows": msg.rows,
            "cols": msg.cols,
            "row_pitch_um": msg.row_pitch_um,
            "col_pitch_um": msg.col_pitch_um,
            "adc_bits": msg.adc_bits,
            "rate_hz": msg.rate_hz,
            "encoding": msg.encoding,
            "serial": msg.serial,
            "board": msg.board,
        }
    if isinstance(msg, Frame):
        out: dict[str, object] = {
            "type": "FRAME_SPARSE" if msg.sparse else "FRAME_RAW",
            "seq": msg.seq,
            "device_time_us": msg.device_time_us,
            "rows": msg.rows,
            "cols": msg.cols,
        }
        if msg.cells.size > MAX_LISTED_CELLS:
            out["cells_rle"] = cells_to_rle(msg.cells)
        else:
            out["cells"] = msg.cells.tolist()
        return out
    if isinstance(msg, Log):
        return {"type": "LOG", "level": msg.level, "message": msg.message}
    if isinstance(msg, Ack):
        return {"type": "ACK", "command": msg.command, "status": msg.status}
    if isinstance(msg, Command):
        out = {"type": MsgType(msg.type).name, "arg_hex": msg.arg.hex()}
        # The argument decoded too, for readers that don't want to parse arg_hex.
        if msg.type == MsgType.SET_RATE and len(msg.arg) == 2:
            out["hz"] = int.from_bytes(msg.arg, "little")
        if msg.type == MsgType.SET_ENCODING and len(msg.arg) == 1:
            out["encoding"] = msg.arg[0]
        return out
    raise TypeError(f"not a wire message: {msg!r}")


def message_from_json(obj: dict[str, object]) -> Message:
    kind = str(obj["type"])
    if kind == "HELLO":
        fields = {k: v for k, v in obj.items() if k != "type"}
        return Hello(**fields)  # type: ignore[arg-type]
    if kind in ("FRAME_RAW", "FRAME_SPARSE"):
        rows, cols = int(obj["rows"]), int(obj["cols"])  # type: ignore[call-overload]
        if "cells_rle" in obj:
            cells = cells_from_rle(obj["cells_rle"], rows, cols)  # type: ignore[arg-type]
        else:
            cells = np.array(obj["cells"], dtype=np.uint16).reshape(rows, cols)
        return Frame(
            int(obj["seq"]),  # type: ignore[call-overload]
            int(obj["device_time_us"]),  # type: ignore[call-overload]
            cells,
            sparse=kind == "FRAME_SPARSE",
        )
    if kind == "LOG":
        return Log(int(obj["level"]), str(obj["message"]))  # type: ignore[call-overload]
    if kind == "ACK":
        return Ack(int(obj["command"]), int(obj["status"]))  # type: ignore[call-overload]
    return Command(int(MsgType[kind]), bytes.fromhex(str(obj["arg_hex"])))


def cells_to_rle(cells: npt.NDArray[np.uint16]) -> list[list[int]]:
    """Row-major [value, count] pairs: how a C test rebuilds a big grid from a small file."""
    flat = cells.ravel()
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    counts = np.diff(np.r_[starts, flat.size])
    return [[int(flat[s]), int(n)] for s, n in zip(starts, counts, strict=True)]


def cells_from_rle(rle: Sequence[Sequence[int]], rows: int, cols: int) -> npt.NDArray[np.uint16]:
    flat = np.repeat(
        np.array([v for v, _ in rle], dtype=np.uint16), np.array([n for _, n in rle], dtype=np.intp)
    )
    return flat.reshape(rows, cols)


def vector_to_json(v: Vector) -> dict[str, object]:
    out: dict[str, object] = {
        "name": v.name,
        "description": v.description,
        "wire_hex": v.wire.hex(),
        "valid": v.valid,
        "message": None if v.message is None else message_to_json(v.message),
        "bad_reason": v.bad_reason,
    }
    if v.after is not None:
        out["after"] = v.after
        out["lost_frames"] = v.lost_frames
    return out


def vector_from_json(obj: dict[str, object]) -> Vector:
    message = obj["message"]
    lost = obj.get("lost_frames")
    return Vector(
        name=str(obj["name"]),
        description=str(obj["description"]),
        wire=bytes.fromhex(str(obj["wire_hex"])),
        message=None if message is None else message_from_json(message),  # type: ignore[arg-type]
        bad_reason=None if obj["bad_reason"] is None else str(obj["bad_reason"]),
        after=None if obj.get("after") is None else str(obj["after"]),
        lost_frames=None if lost is None else int(lost),  # type: ignore[call-overload]
    )


def dumps(obj: object, indent: int = 0) -> str:
    """JSON with one line per grid row: readable in a diff, yet small."""
    pad = "  " * (indent + 1)
    if isinstance(obj, dict) and obj:
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(obj, list) and obj and all(isinstance(x, list) for x in obj):
        rows = [pad + json.dumps(x, separators=(",", ":")) for x in obj]
        return "[\n" + ",\n".join(rows) + "\n" + "  " * indent + "]"
    return json.dumps(obj, ensure_ascii=False)


def load_vectors(directory: Path) -> list[Vector]:
    return [
        vector_from_json(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(directory.glob("*.json"))
    ]


def write_vectors(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for v in build_vectors():
        path = directory / f"{v.name}.json"
        path.write_text(dumps(vector_to_json(v)) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# ---------------------------------------------------------------- building the vectors


def wire_of_payload(payload: bytes) -> bytes:
    """A packet around any payload, valid or not (the CRC is right)."""
    return pack(payload)


def wire_with_crc(payload: bytes, crc: int) -> bytes:
    return cobs_encode(payload + crc.to_bytes(4, "little")) + b"\x00"


def _frame_payload(kind: MsgType, seq: int, t_us: int, rows: int, cols: int) -> bytes:
    return struct.pack("<BBIIBB", 1, kind, seq, t_us, rows, cols)


def _reference_cells(rows: int = 32, cols: int = 80, phase: int = 0) -> npt.NDArray[np.uint16]:
    """A deterministic 'hands and feet' grid: low noise plus four pressure blobs.

    Integer arithmetic only, so the committed vectors never depend on a random generator."""
    r = np.arange(rows)[:, None]
    c = np.arange(cols)[None, :]
    noise = (r * 7 + c * 13 + phase) % 5
    cells = noise.astype(np.int64)
    for br, bc, peak in ((9, 18, 2400), (22, 18, 2300), (12, 72, 900), (19, 72, 950)):
        d2 = (r - br) ** 2 + (c - bc) ** 2
        cells += np.where(d2 <= 9, peak - 200 * d2, 0)
    return cells.clip(0, 4095).astype(np.uint16)


def _blob_grid(rows: int, cols: int) -> npt.NDArray[np.uint16]:
    cells = np.zeros((rows, cols), dtype=np.uint16)
    cells[rows // 4 : rows // 4 + 3, cols // 5 : cols // 5 + 4] = 3000
    cells[3 * rows // 4, 4 * cols // 5 : 4 * cols // 5 + 6] = np.arange(1, 7, dtype=np.uint16)
    cells[-1, -1] = 65535
    return cells


def _log_with_run(level: int, run: int, tail: str = "") -> Log:
    """A LOG whose payload+CRC ends in exactly `run` non-zero bytes (tail empty), or whose
    first `run` bytes are non-zero and followed by the tail (tail starting with NUL)."""
    # version, type and level are 3 non-zero bytes; the CRC adds 4 at the end.
    for salt in range(1000):
        if tail:
            text = "".join(chr(ord("a") + (i + salt) % 26) for i in range(run - 3)) + tail
        else:
            text = "".join(chr(ord("a") + (i + salt) % 26) for i in range(run - 7))
        payload = encode_payload(Log(level, text))
        crc = (zlib.crc32(payload) & 0xFFFFFFFF).to_bytes(4, "little")
        if 0 not in crc:
            return Log(level, text)
    raise AssertionError("no CRC without a zero byte")  # pragma: no cover


def _valid(name: str, description: str, msg: Message, **kw: object) -> Vector:
    return Vector(name, description, pack(msg), msg, **kw)  # type: ignore[arg-type]


def _bad(name: str, description: str, wire: bytes, reason: str) -> Vector:
    assert reason in BAD_REASONS
    return Vector(name, description, wire, None, bad_reason=reason)


def build_vectors() -> list[Vector]:
    vs: list[Vector] = []
    v = vs.append
    F, S = MsgType.FRAME_RAW, MsgType.FRAME_SPARSE

    # -- device to host
    v(
        _valid(
            "hello_reference_mat",
            "HELLO of the reference mat: 32x80 at 25 mm, 12-bit ADC, 50 Hz raw.",
            Hello(
                1,
                2,
                3,
                32,
                80,
                25000,
                25000,
                12,
                50,
                Encoding.RAW,
                0x0123456789ABCDEF,
                "matd-ref-32x80",
            ),
        )
    )
    v(
        _valid(
            "hello_empty_board_name",
            "HELLO with a zero-length board name, sparse encoding, top-range numbers.",
            Hello(255, 0, 65, 128, 255, 65535, 1, 16, 1000, Encoding.SPARSE, 2**64 - 1, ""),
        )
    )
    v(
        _valid(
            "frame_raw_reference_mat",
            "FRAME_RAW of the reference 32x80 grid: noise of 0-4 counts, two palms, two toes.",
            Frame(1, 20000, _reference_cells()),
        )
    )
    v(
        _valid(
            "frame_raw_1x1",
            "FRAME_RAW of a 1x1 grid.",
            Frame(7, 123, np.array([[4095]], np.uint16)),
        )
    )
    v(
        _valid(
            "frame_raw_all_zero",
            "FRAME_RAW 4x6 of zeros: long zero runs, every COBS block a lone code byte.",
            Frame(2, 0, np.zeros((4, 6), np.uint16)),
        )
    )
    v(
        _valid(
            "frame_raw_byte_edges",
            "FRAME_RAW 2x3 whose values have zero low or high bytes (little-endian check).",
            Frame(
                3, 0xFFFFFFFF, np.array([[0x0100, 0x00FF, 0xFFFF], [0x0001, 0x8000, 0]], np.uint16)
            ),
        )
    )
    v(
        _valid(
            "frame_sparse_reference_mat",
            "FRAME_SPARSE of the reference 32x80 grid's blobs (noise removed).",
            Frame(
                4,
                40000,
                np.where(_reference_cells() > 4, _reference_cells(), 0).astype(np.uint16),
                sparse=True,
            ),
        )
    )
    v(
        _valid(
            "frame_sparse_empty",
            "FRAME_SPARSE of an empty 32x80 mat: no runs at all, every cell 0.",
            Frame(5, 60000, np.zeros((32, 80), np.uint16), sparse=True),
        )
    )
    ends_early = np.zeros((4, 4), np.uint16)
    ends_early[0, 1:3] = (10, 20)
    v(
        _valid(
            "frame_sparse_runs_end_early",
            "FRAME_SPARSE 4x4, one run in row 0; the 13 cells after it are implicit zeros.",
            Frame(6, 0, ends_early, sparse=True),
        )
    )
    v(
        _valid(
            "frame_sparse_1x1",
            "FRAME_SPARSE of a 1x1 grid.",
            Frame(8, 1, np.array([[9]], np.uint16), sparse=True),
        )
    )
    v(
        _valid(
            "frame_sparse_128x255",
            "FRAME_SPARSE of the largest mat with 255 columns (128x255 = 32640 cells); two "
            "blobs and 65535 in the last cell; cells given as row-major [value, count] runs.",
            Frame(9, 99, _blob_grid(128, 255), sparse=True),
        )
    )
    last_only = np.zeros((181, 181), np.uint16)
    last_only[-1, -1] = 1
    v(
        _valid(
            "frame_sparse_181x181_last_cell",
            "FRAME_SPARSE at the most cells a frame may have (181x181 = 32761): one run of "
            "32760 zeros and the last cell.",
            Frame(10, 2, last_only, sparse=True),
        )
    )
    v(_valid("log_info", "LOG at level info.", Log(1, "set 1 started")))
    v(_valid("log_empty", "LOG at level debug with an empty message.", Log(0, "")))
    v(
        _valid(
            "log_utf8",
            "LOG at level warning with non-ASCII UTF-8 text.",
            Log(2, "Überlast ✓ 25 °C"),
        )
    )
    v(_valid("log_error", "LOG at level error.", Log(3, "adc timeout on row 7")))
    log254 = _log_with_run(1, 254)
    v(
        _valid(
            "log_cobs_exact_254",
            "LOG whose payload+CRC is exactly 254 non-zero bytes: one full COBS block "
            "(0xFF code), sent without the optional trailing 0x01 code.",
            log254,
        )
    )
    v(
        Vector(
            "log_cobs_exact_254_trailing_01",
            "The same LOG with the optional trailing 0x01 code: decodes to the same bytes.",
            pack(log254)[:-1] + b"\x01\x00",
            log254,
        )
    )
    log508 = _log_with_run(1, 508)
    v(
        _valid(
            "log_cobs_exact_508", "LOG whose payload+CRC is two full 254-byte COBS blocks.", log508
        )
    )
    v(
        Vector(
            "log_cobs_exact_508_trailing_01",
            "The two-block LOG with the optional trailing 0x01 code.",
            pack(log508)[:-1] + b"\x01\x00",
            log508,
        )
    )
    v(
        _valid(
            "log_cobs_253",
            "LOG of 253 non-zero bytes: one block one short of full.",
            _log_with_run(1, 253),
        )
    )
    v(
        _valid(
            "log_cobs_255",
            "LOG of 255 non-zero bytes: a full block, then a 1-byte block.",
            _log_with_run(1, 255),
        )
    )
    v(
        _valid(
            "log_cobs_254_then_zero",
            "LOG whose first 254 bytes are non-zero and followed by a 0x00 in the text: a "
            "full block, then a 0x01 code standing for that zero.",
            _log_with_run(1, 254, tail="\x00ok"),
        )
    )
    v(_valid("ack_done", "ACK of SET_RATE: done.", Ack(MsgType.SET_RATE, AckStatus.DONE)))
    v(
        _valid(
            "ack_unknown_command",
            "ACK of type 0x86: unknown command.",
            Ack(0x86, AckStatus.UNKNOWN_COMMAND),
        )
    )
    v(
        _valid(
            "ack_bad_argument",
            "ACK of SET_ENCODING: bad argument.",
            Ack(MsgType.SET_ENCODING, AckStatus.BAD_ARGUMENT),
        )
    )

    # -- host to device
    v(_valid("cmd_get_info", "GET_INFO (no argument).", Command.get_info()))
    v(_valid("cmd_set_rate_50", "SET_RATE 50 Hz.", Command.set_rate(50)))
    v(_valid("cmd_set_rate_1000", "SET_RATE 1000 Hz, the highest.", Command.set_rate(1000)))
    v(_valid("cmd_start", "START (no argument).", Command.start()))
    v(_valid("cmd_stop", "STOP (no argument).", Command.stop()))
    v(_valid("cmd_set_encoding_raw", "SET_ENCODING raw.", Command.set_encoding(Encoding.RAW)))
    v(
        _valid(
            "cmd_set_encoding_sparse", "SET_ENCODING sparse.", Command.set_encoding(Encoding.SPARSE)
        )
    )

    # -- sequence numbers: pairs fed into one decoder
    one = np.array([[1]], np.uint16)
    v(
        _valid(
            "seq_before_wrap",
            "A 1x1 frame with seq 2^32-1, the last before wrap-around.",
            Frame(0xFFFFFFFF, 0, one),
        )
    )
    v(
        _valid(
            "seq_after_wrap",
            "seq 0 right after seq_before_wrap: wrap-around, no frame lost.",
            Frame(0, 20000, one),
            after="seq_before_wrap",
            lost_frames=0,
        )
    )
    v(
        _valid(
            "seq_gap_over_wrap",
            "seq 2 right after seq_before_wrap: seqs 0 and 1 lost across the wrap.",
            Frame(2, 60000, one),
            after="seq_before_wrap",
            lost_frames=2,
        )
    )
    v(_valid("seq_1000", "A 1x1 frame with seq 1000.", Frame(1000, 5_000_000, one)))
    v(
        _valid(
            "seq_reboot",
            "seq 0 right after seq_1000: the sequence went backwards (the mat rebooted), "
            "which is not a loss.",
            Frame(0, 0, one),
            after="seq_1000",
            lost_frames=0,
        )
    )

    # -- invalid packets
    good_ack = encode_payload(Ack(MsgType.START, AckStatus.DONE))
    v(
        _bad(
            "bad_cobs_block_past_end",
            "A COBS code of 5 with only 2 bytes left in the packet.",
            bytes([5, 1, 2, 0]),
            "cobs",
        )
    )
    v(
        _bad(
            "bad_cobs_full_block_past_end",
            "A 0xFF COBS code with only 10 bytes left.",
            bytes([0xFF, *range(1, 11), 0]),
            "cobs",
        )
    )
    v(
        _bad(
            "bad_short_empty",
            "A lone 0x01 code: decodes to no bytes at all.",
            bytes([1, 0]),
            "short",
        )
    )
    v(
        _bad(
            "bad_short_5_bytes",
            "5 decoded bytes, one fewer than version, type and CRC.",
            cobs_encode(bytes([1, 5, 1, 2, 3])) + b"\x00",
            "short",
        )
    )
    crc = zlib.crc32(good_ack) & 0xFFFFFFFF
    v(
        _bad(
            "bad_crc_flipped_bit",
            "An ACK whose CRC has one bit flipped.",
            wire_with_crc(good_ack, crc ^ 0x00010000),
            "crc",
        )
    )
    raw_payload = bytearray(encode_payload(Frame(11, 0, np.full((2, 2), 300, np.uint16))))
    raw_crc = zlib.crc32(raw_payload) & 0xFFFFFFFF
    raw_payload[14] ^= 0x04
    v(
        _bad(
            "bad_crc_frame_cell",
            "A 2x2 FRAME_RAW with a cell changed after its CRC was taken.",
            wire_with_crc(bytes(raw_payload), raw_crc),
            "crc",
        )
    )
    v(
        _bad(
            "bad_version_0",
            "An ACK with protocol version 0.",
            wire_of_payload(b"\x00" + good_ack[1:]),
            "version",
        )
    )
    v(
        _bad(
            "bad_version_2",
            "An ACK with protocol version 2.",
            wire_of_payload(b"\x02" + good_ack[1:]),
            "version",
        )
    )
    for kind in (0x00, 0x06, 0x80, 0x86, 0xFF):
        v(
            _bad(
                f"bad_type_0x{kind:02x}",
                f"Unknown message type 0x{kind:02x} (4-byte payload).",
                wire_of_payload(bytes([1, kind, 0, 0])),
                "type",
            )
        )
    hello = encode_payload(Hello(1, 0, 0, 32, 80, 25000, 25000, 12, 50, 0, 1, "mat"))
    v(
        _bad(
            "bad_length_hello_short",
            "HELLO cut before its board name length byte (23 bytes).",
            wire_of_payload(hello[:23]),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_hello_name_cut",
            "HELLO whose board name is 1 byte shorter than its length byte says.",
            wire_of_payload(hello[:-1]),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_hello_name_extra",
            "HELLO with 1 byte more than its board name length says.",
            wire_of_payload(hello + b"x"),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_hello_name_not_ascii",
            "HELLO whose board name holds the byte 0xE9 (not ASCII).",
            wire_of_payload(hello[:-1] + b"\xe9"),
            "length",
        )
    )
    frame = encode_payload(Frame(12, 0, np.full((2, 3), 5, np.uint16)))
    v(
        _bad(
            "bad_length_frame_raw_header",
            "FRAME_RAW of 11 bytes: its header cut before cols.",
            wire_of_payload(frame[:11]),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_sparse_header",
            "FRAME_SPARSE of 11 bytes: its header cut before cols.",
            wire_of_payload(bytes([1, S]) + frame[2:11]),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_raw_cells_short",
            "FRAME_RAW 2x3 one byte short of its 12 cell bytes.",
            wire_of_payload(frame[:-1]),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_raw_cells_long",
            "FRAME_RAW 2x3 with two bytes more than its 12 cell bytes.",
            wire_of_payload(frame + b"\x01\x00"),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_rows_0",
            "FRAME_RAW with rows 0 (and no cells).",
            wire_of_payload(_frame_payload(F, 1, 0, 0, 80)),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_cols_0",
            "FRAME_RAW with cols 0 (and no cells).",
            wire_of_payload(_frame_payload(F, 1, 0, 32, 0)),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_sparse_rows_0",
            "FRAME_SPARSE with rows 0 and no runs.",
            wire_of_payload(_frame_payload(S, 1, 0, 0, 80)),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_too_many_cells",
            "FRAME_SPARSE 129x254 = 32766 cells > 32762, no runs.",
            wire_of_payload(_frame_payload(S, 1, 0, 129, 254)),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_frame_255x255",
            "FRAME_RAW header of 255x255 = 65025 cells, no cells.",
            wire_of_payload(_frame_payload(F, 1, 0, 255, 255)),
            "length",
        )
    )
    sparse_head = _frame_payload(S, 13, 0, 2, 2)
    v(
        _bad(
            "bad_runs_zeros_past_grid",
            "FRAME_SPARSE 2x2 with a run of 5 zeros.",
            wire_of_payload(sparse_head + struct.pack("<HH", 5, 0)),
            "runs",
        )
    )
    v(
        _bad(
            "bad_runs_values_past_grid",
            "FRAME_SPARSE 2x2: 2 zeros then 3 values (one past the grid).",
            wire_of_payload(sparse_head + struct.pack("<HHHHH", 2, 3, 1, 2, 3)),
            "runs",
        )
    )
    v(
        _bad(
            "bad_runs_second_run_past_grid",
            "FRAME_SPARSE 2x2: a valid run of 3 values, then 1 zero and 1 value.",
            wire_of_payload(sparse_head + struct.pack("<HHHHHHHH", 0, 3, 1, 2, 3, 1, 1, 4)),
            "runs",
        )
    )
    v(
        _bad(
            "bad_runs_truncated_header",
            "FRAME_SPARSE 2x2 whose body is a 2-byte half run header.",
            wire_of_payload(sparse_head + b"\x01\x00"),
            "runs",
        )
    )
    v(
        _bad(
            "bad_runs_truncated_values",
            "FRAME_SPARSE 2x2: a run of 3 values with only 2 present.",
            wire_of_payload(sparse_head + struct.pack("<HHHH", 0, 3, 7, 8)),
            "runs",
        )
    )
    v(
        _bad(
            "bad_length_log",
            "LOG with no level byte.",
            wire_of_payload(bytes([1, MsgType.LOG])),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_ack_short",
            "ACK without its status byte.",
            wire_of_payload(good_ack[:3]),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_ack_long",
            "ACK with one extra byte.",
            wire_of_payload(good_ack + b"\x00"),
            "length",
        )
    )
    for cmd in (MsgType.GET_INFO, MsgType.START, MsgType.STOP):
        v(
            _bad(
                f"bad_length_{cmd.name.lower()}_arg",
                f"{cmd.name} with a 1-byte argument it does not take.",
                wire_of_payload(bytes([1, cmd, 1])),
                "length",
            )
        )
    v(
        _bad(
            "bad_length_set_rate_short",
            "SET_RATE with a 1-byte argument (needs u16).",
            wire_of_payload(bytes([1, MsgType.SET_RATE, 50])),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_set_rate_long",
            "SET_RATE with a 3-byte argument.",
            wire_of_payload(bytes([1, MsgType.SET_RATE, 50, 0, 0])),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_set_encoding_missing",
            "SET_ENCODING without its argument.",
            wire_of_payload(bytes([1, MsgType.SET_ENCODING])),
            "length",
        )
    )
    v(
        _bad(
            "bad_length_set_encoding_long",
            "SET_ENCODING with a 2-byte argument.",
            wire_of_payload(bytes([1, MsgType.SET_ENCODING, 1, 0])),
            "length",
        )
    )
    v(
        _bad(
            "bad_overflow",
            f"{MAX_UNDELIMITED + 1} bytes without a 0x00, then 0x00: over the receive bound, "
            "dropped as one overflow (not counted as a packet).",
            b"\x55" * (MAX_UNDELIMITED + 1) + b"\x00",
            "overflow",
        )
    )
    return vs


# ---------------------------------------------------------------- a recording for benchmarks


def synthetic_recording(
    minutes: float, rate_hz: int = 50, rows: int = 32, cols: int = 80, seed: int = 0
) -> Iterator[bytes]:
    """The byte stream of a session on the reference mat, raw encoding, packet by packet.

    Mostly empty cells with a few counts of noise, and two palms and two toes whose
    pressure swings with push-ups (a 2 s cycle, 20 s sets with 10 s rests)."""
    rng = np.random.default_rng(seed)
    yield b"\x00"  # the device's boot delimiter
    yield pack(
        Hello(1, 0, 0, rows, cols, 25000, 25000, 12, rate_hz, Encoding.RAW, seed, "synthetic")
    )
    r = np.arange(rows)[:, None]
    c = np.arange(cols)[None, :]
    blobs = [
        (rows * 0.3, cols * 0.22, 2.0, 1.0),  # palms carry more as the body goes down
        (rows * 0.7, cols * 0.22, 2.0, 1.0),
        (rows * 0.4, cols * 0.9, 1.2, -0.4),  # toes carry a little less
        (rows * 0.6, cols * 0.9, 1.2, -0.4),
    ]
    shapes = [np.exp(-((r - br) ** 2 + (c - bc) ** 2) / (2 * s**2)) for br, bc, s, _ in blobs]
    n_frames = round(minutes * 60 * rate_hz)
    for i in range(n_frames):
        t = i / rate_hz
        in_set = (t % 30.0) < 20.0
        depth = 0.5 - 0.5 * math.cos(2 * math.pi * t / 2.0) if in_set else 0.0
        field = np.zeros((rows, cols))
        if in_set or (t % 30.0) < 25.0:  # resting on the mat for part of the break
            for shape, (_, _, _, swing) in zip(shapes, blobs, strict=True):
                field += shape * 1500 * (1 + 0.3 * swing * depth)
        noise = rng.poisson(1.5, size=(rows, cols))
        cells = np.clip(field + noise, 0, 4095).astype(np.uint16)
        yield pack(Frame(i, round(t * 1e6) & 0xFFFFFFFF, cells))


def make_recording(path: Path, minutes: float, rate_hz: int = 50, seed: int = 0) -> int:
    """Write a synthetic recording; returns its size in bytes."""
    size = 0
    with path.open("wb") as f:
        for packet in synthetic_recording(minutes, rate_hz, seed=seed):
            f.write(packet)
            size += len(packet)
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m matd.wire.vectors",
        description="write the wire test vectors (one JSON file each), or a synthetic recording",
    )
    parser.add_argument("outdir", nargs="?", type=Path, help="where to write the vector files")
    parser.add_argument("--make-recording", type=Path, metavar="FILE", help="write a recording")
    parser.add_argument("--minutes", type=float, default=10.0, help="recording length")
    parser.add_argument("--rate", type=int, default=50, help="recording frame rate, Hz")
    parser.add_argument("--seed", type=int, default=0, help="recording noise seed")
    args = parser.parse_args(argv)
    if args.make_recording is None and args.outdir is None:
        parser.error("give OUTDIR, --make-recording FILE, or both")
    if args.outdir is not None:
        paths = write_vectors(args.outdir)
        print(f"{len(paths)} vectors written to {args.outdir}", file=sys.stderr)
    if args.make_recording is not None:
        size = make_recording(args.make_recording, args.minutes, args.rate, args.seed)
        print(f"{size} bytes written to {args.make_recording}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
