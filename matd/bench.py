"""`matd bench`: each compiled kernel timed beside its NumPy/SciPy reference.

Everything runs on the reference mat (32 × 80 cells, 25 mm, 12-bit) with push-up
frames read through a typical sensor (matd.kernels.synthetic). Each case runs its
two sides alternately, `repeats` times, and keeps the best time of each side, so a
busy machine slows both alike and the ratio stays honest.
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matd.analyzer import FrameAnalyzer
from matd.calibrate import WARMUP_FRAMES, Calibrator
from matd.config import CalibrationConfig
from matd.kernels import Impl, Kernels, get
from matd.kernels.synthetic import Sensor, pushup_cycle
from matd.native import NativeMissing
from matd.sim.source import Geometry
from matd.wire.decoder import new_decoder
from matd.wire.messages import Encoding, Frame, Hello, pack

READ_CHUNK = 4096  # bytes per serial read fed to the wire decoders
RATE_HZ = 50


@dataclass
class Row:
    """One line of the table: µs per frame of each side (None: that side could not run)."""

    kernel: str
    reference_us: float | None
    compiled_us: float | None
    note: str = ""

    @property
    def speedup(self) -> float | None:
        if self.reference_us is None or not self.compiled_us:
            return None
        return self.reference_us / self.compiled_us


@dataclass
class Report:
    mat: str
    frames: int
    repeats: int
    rows: list[Row] = field(default_factory=list)
    analyzer_fps: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    analyzer_heap_peak_kb: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for row, data in zip(self.rows, out["rows"], strict=True):
            data["speedup"] = row.speedup
        return out


@dataclass
class _Inputs:
    geometry: Geometry
    raw: list[npt.NDArray[np.uint16]]  # push-up frames
    empty: list[npt.NDArray[np.uint16]]  # empty-mat frames
    pressure: list[npt.NDArray[np.float32]]  # calibrated push-up frames
    calibrator: Calibrator  # warmed up on the empty mat


def _inputs(frames: int, seed: int = 1) -> _Inputs:
    geometry = Geometry()
    rng = np.random.default_rng(seed)
    sensor = Sensor.typical(geometry, rng)
    cycle = pushup_cycle(geometry, min(frames, 100))
    nothing = np.zeros((geometry.rows, geometry.cols))
    # Enough empty frames to finish the calibrator's provisional baseline.
    empty = [sensor.read(nothing, rng) for _ in range(max(frames, 2 * WARMUP_FRAMES))]
    raw = [sensor.read(cycle[i % len(cycle)], rng) for i in range(frames)]
    calibrator = Calibrator(geometry, CalibrationConfig.model_validate({}), get("reference"))
    for i, frame in enumerate(empty):
        calibrator.process(frame, i / RATE_HZ)
    start = len(empty) / RATE_HZ
    pressure = [calibrator.process(f, start + i / RATE_HZ).copy() for i, f in enumerate(raw)]
    return _Inputs(geometry, raw, empty, pressure, calibrator)


def _kernel_case(k: Kernels, name: str, inputs: _Inputs) -> Callable[[], None]:
    g, cal = inputs.geometry, inputs.calibrator
    rp, cp = g.row_pitch_um / 1000.0, g.col_pitch_um / 1000.0
    full_scale, p_half = float(g.full_scale), cal.cfg.p_half_kpa
    out = np.empty((g.rows, g.cols), dtype=np.float32)
    labels = np.empty((g.rows, g.cols), dtype=np.int32)
    baseline, var = cal.baseline.copy(), cal.var.copy()

    def calibrate() -> None:
        for raw in inputs.raw:
            k.calibrate(raw, cal.baseline, cal.floor, cal.mask, full_scale, p_half, out)

    def track_baseline() -> None:
        for raw in inputs.empty[: len(inputs.raw)]:
            k.track_baseline(raw, baseline, var, 1e-3)

    def moments() -> None:
        for pressure in inputs.pressure:
            k.moments(pressure, rp, cp)

    def contacts() -> None:
        for pressure in inputs.pressure:
            k.contacts(pressure, 1.0, 2, rp, cp, labels)

    cases = {
        "calibrate": calibrate,
        "track_baseline": track_baseline,
        "moments": moments,
        "contacts": contacts,
    }
    return cases[name]


def _analyzer_case(impl: Impl, inputs: _Inputs) -> Callable[[], None]:
    analyzer = FrameAnalyzer(inputs.geometry, CalibrationConfig.model_validate({}), impl)
    clock = [0.0]
    for i, raw in enumerate(inputs.empty):
        clock[0] = i / RATE_HZ
        analyzer.process(Frame(i, 0, raw), clock[0])
    frames = [Frame(i, 0, raw) for i, raw in enumerate(inputs.raw)]

    def run() -> None:
        for frame in frames:
            clock[0] += 1.0 / RATE_HZ
            analyzer.process(frame, clock[0])

    return run


def recording(seconds: float, inputs: _Inputs) -> tuple[bytes, int]:
    """A `seconds`-long 50 Hz stream as the mat sends it: HELLO, then raw frames."""
    g = inputs.geometry
    hello = Hello(
        1,
        0,
        0,
        g.rows,
        g.cols,
        g.row_pitch_um,
        g.col_pitch_um,
        g.adc_bits,
        RATE_HZ,
        Encoding.RAW,
        1,
        "bench",
    )
    n = int(seconds * RATE_HZ)
    parts = [pack(hello)]
    step_us = 1_000_000 // RATE_HZ
    for i in range(n):
        cells = inputs.raw[i % len(inputs.raw)]
        parts.append(pack(Frame(i, (i * step_us) & 0xFFFFFFFF, cells)))
    return b"".join(parts), n


def _wire_case(impl: Impl, stream: bytes, frames: int) -> Callable[[], None]:
    new_decoder(impl)  # fails now when not built, not inside the timing loop
    chunks = [stream[i : i + READ_CHUNK] for i in range(0, len(stream), READ_CHUNK)]

    def run() -> None:
        decoder = new_decoder(impl)
        for chunk in chunks:
            decoder.feed(chunk)
        if decoder.stats.frames != frames:
            raise RuntimeError(f"{impl} decoder found {decoder.stats.frames} of {frames} frames")

    return run


def _best_of(
    cases: dict[str, tuple[Callable[[], None] | None, Callable[[], None] | None]],
    repeats: int,
) -> dict[str, tuple[float | None, float | None]]:
    best: dict[str, list[float]] = {name: [float("inf"), float("inf")] for name in cases}
    for _ in range(repeats):
        for name, sides in cases.items():
            for side, run in enumerate(sides):
                if run is None:
                    continue
                gc.collect()
                start = time.perf_counter()
                run()
                best[name][side] = min(best[name][side], time.perf_counter() - start)
    return {
        name: (
            None if sides[0] is None else best[name][0],
            None if sides[1] is None else best[name][1],
        )
        for name, sides in cases.items()
    }


def _heap_peak_kb(inputs: _Inputs) -> float:
    """Peak Python-heap growth while the compiled analyzer runs the frames once."""
    run = _analyzer_case("compiled", inputs)
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024.0


def run_bench(
    *, quick: bool = False, repeats: int | None = None, frames: int | None = None
) -> Report:
    """Time every kernel, the whole analyzer and the wire decoders; see the module doc."""
    repeats = repeats or (2 if quick else 7)
    frames = frames or (20 if quick else 200)
    wire_seconds = 5.0 if quick else 60.0
    inputs = _inputs(frames)
    g = inputs.geometry
    report = Report(
        f"{g.rows}x{g.cols} at {g.col_pitch_um / 1000:g} mm, {g.adc_bits}-bit", frames, repeats
    )

    reference = get("reference")
    try:
        compiled: Kernels | None = get("compiled")
    except NativeMissing:
        compiled = None
    cases: dict[str, tuple[Callable[[], None] | None, Callable[[], None] | None]] = {}
    per_frame: dict[str, int] = {}
    notes: dict[str, str] = {}
    for name in ("calibrate", "track_baseline", "moments", "contacts"):
        cases[name] = (
            _kernel_case(reference, name, inputs),
            None if compiled is None else _kernel_case(compiled, name, inputs),
        )
        per_frame[name] = frames
        if compiled is None:
            notes[name] = "matd._kernels is not built"
    cases["analyzer (whole frame)"] = (
        _analyzer_case("reference", inputs),
        None if compiled is None else _analyzer_case("compiled", inputs),
    )
    per_frame["analyzer (whole frame)"] = frames

    wire = f"wire decode ({wire_seconds:g} s at {RATE_HZ} Hz)"
    stream, wire_frames = recording(wire_seconds, inputs)
    try:
        compiled_wire: Callable[[], None] | None = _wire_case("compiled", stream, wire_frames)
    except NativeMissing:
        compiled_wire = None
        notes[wire] = "matd._wire is not built yet"
    cases[wire] = (_wire_case("reference", stream, wire_frames), compiled_wire)
    per_frame[wire] = wire_frames

    for name, (ref_s, comp_s) in _best_of(cases, repeats).items():
        n = per_frame[name]
        report.rows.append(
            Row(
                name,
                None if ref_s is None else ref_s / n * 1e6,
                None if comp_s is None else comp_s / n * 1e6,
                notes.get(name, ""),
            )
        )
    whole = next(row for row in report.rows if row.kernel == "analyzer (whole frame)")
    for impl, us in (("reference", whole.reference_us), ("compiled", whole.compiled_us)):
        if us:
            report.analyzer_fps[impl] = 1e6 / us
    if compiled is not None:
        report.analyzer_heap_peak_kb = _heap_peak_kb(inputs)
    report.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return report


def format_report(report: Report) -> str:
    def us(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    lines = [
        f"matd bench: {report.mat} mat, {report.frames} push-up frames, "
        f"best of {report.repeats} interleaved runs",
        "",
        f"{'kernel':<30} {'reference µs/frame':>19} {'compiled µs/frame':>18} {'speed-up':>9}",
    ]
    for row in report.rows:
        ratio = "-" if row.speedup is None else f"{row.speedup:.1f}x"
        line = f"{row.kernel:<30} {us(row.reference_us):>19} {us(row.compiled_us):>18} {ratio:>9}"
        lines.append(line + (f"  ({row.note})" if row.note else ""))
    lines.append("")
    fps = ", ".join(f"{v:,.0f} frames/s {k}" for k, v in report.analyzer_fps.items())
    lines.append(f"analyzer: {fps}")
    memory = f"peak memory: {report.peak_rss_mb:.1f} MB resident (whole bench process)"
    if report.analyzer_heap_peak_kb:
        memory += (
            f"; compiled analyzer heap peak {report.analyzer_heap_peak_kb:.1f} kB"
            f" over {report.frames} frames (tracemalloc)"
        )
    lines.append(memory)
    return "\n".join(lines)
