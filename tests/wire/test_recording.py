"""Recordings: the raw byte stream in a file, decoded in chunks by either decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matd.recording import decode_recording, read_chunks
from matd.wire.decoder import Impl, new_decoder
from matd.wire.messages import Frame, Hello
from matd.wire.vectors import make_recording, synthetic_recording


@pytest.fixture(scope="module")
def ten_seconds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "ten-seconds.bin"
    make_recording(path, minutes=10 / 60)
    return path


def test_chunks_give_back_the_file_byte_for_byte(ten_seconds: Path) -> None:
    chunks = list(read_chunks(ten_seconds, chunk_bytes=4096))
    assert b"".join(chunks) == ten_seconds.read_bytes()
    assert max(len(c) for c in chunks) == 4096


@pytest.mark.parametrize("chunk_bytes", [777, 1 << 20])
def test_decoding_a_recording_gives_every_frame_in_order(
    ten_seconds: Path, impl: Impl, chunk_bytes: int
) -> None:
    recording = decode_recording(ten_seconds, impl, chunk_bytes=chunk_bytes)
    messages = list(recording.messages())
    assert isinstance(messages[0], Hello) and messages[0].rows == 32
    frames = [m for m in messages if isinstance(m, Frame)]
    assert [f.seq for f in frames] == list(range(500))
    assert all(f.cells.shape == (32, 80) for f in frames)
    stats = recording.stats
    assert (stats.frames, stats.bad_packets, stats.lost_frames) == (500, 0, 0)
    assert stats.bytes == ten_seconds.stat().st_size
    assert recording.decode_s > 0


def test_frames_iterator_and_both_decoders_agree(ten_seconds: Path) -> None:
    ref = list(decode_recording(ten_seconds, "reference").frames())
    comp = list(decode_recording(ten_seconds, "compiled").frames())
    assert len(ref) == len(comp) == 500
    assert all(a == b for a, b in zip(ref, comp, strict=True))


def test_a_missing_recording_fails_when_opened(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        decode_recording(tmp_path / "missing.bin")


def test_synthetic_recording_looks_like_the_reference_mat() -> None:
    packets = list(synthetic_recording(minutes=0.05))
    assert packets[0] == b"\x00"  # the device's boot delimiter
    frames = [m for m in new_decoder("compiled").feed(b"".join(packets)) if isinstance(m, Frame)]
    assert len(frames) == 150
    cells = np.stack([f.cells for f in frames])
    assert np.median(cells) <= 4  # an almost empty mat: noise of a few counts
    assert cells.max() > 1000  # hands and feet pressing
    assert [f.device_time_us for f in frames[:3]] == [0, 20_000, 40_000]
