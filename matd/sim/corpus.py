"""A seeded corpus of simulated mat recordings with their ground truth.

    python -m matd.sim.corpus OUTDIR --cases N --seed S [--split tune|holdout] [--jobs 2]

Each case is `case_XXXX.bin`, the exact bytes a mat would send (a lone 0x00, HELLO, then
FRAME_RAW packets; now and then a frame lost or a few garbage bytes), and `case_XXXX.json`,
the truth (see docs/simulator.md). `index.json` lists the cases. Tune cases have even
seeds and holdout cases odd ones, so the two splits never share a case.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matd.sim.scenario import ScenarioMatSource, Truth
from matd.sim.scenarios import build_scene
from matd.sim.sensor import MatSensor
from matd.sim.source import Geometry
from matd.wire.messages import Hello, encode_frame, pack, unpack

WRAP_S = 2**32 / 1e6  # the device clock wraps at 2^32 µs

# Mostly the reference mat; some others so nothing hard-codes its size or ADC.
GEOMETRIES: tuple[tuple[Geometry, float], ...] = (
    (Geometry(), 0.85),
    (Geometry(28, 72, 25000, 25000, 12), 0.04),
    (Geometry(40, 100, 20000, 20000, 12), 0.04),
    (Geometry(24, 60, 33000, 33000, 10), 0.04),
    (Geometry(32, 80, 25000, 25000, 16), 0.03),
)
RATES: tuple[tuple[int, float], ...] = ((50, 0.86), (40, 0.05), (60, 0.04), (100, 0.02), (25, 0.03))
SPLITS = ("tune", "holdout")


def case_seed(seed: int, split: str, index: int) -> int:
    """The scenario seed of a corpus case: even for tune, odd for holdout."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return 2 * (seed * 1_000_003 + index) + (0 if split == "tune" else 1)


@dataclass
class WireFaults:
    """What goes wrong on the wire in one case, by frame index."""

    dropped: set[int] = field(default_factory=set)
    corrupted: set[int] = field(default_factory=set)
    garbage_after: set[int] = field(default_factory=set)

    @staticmethod
    def draw(rng: np.random.Generator, n_frames: int) -> WireFaults:
        f = WireFaults()
        inner = (5, n_frames - 5)  # never at the very ends: a loss there is invisible
        if inner[1] - inner[0] < 20:
            return f
        if rng.random() < 0.4:
            for _ in range(int(rng.integers(1, 6))):
                k = int(rng.integers(*inner))
                burst = int(rng.integers(2, 11)) if rng.random() < 0.2 else 1
                f.dropped.update(range(k, min(k + burst, inner[1])))
        if rng.random() < 0.15:
            f.corrupted.update(int(k) for k in rng.integers(*inner, size=int(rng.integers(1, 3))))
        if rng.random() < 0.3:
            f.garbage_after.update(
                int(k) for k in rng.integers(*inner, size=int(rng.integers(1, 4)))
            )
        f.corrupted -= f.dropped
        f.garbage_after -= f.dropped
        return f


def _pick(rng: np.random.Generator, options: tuple[tuple[Any, float], ...]) -> Any:
    weights = np.array([w for _, w in options])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]


def _garbage(rng: np.random.Generator) -> bytes:
    """Stray bytes with no 0x00 inside, ended by one: exactly one bad packet."""
    while True:
        junk = bytes(int(b) for b in rng.integers(1, 256, size=int(rng.integers(1, 41))))
        try:
            unpack(junk)
        except ValueError:
            return junk + b"\x00"


def _corrupt(rng: np.random.Generator, packet: bytes) -> bytes:
    """One byte of a packet changed (never to 0x00, which would split it): one bad packet."""
    while True:
        i = int(rng.integers(0, len(packet) - 1))
        flip = int(rng.integers(1, 256))
        new = packet[i] ^ flip
        if new == 0:
            continue
        bad = packet[:i] + bytes([new]) + packet[i + 1 :]
        try:
            unpack(bad[:-1])
        except ValueError:
            return bad


def generate_case(
    seed: int,
    geometry: Geometry | None = None,
    rate_hz: int | None = None,
    t0_s: float | None = None,
) -> tuple[bytes, Truth]:
    """One case's wire bytes and truth, from its seed alone (the keywords override draws)."""
    rng = np.random.default_rng([seed, 0x77697265])
    drawn_geometry: Geometry = _pick(rng, GEOMETRIES)
    drawn_rate = int(_pick(rng, RATES))
    geometry = geometry or drawn_geometry
    rate = rate_hz or drawn_rate
    scene = build_scene("random", seed, geometry)
    duration = scene.duration
    n_frames = math.ceil(duration * rate)
    if rng.random() < 0.25:
        t0 = WRAP_S - float(rng.uniform(0.5, 0.9 * duration))  # the clock wraps mid-case
    else:
        t0 = float(rng.uniform(0.0, WRAP_S))
    if t0_s is not None:
        t0 = t0_s
    seq0 = int(rng.integers(0, 2**32))
    if rng.random() < 0.1:
        seq0 = 2**32 - int(rng.integers(1, n_frames))
    serial = int(rng.integers(1, 2**63))
    faults = WireFaults.draw(rng, n_frames)
    sensor = MatSensor(geometry, scene.script.sensor, seed)
    source = ScenarioMatSource(scene, sensor, t0_s=t0)
    hello = Hello(
        0,
        1,
        0,
        geometry.rows,
        geometry.cols,
        geometry.row_pitch_um,
        geometry.col_pitch_um,
        geometry.adc_bits,
        rate,
        0,
        serial,
        "matd-sim",
    )
    out = bytearray(b"\x00")
    out += pack(hello)
    # A scan starts on the device's timer, give or take a few tens of microseconds.
    jitter_us = rng.integers(-30, 31, size=n_frames)
    fault_log: list[dict[str, Any]] = []
    delivered = 0
    for k in range(n_frames):
        t_us = round((t0 + k / rate) * 1e6) + int(jitter_us[k])
        cells = source.render(t_us / 1e6)  # rendered even when lost: the sensor runs on
        if k in faults.dropped:
            fault_log.append({"kind": "dropped", "frame": k, "t": round(t_us / 1e6, 6)})
            continue
        packet = pack(encode_frame(seq0 + k, t_us, cells))
        if k in faults.corrupted:
            packet = _corrupt(rng, packet)
            fault_log.append({"kind": "corrupted", "frame": k, "t": round(t_us / 1e6, 6)})
        else:
            delivered += 1
        out += packet
        if k in faults.garbage_after:
            out += _garbage(rng)
            fault_log.append({"kind": "garbage", "frame": k, "t": round(t_us / 1e6, 6)})
    truth = scene.truth(t0)
    truth.update(
        {
            "rate_hz": rate,
            "frames_sent": n_frames - len(faults.dropped),
            "frames": delivered,
            "lost_frames": len(faults.dropped) + len(faults.corrupted),
            "bad_packets": len(faults.corrupted) + len(faults.garbage_after),
            "wire_faults": fault_log,
            "first_seq": seq0,
            "hello": {"serial": serial, "board": hello.board, "firmware": hello.firmware},
            "clock_wraps": t0 + n_frames / rate > WRAP_S,
        }
    )
    return bytes(out), truth


def _index_entry(name: str, truth: Truth) -> dict[str, Any]:
    sets = truth["sets"]
    return {
        "case": name,
        "bin": f"{name}.bin",
        "truth": f"{name}.json",
        "seed": truth["seed"],
        "scenario": truth["scenario"],
        "duration_s": truth["duration_s"],
        "rate_hz": truth["rate_hz"],
        "frames": truth["frames"],
        "sets": len(sets),
        "reps": sum(len(s["reps"]) for s in sets),
        "sag_episodes": sum(len(s["sag_episodes"]) for s in sets),
        "expect_no_set": truth["expect_no_set"],
    }


def write_case(outdir: Path, index: int, seed: int, split: str) -> dict[str, Any]:
    data, truth = generate_case(seed)
    truth["split"] = split
    name = f"case_{index:04d}"
    (outdir / f"{name}.bin").write_bytes(data)
    (outdir / f"{name}.json").write_text(json.dumps(truth, indent=1) + "\n")
    return _index_entry(name, truth)


def _write_job(job: tuple[str, int, int, str]) -> dict[str, Any]:
    outdir, index, seed, split = job
    return write_case(Path(outdir), index, seed, split)


def build_corpus(outdir: Path, cases: int, seed: int, split: str, jobs: int = 1) -> dict[str, Any]:
    outdir.mkdir(parents=True, exist_ok=True)
    work = [(str(outdir), i, case_seed(seed, split, i), split) for i in range(cases)]
    if jobs > 1:
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            entries = list(pool.imap(_write_job, work))
    else:
        entries = [_write_job(w) for w in work]
    index = {"version": 1, "generator": "matd.sim", "seed": seed, "split": split, "cases": entries}
    (outdir / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m matd.sim.corpus",
        description="write a seeded corpus of simulated mat recordings",
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", choices=SPLITS, default="tune")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (1 or 2)")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    if not 1 <= args.jobs <= 8:
        parser.error("--jobs must be 1 to 8")
    started = time.perf_counter()
    index = build_corpus(args.outdir, args.cases, args.seed, args.split, args.jobs)
    frames = sum(c["frames"] for c in index["cases"])
    took = time.perf_counter() - started
    print(
        f"{len(index['cases'])} cases, {frames} frames, {took:.1f} s "
        f"({1e3 * took / max(frames, 1):.2f} ms per frame) in {args.outdir}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
