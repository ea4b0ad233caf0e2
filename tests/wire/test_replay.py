"""`matd replay` on a recording with corruptions at known places, run as a real process.

The recording is built with the reference encoder: a boot 0x00, HELLO, a LOG and
FRAME_RAW packets of the reference 32x80 grid. Corruptions are chosen so that each one
hits exactly one packet and can never leave it valid or move a packet boundary:

- garbage between packets, followed by its own 0x00, is one bad packet each:
  b"\\x10junk" claims a 16-byte COBS block with 4 bytes present ("cobs"); b"\\x03ab"
  decodes to 2 bytes, fewer than version, type and CRC ("short");
- 66001 non-zero bytes between packets, then 0x00, exceed the receive bound: one
  "overflow" (a bad packet, though never counted as a packet);
- one bit flipped in a data byte of a frame's packet (never a COBS code byte, never
  turning the byte into 0x00) changes one bit of the payload, which CRC32 always
  detects: one "crc";
- up to 4 data bytes inside one COBS block overwritten with other non-zero bytes is a
  burst of at most 32 bits in the payload, which CRC32 always detects: one "crc";
- a packet cut inside a COBS block (its tail dropped, its 0x00 kept) ends with a block
  that runs past the packet: one "cobs".

Every corrupted packet is a frame that is not the last one, so each also shows up as
one lost frame; frames that were never written at all add to lost_frames too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import matd
from matd.wire.messages import MAX_UNDELIMITED, Frame, Hello, Log, pack

RATE_HZ = 50
N_FRAMES = 300


def _cells(i: int, rng: np.random.Generator) -> npt.NDArray[np.uint16]:
    """The reference grid: noise of a few counts, palms and toes pressing."""
    r = np.arange(32)[:, None]
    c = np.arange(80)[None, :]
    field = rng.poisson(1.5, size=(32, 80)).astype(np.float64)
    for br, bc, peak in ((9, 18, 2400), (22, 18, 2300), (12, 72, 900), (19, 72, 950)):
        field += peak * (1 + 0.2 * np.sin(i / 10)) * np.exp(-((r - br) ** 2 + (c - bc) ** 2) / 8)
    return np.clip(field, 0, 4095).astype(np.uint16)


def _blocks(packet: bytes) -> list[tuple[int, int]]:
    """(first, end) of the data bytes of each COBS block of a packet (without its 0x00)."""
    out, i = [], 0
    while i < len(packet):
        code = packet[i]
        out.append((i + 1, i + code))
        i += code
    return out


def _flip_bit(packet: bytes, rng: np.random.Generator) -> bytes:
    blocks = [(a, b) for a, b in _blocks(packet[:-1]) if b > a]
    a, b = blocks[rng.integers(len(blocks))]
    pos = int(rng.integers(a, b))
    bit = next(1 << k for k in range(8) if packet[pos] ^ (1 << k))
    out = bytearray(packet)
    out[pos] ^= bit
    assert out[pos] != 0
    return bytes(out)


def _overwrite(packet: bytes, rng: np.random.Generator) -> bytes:
    blocks = [(a, b) for a, b in _blocks(packet[:-1]) if b - a >= 4]
    assert blocks, "the blobs give long COBS blocks"
    a, _ = blocks[rng.integers(len(blocks))]
    out = bytearray(packet)
    for pos in range(a, a + 4):
        out[pos] = out[pos] % 255 + 1  # another byte, never 0x00
    return bytes(out)


def _cut(packet: bytes) -> bytes:
    a = next(a for a, b in _blocks(packet[:-1]) if b - a >= 2)
    return packet[: a + 1] + b"\x00"  # the block's code promises more bytes than remain


def _build(path: Path) -> dict[str, Any]:
    """Write the recording; return what a decoder must count."""
    rng = np.random.default_rng(7)
    expected: Counter[str] = Counter()
    skipped = {40, 41, 42, 200}  # seqs the mat "never sent": lost, not bad
    corrupt = {
        10: "flip",
        11: "flip",
        55: "overwrite",
        90: "cut",
        150: "flip",
        151: "overwrite",
        260: "cut",
    }
    between = {
        20: b"\x10junk",
        70: b"\x03ab",
        120: b"\x10junk",
        180: b"\x55" * (MAX_UNDELIMITED + 1),
    }
    reasons = {"flip": "crc", "overwrite": "crc", "cut": "cobs"}
    out = bytearray(b"\x00")
    out += pack(Hello(1, 0, 0, 32, 80, 25000, 25000, 12, RATE_HZ, 0, 42, "replay-test"))
    out += pack(Log(1, "boot ok"))
    good = 0
    for seq in range(N_FRAMES):
        if seq in between:
            out += between[seq] + b"\x00"
            expected[
                "overflow"
                if len(between[seq]) > MAX_UNDELIMITED
                else "cobs"
                if between[seq].startswith(b"\x10")
                else "short"
            ] += 1
        if seq in skipped:
            continue
        packet = pack(Frame(seq, seq * 20_000, _cells(seq, rng)))
        kind = corrupt.get(seq)
        if kind == "flip":
            packet = _flip_bit(packet, rng)
        elif kind == "overwrite":
            packet = _overwrite(packet, rng)
        elif kind == "cut":
            packet = _cut(packet)
        else:
            good += 1
        if kind is not None:
            expected[reasons[kind]] += 1
        out += packet
    path.write_bytes(bytes(out))
    return {
        "frames": good,
        "bad": dict(expected),
        "bad_packets": sum(expected.values()),
        "lost_frames": len(skipped) + len(corrupt),
    }


def _run_replay(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    checkout = str(Path(matd.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (checkout, env.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "matd", "replay", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("replay") / "corrupted.bin"
    return path, _build(path)


@pytest.mark.parametrize("impl", ["compiled", "reference"])
def test_replay_counts_every_corrupted_packet_and_every_good_frame(
    recording: tuple[Path, dict[str, Any]], impl: str
) -> None:
    path, expected = recording
    proc = _run_replay(str(path), "--impl", impl)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]  # only JSON on stdout
    summary = lines[-1]["summary"]
    assert summary["frames"] == expected["frames"] == N_FRAMES - 4 - 7
    assert summary["bad_packets"] == expected["bad_packets"] == 11
    assert {k: v for k, v in summary["bad"].items() if v} == expected["bad"]
    assert summary["lost_frames"] == expected["lost_frames"]
    assert (summary["sets"], summary["reps"]) == (0, 0)
    assert summary["decode_s"] >= 0
    assert "replay-test" in proc.stderr  # the HELLO is logged, not printed


def test_replay_of_a_missing_file_fails_cleanly(tmp_path: Path) -> None:
    proc = _run_replay(str(tmp_path / "nope.bin"))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "cannot read" in proc.stderr and "nope.bin" in proc.stderr


def test_realtime_replay_takes_the_recorded_time(tmp_path: Path) -> None:
    path = tmp_path / "half-second.bin"
    cells = np.ones((32, 80), np.uint16)
    # 31 frames 20 ms apart: 0.6 s of device time, across the 2^32 µs wrap.
    start = 2**32 - 300_000
    path.write_bytes(
        b"".join(pack(Frame(i, (start + i * 20_000) % 2**32, cells)) for i in range(31))
    )
    began = time.monotonic()
    proc = _run_replay(str(path), "--realtime")
    elapsed = time.monotonic() - began
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["summary"]["frames"] == 31
    assert elapsed >= 0.6  # a lower bound only: pacing can never run ahead of the recording
