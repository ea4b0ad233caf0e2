"""The compiled decoder and the pure-Python reference agree on any byte stream.

Hypothesis builds streams out of valid packets, valid packets with bits flipped,
truncated packets, packets around random payloads (so the CRC passes and the parser
sees garbage), raw garbage, empty packets and over-long undelimited runs, then feeds
them to both decoders in arbitrary chunks. Messages and every counter must be equal,
chunking must change nothing, and neither decoder may raise.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matd.wire.cobs import cobs_encode
from matd.wire.decoder import new_decoder
from matd.wire.messages import (
    MAX_UNDELIMITED,
    Ack,
    Command,
    Frame,
    Hello,
    Log,
    Message,
    MsgType,
    pack,
)
from matd.wire.stream import StreamDecoder

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- messages

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
cell = st.one_of(st.sampled_from([0, 0, 0, 1, 0xFF, 0x100, 4095, 0xFFFF]), u16)

hellos = st.builds(
    Hello,
    u8,
    u8,
    u8,
    u8,
    u8,
    u16,
    u16,
    u8,
    u16,
    st.integers(0, 1),
    st.integers(0, 2**64 - 1),
    st.text(st.characters(max_codepoint=0x7F), max_size=20),
)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    rows = draw(st.integers(1, 6))
    cols = draw(st.integers(1, 6))
    values = draw(st.lists(cell, min_size=rows * cols, max_size=rows * cols))
    cells = np.array(values, dtype=np.uint16).reshape(rows, cols)
    # Sequence numbers near each other and near the wrap, so gaps and reboots both occur.
    seq = draw(st.one_of(st.integers(0, 8), st.integers(0xFFFFFFF8, 0xFFFFFFFF), u32))
    return Frame(seq, draw(u32), cells, sparse=draw(st.booleans()))


commands = st.one_of(
    st.sampled_from([Command.get_info(), Command.start(), Command.stop()]),
    st.builds(Command.set_rate, u16),
    st.builds(Command.set_encoding, u8),
)
messages: st.SearchStrategy[Message] = st.one_of(
    frames(),
    hellos,
    st.builds(Log, u8, st.text(max_size=40)),
    st.builds(Ack, u8, u8),
    commands,
)

# A payload with a correct CRC but arbitrary contents: reaches every parser check.
kinds = st.one_of(st.sampled_from([t.value for t in MsgType]), u8)
random_payloads = st.builds(
    lambda version, kind, rest: bytes([version, kind]) + rest,
    st.sampled_from([1, 1, 1, 0, 2]),
    kinds,
    st.binary(max_size=80),
)


@st.composite
def sparse_payloads(draw: st.DrawFn) -> bytes:
    """FRAME_SPARSE payloads with run lists that may or may not fit the grid."""
    rows, cols = draw(st.integers(0, 5)), draw(st.integers(0, 5))
    body = b""
    for _ in range(draw(st.integers(0, 4))):
        zeros, count = draw(st.integers(0, 30)), draw(st.integers(0, 6))
        present = draw(st.integers(0, count))  # fewer values than promised: truncated
        body += struct.pack("<HH", zeros, count) + b"\x07\x00" * present
    body += draw(st.sampled_from([b"", b"", b"\x01", b"\x01\x00\x02"]))
    return struct.pack("<BBIIBB", 1, MsgType.FRAME_SPARSE, draw(u32), draw(u32), rows, cols) + body


# -- stream pieces


@st.composite
def frame_bursts(draw: st.DrawFn) -> bytes:
    """Frames in a row whose seqs step by 1 (none lost), more (lost), or back (a reboot)."""
    seq = draw(st.one_of(st.integers(0, 8), st.integers(0xFFFFFFF8, 0xFFFFFFFF)))
    out = b""
    for _ in range(draw(st.integers(2, 5))):
        frame = draw(frames())
        out += pack(Frame(seq, frame.device_time_us, frame.cells, sparse=frame.sparse))
        seq = (seq + draw(st.sampled_from([1, 1, 1, 2, 5, -3, 0]))) & 0xFFFFFFFF
    return out


@st.composite
def flipped(draw: st.DrawFn) -> bytes:
    packet = bytearray(pack(draw(messages)))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(packet) - 1))
        packet[i] ^= 1 << draw(st.integers(0, 7))
    return bytes(packet)


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    packet = pack(draw(messages))
    cut = draw(st.integers(0, len(packet) - 1))
    return packet[:cut] + draw(st.sampled_from([b"", b"\x00"]))


@st.composite
def inserted(draw: st.DrawFn) -> bytes:
    packet = pack(draw(messages))
    at = draw(st.integers(0, len(packet) - 1))
    return packet[:at] + draw(st.binary(min_size=1, max_size=6)) + packet[at:]


pieces = st.one_of(
    st.builds(pack, messages),
    frame_bursts(),
    st.builds(pack, random_payloads),
    st.builds(pack, sparse_payloads()),
    flipped(),
    truncated(),
    inserted(),
    st.binary(max_size=40),
    st.builds(lambda raw: cobs_encode(raw) + b"\x00", st.binary(max_size=7)),  # "short"
    st.just(b"\x00"),
)
streams = st.lists(pieces, max_size=12).map(b"".join)


def _split(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def _run(
    decoder: StreamDecoder, chunks: Sequence[bytes], resets: Sequence[bool] = ()
) -> list[Message]:
    out: list[Message] = []
    for i, chunk in enumerate(chunks):
        out += decoder.feed(chunk)
        if i < len(resets) and resets[i]:
            decoder.reset_sequence()
    return out


def _assert_same(
    a: StreamDecoder,
    msgs_a: list[Message],
    b: StreamDecoder,
    msgs_b: list[Message],
    key: Callable[[Message], Any],
) -> None:
    assert [key(m) for m in msgs_a] == [key(m) for m in msgs_b]
    assert a.stats.as_dict() == b.stats.as_dict()


@SETTINGS
@given(data=streams)
def test_compiled_equals_reference_on_any_stream(
    data: bytes, key: Callable[[Message], Any]
) -> None:
    ref, comp = new_decoder("reference"), new_decoder("compiled")
    _assert_same(ref, ref.feed(data), comp, comp.feed(data), key)


@SETTINGS
@given(data=st.binary(max_size=400))
def test_compiled_equals_reference_on_random_bytes(
    data: bytes, key: Callable[[Message], Any]
) -> None:
    ref, comp = new_decoder("reference"), new_decoder("compiled")
    _assert_same(ref, ref.feed(data), comp, comp.feed(data), key)


@SETTINGS
@given(
    data=streams,
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
    resets=st.lists(st.booleans(), max_size=12),
)
def test_chunking_changes_nothing(
    data: bytes, cuts: list[int], resets: list[bool], key: Callable[[Message], Any]
) -> None:
    chunks = _split(data, cuts)
    whole = new_decoder("reference")
    expected = whole.feed(data)
    for impl in ("reference", "compiled"):
        in_chunks = new_decoder(impl)
        _assert_same(whole, expected, in_chunks, _run(in_chunks, chunks), key)
    # With sequence resets between chunks the two still agree with each other.
    ref, comp = new_decoder("reference"), new_decoder("compiled")
    _assert_same(ref, _run(ref, chunks, resets), comp, _run(comp, chunks, resets), key)


# Over-long pieces, built once: hypothesis only chooses where they go and how they are cut.
_BIG_LOG = pack(Log(1, "x" * 65533))  # a payload of exactly 65536 bytes: valid
_OVERSIZE = pack(bytes([1, MsgType.LOG, 1]) + b"y" * 65534)  # 65537 bytes: "length"
big_pieces = st.one_of(
    st.sampled_from([_BIG_LOG, _OVERSIZE]),
    st.builds(
        lambda n, fill, end: bytes([fill]) * n + end,
        st.integers(MAX_UNDELIMITED - 3, MAX_UNDELIMITED + 3),
        st.integers(1, 0xFF),
        st.sampled_from([b"", b"\x00"]),
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.one_of(big_pieces, pieces), min_size=1, max_size=4),
    cuts=st.lists(st.integers(0, 200_000), max_size=6),
)
def test_compiled_equals_reference_around_the_size_limits(
    parts: list[bytes], cuts: list[int], key: Callable[[Message], Any]
) -> None:
    data = b"".join(parts)
    ref, comp = new_decoder("reference"), new_decoder("compiled")
    msgs_ref = ref.feed(data)
    _assert_same(ref, msgs_ref, comp, _run(comp, _split(data, cuts)), key)
