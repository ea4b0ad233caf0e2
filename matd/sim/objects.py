"""Things on the mat that are not the person: a bag or a kettlebell set down, a pet walking."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from matd.sim import contacts as shapes
from matd.sim.body import G
from matd.sim.contacts import ContactState, Template
from matd.sim.motion import ramp

OBJECT_KINDS = ("bag", "box", "kettlebell", "bottle")


@dataclass
class ObjectOnMat:
    """A rigid or soft object set down on the mat, and maybe taken away again."""

    kind: str
    template: Template
    x_mm: float
    y_mm: float
    heading: float
    mass_kg: float
    start: float
    end: float  # taken away; inf when it stays
    ramp_s: float

    @staticmethod
    def draw(
        rng: np.random.Generator, kind: str, x_mm: float, y_mm: float, start: float, end: float
    ) -> ObjectOnMat:
        if kind == "bag":
            length, width = float(rng.uniform(250, 500)), float(rng.uniform(150, 320))
            # A soft bag rests on whatever is hard inside it: a few patches carry most of it.
            jitter = rng.lognormal(0.0, 0.9, max(2, round(length / 35)) * max(2, round(width / 35)))
            tpl = shapes.rect_lattice("bag", length, width, 1.0, jitter)
            mass = float(rng.uniform(3.0, 15.0))
        elif kind == "box":
            length, width = float(rng.uniform(200, 450)), float(rng.uniform(150, 350))
            tpl = shapes.rect_lattice(
                "box", length, width, 2.5, None
            )  # a rigid base bears on its rim
            mass = float(rng.uniform(3.0, 20.0))
        elif kind == "kettlebell":
            tpl = shapes.ring("kettlebell", float(rng.uniform(120, 200)))
            mass = float(rng.choice([8.0, 12.0, 16.0, 20.0, 24.0]))
        else:
            tpl = shapes.disc("bottle", float(rng.uniform(30, 60)) ** 2)
            mass = float(rng.uniform(0.5, 1.5))
        heading = float(rng.uniform(0, 2 * math.pi))
        return ObjectOnMat(
            kind, tpl, x_mm, y_mm, heading, mass, start, end, float(rng.uniform(0.1, 0.35))
        )

    def contacts(self, t: float) -> list[ContactState]:
        if t <= self.start or t >= self.end:
            return []
        f = min(
            ramp(t, self.start, self.start + self.ramp_s),
            1.0 - ramp(t, self.end - self.ramp_s, self.end),
        )
        return [
            ContactState(self.template, self.x_mm, self.y_mm, self.heading, self.mass_kg * G * f)
        ]

    def truth(self, t0: float, duration: float) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start_t": round(t0 + self.start, 4),
            "end_t": round(t0 + min(self.end, duration), 4),
            "mass_kg": round(self.mass_kg, 2),
            "x_mm": round(self.x_mm, 1),
            "y_mm": round(self.y_mm, 1),
        }


# Walking gait of a quadruped (lateral sequence): each paw's phase offset and load share.
PAWS = (("hind_L", 0.0, 0.2), ("fore_L", 0.25, 0.3), ("hind_R", 0.5, 0.2), ("fore_R", 0.75, 0.3))


@dataclass
class Footfall:
    paw: int
    down: float
    up: float
    x_mm: float
    y_mm: float


class PetWalk:
    """A cat or dog walking across the mat (maybe stopping a moment), paw by paw."""

    kind = "pet"

    def __init__(
        self,
        rng: np.random.Generator,
        mat_length_mm: float,
        mat_width_mm: float,
        start: float,
        mass_kg: float | None = None,
    ) -> None:
        self.mass_kg = float(
            mass_kg if mass_kg is not None else rng.choice([rng.uniform(3, 6), rng.uniform(5, 35)])
        )
        size = (self.mass_kg / 10.0) ** (1.0 / 3.0)
        self.body_mm = float(np.clip(380.0 * size, 250.0, 700.0))
        self.half_width_mm = float(np.clip(60.0 * size, 35.0, 120.0))
        self.paw = shapes.disc("paw", float(np.clip(600.0 * size**2, 250.0, 2000.0)))
        self.speed = float(rng.uniform(0.3, 1.0)) * 1000.0  # mm/s
        self.stride_mm = float(np.clip(rng.uniform(0.8, 1.2) * 450.0 * size, 220.0, 700.0))
        self.duty = float(rng.uniform(0.55, 0.7))
        self.mat = (mat_length_mm, mat_width_mm)
        # A line across the mat from outside one edge to outside another.
        cx, cy = rng.uniform(0.2, 0.8) * mat_length_mm, rng.uniform(0.2, 0.8) * mat_width_mm
        ang = float(rng.uniform(0, 2 * math.pi))
        self.dir = (math.cos(ang), math.sin(ang))
        reach = math.hypot(mat_length_mm, mat_width_mm)
        margin = self.body_mm + 300.0
        self.p0 = (cx - self.dir[0] * (reach / 2 + margin), cy - self.dir[1] * (reach / 2 + margin))
        length = reach + 2 * margin
        self.start = start
        walk_s = length / self.speed
        self.pause_at = float(rng.uniform(0.4, 0.6)) * walk_s if rng.random() < 0.3 else -1.0
        self.pause_s = float(rng.uniform(1.0, 5.0)) if self.pause_at >= 0 else 0.0
        self.end = start + walk_s + self.pause_s
        self.footfalls = self._plan()

    def _travelled(self, t: float) -> float:
        """Distance walked by time t (mm); it stands still during its pause."""
        dt = t - self.start
        if self.pause_at >= 0 and dt > self.pause_at:
            dt = max(self.pause_at, dt - self.pause_s)
        return max(dt, 0.0) * self.speed

    def _girdle(self, travelled: float, fore: bool, side: float) -> tuple[float, float]:
        along = travelled + (self.body_mm / 2 if fore else -self.body_mm / 2)
        x = self.p0[0] + self.dir[0] * along - self.dir[1] * side * self.half_width_mm
        y = self.p0[1] + self.dir[1] * along + self.dir[0] * side * self.half_width_mm
        return x, y

    def _plan(self) -> list[Footfall]:
        """Each paw lands half a stance ahead of its girdle and stays until it lifts."""
        out: list[Footfall] = []
        dt = 0.01
        t = self.start
        down_at: list[float | None] = [None] * 4
        where: list[tuple[float, float]] = [(0.0, 0.0)] * 4
        while t <= self.end + dt:
            d = self._travelled(t)
            in_pause = (
                self.pause_at >= 0 and self.pause_at < t - self.start < self.pause_at + self.pause_s
            )
            for i, (name, phase, _) in enumerate(PAWS):
                stance = ((d / self.stride_mm + phase) % 1.0) < self.duty or in_pause
                fore = name.startswith("fore")
                side = 1.0 if name.endswith("L") else -1.0
                if stance and down_at[i] is None:
                    ahead = self.stride_mm * self.duty / 2 if not in_pause else 0.0
                    down_at[i] = t
                    where[i] = self._girdle(d + ahead, fore, side)
                elif not stance and (landed := down_at[i]) is not None:
                    out.append(Footfall(i, landed, t, *where[i]))
                    down_at[i] = None
            t += dt
        for i in range(4):
            start = down_at[i]
            if start is not None:
                out.append(Footfall(i, start, self.end, *where[i]))
        return out

    def contacts(self, t: float) -> list[ContactState]:
        if t < self.start or t > self.end:
            return []
        live = []
        for f in self.footfalls:
            if f.down <= t <= f.up:
                r = min(ramp(t, f.down, f.down + 0.04), 1.0 - ramp(t, f.up - 0.04, f.up))
                live.append((f, PAWS[f.paw][2] * max(r, 0.0)))
        total = sum(w for _, w in live)
        if total <= 0.0:
            return []
        weight = self.mass_kg * G
        return [ContactState(self.paw, f.x_mm, f.y_mm, 0.0, weight * w / total) for f, w in live]

    def on_mat_span(self) -> tuple[float, float] | None:
        """First and last time a paw is on the mat."""
        length, width = self.mat
        on = [f for f in self.footfalls if 0.0 <= f.x_mm <= length and 0.0 <= f.y_mm <= width]
        if not on:
            return None
        return min(f.down for f in on), max(f.up for f in on)

    def truth(self, t0: float) -> dict[str, Any] | None:
        span = self.on_mat_span()
        if span is None:
            return None
        return {
            "kind": "pet",
            "start_t": round(t0 + span[0], 4),
            "end_t": round(t0 + span[1], 4),
            "mass_kg": round(self.mass_kg, 2),
            "paused_s": round(self.pause_s, 2),
        }
