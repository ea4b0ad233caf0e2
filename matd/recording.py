"""Recordings: the mat's raw serial byte stream saved to a file, nothing added.

A recording holds exactly the bytes the device sent (packets and their 0x00
delimiters), so decoding one goes through the same StreamDecoder as the live link
and counts the same failures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from matd.wire.decoder import Impl, new_decoder
from matd.wire.messages import Frame, Message
from matd.wire.stream import StreamDecoder, WireStats

CHUNK_BYTES = 1 << 20  # large enough to amortise feed() calls, small enough to stream


def read_chunks(path: Path | str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file's bytes in order, at most chunk_bytes at a time."""
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            yield chunk


class DecodedRecording:
    """A recording decoded lazily: iterate messages() or frames(), then read `stats`.

    `decode_s` is the time spent reading and decoding so far; the consumer's own time
    between messages (a detector, pacing) is not in it."""

    def __init__(
        self, path: Path | str, impl: Impl = "compiled", chunk_bytes: int = CHUNK_BYTES
    ) -> None:
        self.path = Path(path)
        self.decoder: StreamDecoder = new_decoder(impl)
        self.chunk_bytes = chunk_bytes
        self.decode_s = 0.0

    @property
    def stats(self) -> WireStats:
        """The decoder's counters; final once messages() or frames() is exhausted."""
        return self.decoder.stats

    def messages(self) -> Iterator[Message]:
        chunks = read_chunks(self.path, self.chunk_bytes)
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            decoded = self.decoder.feed(chunk) if chunk is not None else []
            self.decode_s += time.perf_counter() - started
            if chunk is None:
                return
            yield from decoded

    def frames(self) -> Iterator[Frame]:
        for msg in self.messages():
            if isinstance(msg, Frame):
                yield msg


def decode_recording(
    path: Path | str, impl: Impl = "compiled", chunk_bytes: int = CHUNK_BYTES
) -> DecodedRecording:
    """Open a recording for decoding; raises OSError now if the file can't be read."""
    with open(path, "rb"):
        pass
    return DecodedRecording(path, impl, chunk_bytes)
