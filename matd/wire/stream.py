"""Splits a byte stream into packets and packets into messages, counting every failure.

`StreamDecoder` is the pure-Python reference; `matd._wire.StreamDecoder` (ext/wire.pyx)
is the compiled twin with the same API and the same counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matd.wire.messages import (
    BAD_REASONS,
    MAX_UNDELIMITED,
    BadPacket,
    Frame,
    Message,
    unpack,
)


@dataclass
class WireStats:
    """Counters of one decoded stream. `bad` holds one counter per failure kind."""

    bytes: int = 0
    packets: int = 0
    frames: int = 0
    bad_packets: int = 0
    lost_frames: int = 0
    bad: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD_REASONS, 0))

    def as_dict(self) -> dict[str, object]:
        return {
            "bytes": self.bytes,
            "packets": self.packets,
            "frames": self.frames,
            "bad_packets": self.bad_packets,
            "lost_frames": self.lost_frames,
            "bad": dict(self.bad),
        }


class StreamDecoder:
    """Feed it bytes as they arrive; it returns the messages completed by them."""

    def __init__(self) -> None:
        self.stats = WireStats()
        self._buf = bytearray()
        self._overflowed = False
        self._last_seq: int | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> list[Message]:
        if not isinstance(data, bytes | bytearray):
            # A memoryview has no .find(), and len() of one counts items, not bytes.
            data = memoryview(data).tobytes()
        out: list[Message] = []
        self.stats.bytes += len(data)
        start = 0
        while True:
            end = data.find(0, start)
            if end < 0:
                self._buffer(data[start:])
                return out
            self._buffer(data[start:end])
            if self._overflowed:
                self._overflowed = False
            elif self._buf:
                msg = self._packet(bytes(self._buf))
                if msg is not None:
                    out.append(msg)
            self._buf.clear()
            start = end + 1

    def _buffer(self, chunk: bytes | bytearray) -> None:
        if self._overflowed or not chunk:
            return
        if len(self._buf) + len(chunk) > MAX_UNDELIMITED:
            # A packet this long can't be valid: drop what we hold and skip to the next 0x00.
            self._buf.clear()
            self._overflowed = True
            self._count_bad("overflow")
            return
        self._buf += chunk

    def _packet(self, packet: bytes) -> Message | None:
        self.stats.packets += 1
        try:
            msg = unpack(packet)
        except BadPacket as exc:
            self._count_bad(exc.reason)
            return None
        if isinstance(msg, Frame):
            self.stats.frames += 1
            if self._last_seq is not None:
                gap = (msg.seq - self._last_seq - 1) & 0xFFFFFFFF
                # A huge "gap" is a seq going backwards (the device rebooted): not a loss.
                if gap < 0x80000000:
                    self.stats.lost_frames += gap
            self._last_seq = msg.seq
        return msg

    def _count_bad(self, reason: str) -> None:
        self.stats.bad_packets += 1
        self.stats.bad[reason] = self.stats.bad.get(reason, 0) + 1

    def reset_sequence(self) -> None:
        """Forget the last sequence number (after a reconnect the mat may have rebooted)."""
        self._last_seq = None
