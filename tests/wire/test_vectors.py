"""The committed test vectors (tests/vectors/*.json) against both decoders and the encoder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matd.wire.messages import BAD_REASONS, Message, MsgType, pack
from matd.wire.stream import StreamDecoder
from matd.wire.vectors import (
    Vector,
    dumps,
    load_vectors,
    message_to_json,
    vector_from_json,
    vector_to_json,
    write_vectors,
)

VECTOR_DIR = Path(__file__).resolve().parents[1] / "vectors"
VECTORS = load_vectors(VECTOR_DIR)
BY_NAME = {v.name: v for v in VECTORS}
VALID = [v for v in VECTORS if v.valid]


def _ids(v: Vector) -> str:
    return v.name


def test_the_vectors_cover_every_message_type_and_every_failure() -> None:
    types = {message_to_json(v.message)["type"] for v in VALID if v.message is not None}
    assert types == {t.name for t in MsgType}
    reasons = {v.bad_reason for v in VECTORS if not v.valid}
    assert reasons == set(BAD_REASONS)
    assert all(v.after in BY_NAME for v in VECTORS if v.after is not None)
    assert len(BY_NAME) == len(VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_decoder_gives_the_vector_message_or_counts_its_failure(
    vector: Vector, decoder: StreamDecoder, key: Callable[[Message], Any]
) -> None:
    if vector.after is not None:
        decoder.feed(BY_NAME[vector.after].wire)
        before = decoder.stats.as_dict()
    else:
        before = StreamDecoder().stats.as_dict()
    msgs = decoder.feed(vector.wire)
    stats = decoder.stats
    if vector.valid:
        assert vector.message is not None
        assert [key(m) for m in msgs] == [key(vector.message)]
        assert stats.bad_packets == before["bad_packets"]
        assert stats.packets == before["packets"] + 1  # type: ignore[operator]
    else:
        assert msgs == []
        assert stats.bad_packets == 1
        assert {r: n for r, n in stats.bad.items() if n} == {vector.bad_reason: 1}
        # An overflow never became a packet; every other failure did.
        assert stats.packets == (0 if vector.bad_reason == "overflow" else 1)
    assert stats.bytes == len(vector.wire) + (
        len(BY_NAME[vector.after].wire) if vector.after else 0
    )
    if vector.lost_frames is not None:
        assert stats.lost_frames == vector.lost_frames


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_vector_fed_one_byte_at_a_time_decodes_the_same(
    vector: Vector, decoder: StreamDecoder, key: Callable[[Message], Any]
) -> None:
    msgs: list[Message] = []
    for i in range(len(vector.wire)):
        msgs += decoder.feed(vector.wire[i : i + 1])
    expected = [] if vector.message is None else [key(vector.message)]
    assert [key(m) for m in msgs] == expected
    assert decoder.stats.bad_packets == (0 if vector.valid else 1)


@pytest.mark.parametrize("vector", VALID, ids=_ids)
def test_reference_encoder_writes_the_vector_wire(vector: Vector) -> None:
    assert vector.message is not None
    wire = pack(vector.message)
    if vector.wire != wire:
        # The only allowed difference: the optional 0x01 code after a final full block.
        assert vector.wire == wire[:-1] + b"\x01\x00"
        assert wire[-256] == 0xFF


def test_vector_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_vectors(tmp_path)
    committed = sorted(p.name for p in VECTOR_DIR.glob("*.json"))
    assert sorted(p.name for p in written) == committed
    for path in written:
        assert path.read_text(encoding="utf-8") == (VECTOR_DIR / path.name).read_text(
            encoding="utf-8"
        ), path.name


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_vector_json_round_trips(vector: Vector) -> None:
    text = (VECTOR_DIR / f"{vector.name}.json").read_text(encoding="utf-8")
    obj = json.loads(text)
    assert set(obj) >= {"name", "description", "wire_hex", "valid", "message", "bad_reason"}
    assert obj["wire_hex"].endswith("00")
    assert bytes.fromhex(obj["wire_hex"]).count(0) == 1  # exactly one packet per vector
    assert dumps(vector_to_json(vector_from_json(obj))) + "\n" == text


def test_command_vectors_spell_out_their_argument() -> None:
    assert message_to_json(BY_NAME["cmd_set_rate_50"].message)["hz"] == 50  # type: ignore[arg-type]
    assert message_to_json(BY_NAME["cmd_set_rate_1000"].message)["arg_hex"] == "e803"  # type: ignore[arg-type]
    assert message_to_json(BY_NAME["cmd_set_encoding_sparse"].message)["encoding"] == 1  # type: ignore[arg-type]


def test_big_grid_is_stored_as_runs_and_rebuilds() -> None:
    obj = json.loads((VECTOR_DIR / "frame_sparse_128x255.json").read_text(encoding="utf-8"))
    message = obj["message"]
    assert "cells" not in message
    assert sum(n for _, n in message["cells_rle"]) == 128 * 255
    frame = BY_NAME["frame_sparse_128x255"].message
    assert frame is not None and frame.cells.shape == (128, 255)  # type: ignore[union-attr]
    assert int(frame.cells[-1, -1]) == 65535  # type: ignore[union-attr]
