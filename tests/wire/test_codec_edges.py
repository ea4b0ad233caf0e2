"""Edge cases of COBS, CRC32 and the stream decoder, on both implementations."""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matd import _wire
from matd.wire import cobs
from matd.wire.cobs import CobsError
from matd.wire.decoder import Impl, new_decoder
from matd.wire.messages import (
    MAX_UNDELIMITED,
    Frame,
    Log,
    Message,
    MsgType,
    encode_frame,
    pack,
)
from matd.wire.stream import StreamDecoder, WireStats

COBS_DECODERS = {"reference": cobs.cobs_decode, "compiled": _wire.cobs_decode}


@pytest.fixture(params=sorted(COBS_DECODERS))
def cobs_decode(request: pytest.FixtureRequest) -> Callable[[bytes], bytes]:
    return COBS_DECODERS[request.param]


def _frame(seq: int, value: int = 1, t_us: int = 0) -> bytes:
    return pack(Frame(seq, t_us, np.full((2, 3), value, np.uint16)))


# ---------------------------------------------------------------- CRC32


def test_crc32_check_value() -> None:
    assert _wire.crc32(b"123456789") == 0xCBF43926


@pytest.mark.parametrize("size", [*range(0, 20), 63, 64, 65, 255, 4096, 65540])
def test_crc32_matches_zlib_at_every_length_and_alignment(size: int) -> None:
    data = bytes((i * 151 + 7) & 0xFF for i in range(size + 7))
    for offset in range(8):
        piece = data[offset : offset + size]
        assert _wire.crc32(piece) == zlib.crc32(piece)
    assert _wire.crc32(memoryview(data)[3 : 3 + size]) == zlib.crc32(data[3 : 3 + size])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_crc32_equals_zlib(data: bytes) -> None:
    assert _wire.crc32(data) == zlib.crc32(data)
    assert _wire.crc32(bytearray(data)) == zlib.crc32(data)


# ---------------------------------------------------------------- COBS


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        (b"", b""),
        (b"\x01", b""),
        (b"\x01\x01", b"\x00"),
        (b"\x01\x01\x01", b"\x00\x00"),
        (b"\x03ab", b"ab"),
        (b"\x03ab\x01", b"ab\x00"),
        (b"\x02a\x02b", b"a\x00b"),
        (b"\xff" + bytes(range(1, 255)), bytes(range(1, 255))),
        (b"\xff" + bytes(range(1, 255)) + b"\x01", bytes(range(1, 255))),  # optional 0x01
        (b"\xff" + bytes(range(1, 255)) + b"\x01\x01", bytes(range(1, 255)) + b"\x00"),
        (b"\xff" + bytes(range(1, 255)) + b"\x02x", bytes(range(1, 255)) + b"x"),
    ],
)
def test_cobs_decode_known_forms(
    cobs_decode: Callable[[bytes], bytes], encoded: bytes, decoded: bytes
) -> None:
    assert cobs_decode(encoded) == decoded


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        (b"\x05ab", "COBS block runs past the end of the packet"),
        (b"\xff" + b"a" * 253, "COBS block runs past the end of the packet"),
        (b"\x02a\x00", "zero byte inside a COBS packet"),
        (b"\x03a\x00", "zero byte inside a COBS packet"),
        (b"\x00", "zero byte inside a COBS packet"),
    ],
)
def test_cobs_decode_rejects_with_the_same_error(
    cobs_decode: Callable[[bytes], bytes], encoded: bytes, message: str
) -> None:
    with pytest.raises(CobsError, match=message):
        cobs_decode(encoded)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1200))
def test_cobs_round_trip_and_both_decoders_agree(data: bytes) -> None:
    encoded = cobs.cobs_encode(data)
    assert 0 not in encoded
    assert _wire.cobs_decode(encoded) == data
    assert cobs.cobs_decode(encoded) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_cobs_decoders_agree_on_garbage(data: bytes) -> None:
    try:
        expected: bytes | str = cobs.cobs_decode(data)
    except CobsError as exc:
        expected = str(exc)
    try:
        got: bytes | str = _wire.cobs_decode(data)
    except CobsError as exc:
        got = str(exc)
    assert got == expected


# ---------------------------------------------------------------- the stream decoder


@pytest.mark.parametrize(
    "wrap",
    [bytes, bytearray, memoryview, lambda b: memoryview(b"xx" + b + b"yy")[2:-2]],
    ids=["bytes", "bytearray", "memoryview", "memoryview-slice"],
)
def test_feed_takes_any_byte_buffer(
    decoder: StreamDecoder, wrap: Callable[[bytes], Any], key: Callable[[Message], Any]
) -> None:
    wire = _frame(5) + _frame(6)
    msgs = decoder.feed(wrap(wire))
    assert [key(m) for m in msgs] == [key(m) for m in new_decoder("reference").feed(wire)]
    assert decoder.stats.bytes == len(wire)


def test_feed_counts_bytes_not_items_of_a_wide_buffer(decoder: StreamDecoder) -> None:
    wire = _frame(1)
    if len(wire) % 2:
        wire = b"\x00" + wire
    words = array("H", wire)
    assert len(decoder.feed(memoryview(words))) == 1
    assert decoder.stats.bytes == len(wire)


def test_stats_object_held_by_a_caller_stays_current(decoder: StreamDecoder) -> None:
    stats = decoder.stats
    assert isinstance(stats, WireStats)
    decoder.feed(_frame(1) + b"\x05ab\x00" + _frame(4))
    assert stats is decoder.stats
    assert (stats.frames, stats.packets, stats.bad_packets, stats.lost_frames) == (2, 3, 1, 2)
    assert stats.bad["cobs"] == 1


def test_empty_packets_are_not_counted(decoder: StreamDecoder) -> None:
    assert decoder.feed(b"\x00\x00\x00" + _frame(1) + b"\x00") != []
    assert (decoder.stats.packets, decoder.stats.bad_packets) == (1, 0)


def test_a_host_connecting_mid_packet_resynchronises(decoder: StreamDecoder) -> None:
    wire = _frame(1) + _frame(2)
    msgs = decoder.feed(wire[7:])  # joined in the middle of the first packet
    assert [m.seq for m in msgs if isinstance(m, Frame)] == [2]
    assert decoder.stats.bad_packets == 1


def test_frames_do_not_share_memory_with_the_decoder(decoder: StreamDecoder) -> None:
    first = decoder.feed(_frame(1, value=111))[0]
    decoder.feed(_frame(2, value=222) + pack(Frame(3, 0, np.full((2, 3), 7, np.uint16), True)))
    assert isinstance(first, Frame)
    assert first.cells.tolist() == [[111] * 3] * 2
    first.cells[0, 0] = 5  # a consumer may write to its frame
    assert first.cells.dtype == np.uint16 and first.cells.flags.c_contiguous


@pytest.mark.parametrize("split", [None, 1000, 30_000])
def test_buffer_bound_is_66000_bytes(decoder: StreamDecoder, split: int | None) -> None:
    at_bound = b"\x55" * MAX_UNDELIMITED + b"\x00"  # held, then fails as a packet
    over = b"\x55" * (MAX_UNDELIMITED + 1) + b"\x00"  # dropped as one overflow
    stream = at_bound + over + _frame(9)
    chunks = (
        [stream] if split is None else [stream[i : i + split] for i in range(0, len(stream), split)]
    )
    msgs: list[Message] = []
    for chunk in chunks:
        msgs += decoder.feed(chunk)
    assert [m.seq for m in msgs if isinstance(m, Frame)] == [9]
    assert decoder.stats.bad["overflow"] == 1
    assert decoder.stats.bad["cobs"] == 1  # 0x55 blocks run past the end of the packet
    assert decoder.stats.packets == 2  # the overflowed bytes never became a packet


def test_overflow_is_counted_once_however_long_the_run(decoder: StreamDecoder) -> None:
    for _ in range(10):
        decoder.feed(b"\x55" * 50_000)
    decoder.feed(b"\x00" + _frame(1))
    assert decoder.stats.bad["overflow"] == 1
    assert decoder.stats.bad_packets == 1
    assert decoder.stats.frames == 1


def test_payload_limit_65536(decoder: StreamDecoder) -> None:
    at_limit = Log(1, "x" * 65533)  # 3 header bytes + 65533 = 65536
    over = bytes([1, MsgType.LOG, 1]) + b"y" * 65534
    msgs = decoder.feed(pack(at_limit) + pack(over))
    assert msgs == [at_limit]
    assert decoder.stats.bad["length"] == 1
    assert decoder.stats.bad_packets == 1


def test_a_payload_over_the_limit_with_a_bad_crc_counts_as_crc(decoder: StreamDecoder) -> None:
    over = bytes([1, MsgType.LOG, 1]) + b"y" * 65534
    wire = cobs.cobs_encode(over + b"\x01\x02\x03\x04") + b"\x00"
    decoder.feed(wire)
    assert decoder.stats.bad["crc"] == 1 and decoder.stats.bad["length"] == 0


def test_non_canonical_sparse_runs_decode_like_canonical_ones(decoder: StreamDecoder) -> None:
    head = struct.pack("<BBIIBB", 1, MsgType.FRAME_SPARSE, 1, 0, 2, 3)
    runs = struct.pack(
        "<" + "H" * 11,
        0, 0,  # an empty run
        1, 1, 5,  # one zero, one value
        0, 2, 6, 7,  # a literal run split in two
        2, 0,  # the trailing zeros written out (ends exactly on the grid's last cell)
    )  # fmt: skip
    # 0 + 1 + 1 + 2 + 2 = 6 cells addressed: exactly the 2x3 grid.
    msgs = decoder.feed(pack(head + runs))
    assert len(msgs) == 1 and isinstance(msgs[0], Frame)
    assert msgs[0].sparse
    assert msgs[0].cells.tolist() == [[0, 5, 6], [7, 0, 0]]


def test_log_with_invalid_utf8_is_kept_with_replacement_characters(
    decoder: StreamDecoder,
) -> None:
    payload = bytes([1, MsgType.LOG, 2]) + b"temp \xff\xfe ok"
    msgs = decoder.feed(pack(payload))
    assert msgs == [Log(2, "temp \ufffd\ufffd ok")]


@pytest.mark.parametrize(
    ("last", "seq", "lost"),
    [
        (10, 11, 0),
        (10, 15, 4),
        (0xFFFFFFFF, 0, 0),  # wrap-around
        (0xFFFFFFFE, 3, 4),  # a gap across the wrap
        (10, 10, 0),  # a repeated seq: not a loss
        (1000, 0, 0),  # backwards: the mat rebooted
        (0, 0x7FFFFFFF, 0x7FFFFFFE),  # the largest jump that still counts as a loss
        (0, 0x80000000, 0x7FFFFFFF),
        (0, 0x80000001, 0),  # (seq - last - 1) mod 2^32 >= 2^31: seq went backwards
        (5, 0x80000005, 0x7FFFFFFF),
        (5, 0x80000006, 0),
    ],
)
def test_lost_frames_follow_the_sequence_rule(
    decoder: StreamDecoder, last: int, seq: int, lost: int
) -> None:
    decoder.feed(_frame(last) + _frame(seq))
    assert decoder.stats.lost_frames == lost


def test_reset_sequence_forgets_the_last_frame(decoder: StreamDecoder) -> None:
    decoder.feed(_frame(100))
    decoder.reset_sequence()
    decoder.feed(_frame(5000) + _frame(5003))
    assert decoder.stats.lost_frames == 2  # only the gap after the reset


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00" * 100,
        b"\x01" * 300 + b"\x00",
        b"\xff" * 70_000,
        bytes(range(256)) * 300,
        pack(b"\x01"),
        pack(b""),
        pack(b"\x01\x02" + b"\x00" * 10),
    ],
)
def test_garbage_never_raises(impl: Impl, garbage: bytes) -> None:
    decoder = new_decoder(impl)
    for i in range(0, len(garbage), 4099):
        assert decoder.feed(garbage[i : i + 4099]) == []
    decoder.feed(b"\x00")
    assert decoder.stats.bytes == len(garbage) + 1


def test_frame_header_fields_decode_little_endian(decoder: StreamDecoder) -> None:
    cells = np.array([[0x1234, 0xABCD]], np.uint16)
    [frame] = decoder.feed(pack(encode_frame(0x01020304, 0xA0B0C0D0, cells)))
    assert isinstance(frame, Frame)
    assert (frame.seq, frame.device_time_us, frame.rows, frame.cols) == (
        0x01020304,
        0xA0B0C0D0,
        1,
        2,
    )
    assert frame.cells.tolist() == [[0x1234, 0xABCD]]
    assert not frame.sparse
