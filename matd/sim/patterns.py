"""Scripted pressure patterns for the virtual mat: simple, deterministic per seed, no body.

They exercise the link and the wire (noise, a moving contact, a static push-up pattern)
without the physical push-up model of matd.sim.scenarios. Each is a FrameSource.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from matd.sim.source import FrameSource, Geometry

# The empty mat: per-cell offsets a few tens of counts, noise of a few counts (SIGNALS.md).
OFFSET_MAX_COUNTS = 24.0
NOISE_SD_COUNTS = 2.0
OFFSET_DRIFT_COUNTS = 6.0
OFFSET_DRIFT_PERIOD_S = 240.0


class _Grid:
    """Cell centres in metres (x along the mat, y across) and a seeded noise floor."""

    def __init__(self, geometry: Geometry, seed: int) -> None:
        self.geometry = geometry
        g = geometry
        self.x = (np.arange(g.cols) + 0.5) * g.col_pitch_um * 1e-6
        self.y = (np.arange(g.rows) + 0.5) * g.row_pitch_um * 1e-6
        self.rng = np.random.default_rng(seed)
        self.offsets = self.rng.uniform(0.0, OFFSET_MAX_COUNTS, size=(g.rows, g.cols))

    @property
    def length_m(self) -> float:
        return self.geometry.cols * self.geometry.col_pitch_um * 1e-6

    @property
    def width_m(self) -> float:
        return self.geometry.rows * self.geometry.row_pitch_um * 1e-6

    def floor(self, t: float) -> npt.NDArray[np.float64]:
        """Empty-mat reading: offsets drifting slowly together, plus white noise."""
        drift = OFFSET_DRIFT_COUNTS * math.sin(2 * math.pi * t / OFFSET_DRIFT_PERIOD_S)
        noise = self.rng.normal(0.0, NOISE_SD_COUNTS, size=self.offsets.shape)
        out: npt.NDArray[np.float64] = self.offsets + drift + noise
        return out

    def blob(
        self, x_m: float, y_m: float, sx_m: float, sy_m: float, peak: float
    ) -> npt.NDArray[np.float64]:
        """An elliptical Gaussian contact centred at (x_m, y_m), in ADC counts."""
        gx = np.exp(-0.5 * ((self.x - x_m) / sx_m) ** 2)
        gy = np.exp(-0.5 * ((self.y - y_m) / sy_m) ** 2)
        out: npt.NDArray[np.float64] = peak * np.outer(gy, gx)
        return out

    def to_adc(self, counts: npt.NDArray[np.float64]) -> npt.NDArray[np.uint16]:
        return np.clip(np.rint(counts), 0, self.geometry.full_scale).astype(np.uint16)


class EmptyMat:
    """Nobody on the mat: offsets, slow drift and noise only."""

    def __init__(self, geometry: Geometry | None = None, seed: int = 0) -> None:
        self.geometry = geometry or Geometry()
        self._grid = _Grid(self.geometry, seed)

    def render(self, t: float) -> npt.NDArray[np.uint16]:
        return self._grid.to_adc(self._grid.floor(t))


class MovingBlob:
    """One palm-sized contact wandering over the mat on a Lissajous path."""

    PEAK_COUNTS = 1800.0
    SIGMA_M = 0.05
    PERIOD_X_S = 8.0
    PERIOD_Y_S = 5.0

    def __init__(self, geometry: Geometry | None = None, seed: int = 0) -> None:
        self.geometry = geometry or Geometry()
        self._grid = _Grid(self.geometry, seed)
        self._phase = float(self._grid.rng.uniform(0.0, 2 * math.pi))

    def position_m(self, t: float) -> tuple[float, float]:
        g = self._grid
        x = g.length_m * (0.5 + 0.4 * math.sin(2 * math.pi * t / self.PERIOD_X_S + self._phase))
        y = g.width_m * (0.5 + 0.35 * math.sin(2 * math.pi * t / self.PERIOD_Y_S))
        return x, y

    def render(self, t: float) -> npt.NDArray[np.uint16]:
        x, y = self.position_m(t)
        g = self._grid
        return g.to_adc(g.floor(t) + g.blob(x, y, self.SIGMA_M, self.SIGMA_M, self.PEAK_COUNTS))


class HandsAndToes:
    """A static plank: two palms near one end, two toe contacts near the other.

    Placed as a fraction of the mat's size, so it fits any geometry."""

    def __init__(self, geometry: Geometry | None = None, seed: int = 0) -> None:
        self.geometry = geometry or Geometry()
        grid = _Grid(self.geometry, seed)
        self._grid = grid
        length, width = grid.length_m, grid.width_m
        hands_x = 0.25 * length
        toes_x = 0.85 * length
        self._load = (
            grid.blob(hands_x, 0.32 * width, 0.045, 0.035, 1500.0)
            + grid.blob(hands_x, 0.68 * width, 0.045, 0.035, 1500.0)
            + grid.blob(toes_x, 0.42 * width, 0.02, 0.015, 2400.0)
            + grid.blob(toes_x, 0.58 * width, 0.02, 0.015, 2400.0)
        )

    def render(self, t: float) -> npt.NDArray[np.uint16]:
        return self._grid.to_adc(self._grid.floor(t) + self._load)


PATTERNS: dict[str, Callable[[Geometry | None, int], FrameSource]] = {
    "empty": EmptyMat,
    "moving-blob": MovingBlob,
    "hands-and-toes": HandsAndToes,
}


def pattern_source(name: str, seed: int = 0, geometry: Geometry | None = None) -> FrameSource:
    """The scripted pattern called `name`. Raises KeyError naming the known ones."""
    try:
        make = PATTERNS[name]
    except KeyError:
        raise KeyError(f"no pattern {name!r}; known: {', '.join(PATTERNS)}") from None
    return make(geometry, seed)
