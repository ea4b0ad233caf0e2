"""Synthetic mat frames with a known truth, for the kernels' tests and `matd bench`.

Contacts are elliptical patches with a dome-shaped pressure profile, averaged over
each cell's area; the sensor model follows SIGNALS.md ("The sensor"): a saturating
response adc = gain·FS·p/(p + p_half), per-cell offsets, noise, crosstalk into the
neighbours, dead cells (always 0) and stuck cells (always high). This is a small
stand-in for tests, not the body simulator of matd/sim/.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matd.sim.source import Geometry

Cell = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Patch:
    """One contact: an ellipse centred at (x, y) mm with semi-axes a (along its angle) and b.

    The pressure is a dome, 2·mean·(1 − ρ²) at normalised radius ρ, so its mean over
    the ellipse is `mean_kpa` and its centre of pressure is the ellipse's centre."""

    x_mm: float
    y_mm: float
    a_mm: float
    b_mm: float
    mean_kpa: float
    angle_rad: float = 0.0

    @property
    def area_mm2(self) -> float:
        return math.pi * self.a_mm * self.b_mm

    @property
    def load_n(self) -> float:
        return self.mean_kpa * self.area_mm2 * 1e-3

    @staticmethod
    def carrying(
        load_n: float, x_mm: float, y_mm: float, a_mm: float, b_mm: float, angle_rad: float = 0.0
    ) -> Patch:
        """The patch of this shape whose pressure adds up to `load_n` newtons."""
        mean = load_n / (math.pi * a_mm * b_mm * 1e-3)
        return Patch(x_mm, y_mm, a_mm, b_mm, mean, angle_rad)


def render_pressure(
    geometry: Geometry, patches: list[Patch], oversample: int = 4
) -> npt.NDArray[np.float64]:
    """The true pressure, kPa, averaged over each cell (rows × cols)."""
    rows, cols = geometry.rows, geometry.cols
    rp, cp = geometry.row_pitch_um / 1000.0, geometry.col_pitch_um / 1000.0
    sub = (np.arange(oversample) + 0.5) / oversample
    xs = ((np.arange(cols)[:, None] + sub[None, :]) * cp).ravel()
    ys = ((np.arange(rows)[:, None] + sub[None, :]) * rp).ravel()
    fine = np.zeros((ys.size, xs.size))
    for patch in patches:
        cos, sin = math.cos(patch.angle_rad), math.sin(patch.angle_rad)
        dx = xs[None, :] - patch.x_mm
        dy = ys[:, None] - patch.y_mm
        u = (dx * cos + dy * sin) / patch.a_mm
        v = (-dx * sin + dy * cos) / patch.b_mm
        fine += 2.0 * patch.mean_kpa * np.clip(1.0 - u * u - v * v, 0.0, None)
    return fine.reshape(rows, oversample, cols, oversample).mean(axis=(1, 3))


@dataclass
class Sensor:
    """The mat's cells: response, offsets, noise, crosstalk, dead and stuck cells."""

    geometry: Geometry
    p_half_kpa: float = 50.0
    gain: npt.NDArray[np.float64] | None = None  # per cell; None is 1 everywhere
    offset: npt.NDArray[np.float64] | None = None  # counts, per cell; None is 0
    noise_counts: float = 2.0
    crosstalk: float = 0.0  # share of a cell's reading leaking into each 4-neighbour
    dead: list[Cell] = field(default_factory=list)
    stuck: list[Cell] = field(default_factory=list)
    stuck_counts: int | None = None  # None: full scale

    @classmethod
    def typical(
        cls, geometry: Geometry, rng: np.random.Generator, *, p_half_kpa: float = 50.0
    ) -> Sensor:
        """Gains ±20%, offsets of tens of counts, 2 counts of noise, a little crosstalk."""
        shape = (geometry.rows, geometry.cols)
        return cls(
            geometry,
            p_half_kpa=p_half_kpa,
            gain=rng.uniform(0.8, 1.2, shape),
            offset=rng.uniform(10.0, 60.0, shape),
            noise_counts=2.0,
            crosstalk=0.04,
        )

    def response(self, pressure_kpa: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Noise-free counts above the offset for a pressure field."""
        fs = float(self.geometry.full_scale)
        adc = fs * pressure_kpa / (pressure_kpa + self.p_half_kpa)
        if self.gain is not None:
            adc = adc * self.gain
        if self.crosstalk:
            leak = np.zeros_like(adc)
            leak[1:, :] += adc[:-1, :]
            leak[:-1, :] += adc[1:, :]
            leak[:, 1:] += adc[:, :-1]
            leak[:, :-1] += adc[:, 1:]
            adc = adc + self.crosstalk * leak
        return adc

    def read(
        self,
        pressure_kpa: npt.NDArray[np.float64],
        rng: np.random.Generator,
        *,
        drift_counts: float = 0.0,
    ) -> npt.NDArray[np.uint16]:
        """One scan: raw counts as the mat would send them."""
        counts = self.response(pressure_kpa) + drift_counts
        if self.offset is not None:
            counts = counts + self.offset
        if self.noise_counts:
            counts = counts + rng.normal(0.0, self.noise_counts, counts.shape)
        fs = self.geometry.full_scale
        raw = np.clip(np.rint(counts), 0, fs).astype(np.uint16)
        for r, c in self.dead:
            raw[r, c] = 0
        for r, c in self.stuck:
            raw[r, c] = fs if self.stuck_counts is None else self.stuck_counts
        return raw


def pushup_patches(
    geometry: Geometry,
    *,
    weight_n: float = 750.0,
    hands_share: float = 0.68,
    hands_x_mm: float | None = None,
    feet_x_mm: float | None = None,
    y_mm: float | None = None,
    hand_gap_mm: float = 420.0,
    toe_gap_mm: float = 160.0,
) -> list[Patch]:
    """Two palms and two toe contacts of a push-up, lying along the mat.

    Palms are 120 × 90 mm (85 cm²), toes 60 × 40 mm (19 cm²), per SIGNALS.md."""
    length = geometry.cols * geometry.col_pitch_um / 1000.0
    width = geometry.rows * geometry.row_pitch_um / 1000.0
    hx = length * 0.22 if hands_x_mm is None else hands_x_mm
    fx = hx + 1250.0 if feet_x_mm is None else feet_x_mm
    cy = width / 2 if y_mm is None else y_mm
    palm = weight_n * hands_share / 2
    toe = weight_n * (1.0 - hands_share) / 2
    return [
        Patch.carrying(palm, hx, cy - hand_gap_mm / 2, 60.0, 45.0),
        Patch.carrying(palm, hx, cy + hand_gap_mm / 2, 60.0, 45.0),
        Patch.carrying(toe, fx, cy - toe_gap_mm / 2, 30.0, 20.0),
        Patch.carrying(toe, fx, cy + toe_gap_mm / 2, 30.0, 20.0),
    ]


def centre_of_pressure(patches: list[Patch]) -> tuple[float, float]:
    load = sum(p.load_n for p in patches)
    return (
        sum(p.load_n * p.x_mm for p in patches) / load,
        sum(p.load_n * p.y_mm for p in patches) / load,
    )


def pushup_cycle(
    geometry: Geometry, frames: int = 100, *, weight_n: float = 750.0
) -> list[npt.NDArray[np.float64]]:
    """True pressure over one rep: the hands' share swings 0.66 → 0.73 → 0.66."""
    out = []
    for i in range(frames):
        share = 0.66 + 0.07 * math.sin(math.pi * i / frames) ** 2
        out.append(
            render_pressure(
                geometry, pushup_patches(geometry, weight_n=weight_n, hands_share=share)
            )
        )
    return out


def pushup_frames(
    geometry: Geometry, n: int, *, seed: int = 0, cycle_frames: int = 100
) -> list[npt.NDArray[np.uint16]]:
    """`n` raw frames of push-ups read through a typical sensor (a rep every 2 s at 50 Hz)."""
    rng = np.random.default_rng(seed)
    sensor = Sensor.typical(geometry, rng)
    cycle = pushup_cycle(geometry, min(cycle_frames, n) or 1)
    return [sensor.read(cycle[i % len(cycle)], rng) for i in range(n)]
