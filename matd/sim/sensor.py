"""The pressure-sensing grid: how a cell turns pressure into ADC counts (SIGNALS.md).

Per cell, in order: an activation threshold (a cell reads nothing under a light touch),
the saturating response p / (p + p_half), crosstalk into the four neighbours, creep (the
reading rises by a few per cent under a long hold and relaxes after), a per-cell gain,
an offset that drifts while the mat warms up, noise, and the odd dead or stuck cell.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matd.sim.source import Geometry

FloatArray = npt.NDArray[np.float64]

REFERENCE_FULL_SCALE = 4095  # counts below are given for a 12-bit ADC and scaled to others


@dataclass(frozen=True, slots=True)
class SensorParams:
    """One mat's sensor, as drawn for a case. Counts are 12-bit counts (scaled to adc_bits)."""

    p_half_kpa: float
    activation_kpa: float
    response_ceiling: float
    gain_spread: float
    crosstalk: float
    noise_counts: float
    offset_max_counts: float
    warmup_drift_counts: float
    warmup_drift_spread_counts: float
    warmup_tau_s: float
    warmup_age_s: float
    creep_fraction: float
    creep_tau_s: float
    foam_sigma_mm: float
    dead_cells: tuple[tuple[int, int], ...]
    stuck_cells: tuple[tuple[int, int], ...]
    cell_seed: int

    @staticmethod
    def draw(rng: np.random.Generator, geometry: Geometry) -> SensorParams:
        n_dead = int(rng.choice([0, 0, 1, 1, 2, 3]))
        n_stuck = int(rng.choice([0, 0, 0, 1, 1, 2]))
        cells = rng.choice(geometry.rows * geometry.cols, size=n_dead + n_stuck, replace=False)
        rc = [(int(i) // geometry.cols, int(i) % geometry.cols) for i in cells]
        return SensorParams(
            p_half_kpa=float(rng.uniform(30.0, 80.0)),
            activation_kpa=float(rng.uniform(0.2, 1.0)),
            response_ceiling=float(rng.uniform(0.9, 0.98)),
            gain_spread=float(rng.uniform(0.1, 0.2)),
            crosstalk=float(rng.uniform(0.01, 0.05)),
            noise_counts=float(rng.uniform(1.0, 4.0)),
            offset_max_counts=float(rng.uniform(10.0, 60.0)),
            warmup_drift_counts=float(rng.uniform(-20.0, 40.0)),
            warmup_drift_spread_counts=float(rng.uniform(4.0, 15.0)),
            warmup_tau_s=float(rng.uniform(60.0, 400.0)),
            warmup_age_s=float(rng.choice([0.0, rng.uniform(0.0, 900.0)])),
            creep_fraction=float(rng.uniform(0.02, 0.06)),
            creep_tau_s=float(rng.uniform(15.0, 60.0)),
            foam_sigma_mm=float(rng.uniform(3.0, 8.0)),
            dead_cells=tuple(rc[:n_dead]),
            stuck_cells=tuple(rc[n_dead:]),
            cell_seed=int(rng.integers(0, 2**31)),
        )

    @staticmethod
    def ideal() -> SensorParams:
        """A clean sensor (no noise, offset, drift, creep, crosstalk, bad cells), for tests."""
        return SensorParams(
            p_half_kpa=50.0,
            activation_kpa=0.0,
            response_ceiling=0.95,
            gain_spread=0.0,
            crosstalk=0.0,
            noise_counts=0.0,
            offset_max_counts=0.0,
            warmup_drift_counts=0.0,
            warmup_drift_spread_counts=0.0,
            warmup_tau_s=100.0,
            warmup_age_s=0.0,
            creep_fraction=0.0,
            creep_tau_s=30.0,
            foam_sigma_mm=4.0,
            dead_cells=(),
            stuck_cells=(),
            cell_seed=0,
        )

    def to_json(self) -> dict[str, Any]:
        d = {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}
        d["dead_cells"] = [list(c) for c in self.dead_cells]
        d["stuck_cells"] = [list(c) for c in self.stuck_cells]
        return d


class MatSensor:
    """Turns pressure (kPa per cell) into ADC counts. Stateful (creep); `t` never decreases."""

    def __init__(self, geometry: Geometry, params: SensorParams, noise_seed: int) -> None:
        self.geometry = geometry
        self.params = params
        shape = (geometry.rows, geometry.cols)
        self.full_scale = geometry.full_scale
        self.count_scale = self.full_scale / REFERENCE_FULL_SCALE
        cells = np.random.default_rng(params.cell_seed)
        p = params
        self.gain = 1.0 + cells.uniform(-p.gain_spread, p.gain_spread, shape)
        self.offset_base = cells.uniform(0.0, p.offset_max_counts, shape) * self.count_scale
        self.drift = (
            cells.normal(p.warmup_drift_counts, p.warmup_drift_spread_counts, shape)
            * self.count_scale
        )
        self.dead = np.zeros(shape, dtype=bool)
        for r, c in p.dead_cells:
            self.dead[r, c] = True
        self.stuck = np.zeros(shape, dtype=bool)
        for r, c in p.stuck_cells:
            self.stuck[r, c] = True
        self.stuck_level = cells.uniform(0.85, 1.0, shape) * self.full_scale
        self.span = self.full_scale * p.response_ceiling * self.gain
        self._noise = np.random.default_rng(noise_seed)
        self._creep = np.zeros(shape)
        self._last_t: float | None = None

    def offset_counts(self, t: float) -> FloatArray:
        """Each cell's reading with nothing on it, `t` seconds into the recording."""
        p = self.params
        warm = 1.0 - math.exp(-(p.warmup_age_s + t) / p.warmup_tau_s)
        out: FloatArray = np.maximum(self.offset_base + self.drift * warm, 0.0)
        return out

    def response(self, pressure_kpa: FloatArray) -> FloatArray:
        """The saturating part, 0..1, before crosstalk and gain."""
        p = np.maximum(pressure_kpa - self.params.activation_kpa, 0.0)
        out: FloatArray = p / (p + self.params.p_half_kpa)
        return out

    def counts(self, pressure_kpa: FloatArray, t: float) -> npt.NDArray[np.uint16]:
        """One scan's ADC counts for the given pressure, `t` seconds into the recording."""
        p = self.params
        r = self.response(pressure_kpa)
        if p.crosstalk > 0.0:
            r = r + p.crosstalk * _neighbour_sum(r)
        if p.creep_fraction > 0.0:
            dt = 0.0 if self._last_t is None else max(t - self._last_t, 0.0)
            # Creep builds slowly under load and recovers about four times faster unloaded.
            build = 1.0 - math.exp(-dt / p.creep_tau_s)
            relax = 1.0 - math.exp(-4.0 * dt / p.creep_tau_s)
            self._creep += (r - self._creep) * np.where(r > self._creep, build, relax)
            r = r + p.creep_fraction * self._creep
        self._last_t = t
        value = self.span * r + self.offset_counts(t)
        if p.noise_counts > 0.0:
            value += self._noise.normal(0.0, p.noise_counts * self.count_scale, value.shape)
        value[self.dead] = 0.0
        value[self.stuck] = self.stuck_level[self.stuck]
        return np.clip(np.rint(value), 0, self.full_scale).astype(np.uint16)

    def pressure_from_counts(self, counts: npt.NDArray[np.uint16], t: float) -> FloatArray:
        """Best estimate of the pressure behind a scan, knowing this mat's parameters.

        Undoes offset, gain, creep (its state after the last scan), crosstalk (to first
        order) and the saturating response. Noise and the activation threshold cannot be
        undone: cells within four noise deviations of their offset count as unloaded."""
        p = self.params
        value = counts.astype(np.float64) - self.offset_counts(t)
        r = np.clip(value / self.span, 0.0, 0.999)
        if p.creep_fraction > 0.0:
            r = np.maximum(r - p.creep_fraction * self._creep, 0.0)
        if p.crosstalk > 0.0:
            r = np.maximum(r - p.crosstalk * _neighbour_sum(r), 0.0)
        floor = max(4.0 * p.noise_counts * self.count_scale, 0.5)
        loaded = (r * self.span > floor) & ~(self.dead | self.stuck)
        out: FloatArray = np.where(loaded, p.p_half_kpa * r / (1.0 - r) + p.activation_kpa, 0.0)
        return out


def _neighbour_sum(r: FloatArray) -> FloatArray:
    out = np.zeros_like(r)
    out[1:, :] += r[:-1, :]
    out[:-1, :] += r[1:, :]
    out[:, 1:] += r[:, :-1]
    out[:, :-1] += r[:, 1:]
    return out
