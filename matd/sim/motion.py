"""How a person's contacts change over time: still holds with sway, and transitions.

A `Motion` covers a span of scenario time and says, for any instant in it, which contacts
are down (a `Pose`, each contact with its share of the weight) and the total force they
carry. A transition moves limbs one after another: a limb unloads, swings, and loads at
its new place, while the limbs still down take up its share, as in quasi-static support.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from matd.sim.body import Limb, Pose, pose_contacts
from matd.sim.contacts import ContactState


def min_jerk(x: float) -> float:
    """The minimum-jerk path from 0 to 1 over x in [0, 1]: how a limb moves smoothly."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    return x * x * x * (10.0 + x * (-15.0 + 6.0 * x))


def min_jerk_acc(x: float) -> float:
    """Second derivative of `min_jerk` with respect to x (multiply by 1/T² for time)."""
    if x <= 0.0 or x >= 1.0:
        return 0.0
    return x * (60.0 + x * (-180.0 + 120.0 * x))


def ramp(t: float, t0: float, t1: float) -> float:
    """0 before t0, 1 after t1, a minimum-jerk rise between."""
    if t1 <= t0:
        return 1.0 if t >= t1 else 0.0
    return min_jerk((t - t0) / (t1 - t0))


class Wobble:
    """A smooth, bounded random signal: a few sinusoids in a frequency band, |value| <= amp."""

    __slots__ = ("_c", "_f", "_ph")

    def __init__(
        self, rng: np.random.Generator, amp: float, f_lo: float, f_hi: float, n: int = 3
    ) -> None:
        c = rng.uniform(0.5, 1.0, n)
        self._c = [float(v) for v in amp * c / c.sum()]
        self._f = [float(v) * 2.0 * math.pi for v in rng.uniform(f_lo, f_hi, n)]
        self._ph = [float(v) for v in rng.uniform(0.0, 2.0 * math.pi, n)]

    def __call__(self, t: float) -> float:
        return sum(
            c * math.sin(f * t + p) for c, f, p in zip(self._c, self._f, self._ph, strict=True)
        )


class Motion(ABC):
    """A span of scenario time [start, end] with the person's (or a thing's) contacts."""

    kind: str = "motion"
    start: float = 0.0
    end: float = 0.0

    @abstractmethod
    def pose(self, t: float) -> tuple[Pose, float]:
        """The contacts down at `t` and the total force (N) they carry."""

    def contacts(self, t: float) -> list[ContactState]:
        pose, force = self.pose(t)
        return pose_contacts(pose, force)


class Absent(Motion):
    """Nobody on the mat."""

    kind = "absent"

    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end

    def pose(self, t: float) -> tuple[Pose, float]:
        return {}, 0.0


@dataclass(frozen=True, slots=True)
class Sway:
    """How a still pose wanders: weight shifting side to side and front to back, and each
    contact's own CoP drifting along its length (mm), within a frequency band (Hz)."""

    side: float = 0.0
    fore_aft: float = 0.0
    cop_mm: float = 0.0
    f_lo: float = 0.1
    f_hi: float = 0.5


class Hold(Motion):
    """A pose held still, with sway that fades in and out so it joins its neighbours smoothly."""

    def __init__(
        self,
        kind: str,
        pose: Pose,
        start: float,
        end: float,
        weight_n: float,
        rng: np.random.Generator,
        sway: Sway = Sway(),
    ) -> None:
        self.kind, self.base, self.start, self.end, self.weight_n = kind, pose, start, end, weight_n
        self.sway = sway
        self._side = Wobble(rng, sway.side, sway.f_lo, sway.f_hi)
        self._fore = Wobble(rng, sway.fore_aft, sway.f_lo, sway.f_hi)
        self._cop = {k: Wobble(rng, sway.cop_mm, sway.f_lo, sway.f_hi) for k in pose}

    def pose(self, t: float) -> tuple[Pose, float]:
        env = min(ramp(t, self.start, self.start + 0.8), 1.0 - ramp(t, self.end - 0.8, self.end))
        if env <= 0.0 or not (self.sway.side or self.sway.fore_aft or self.sway.cop_mm):
            return self.base, self.weight_n
        side = env * self._side(t)
        fore = env * self._fore(t)
        out: Pose = {}
        for k, limb in self.base.items():
            m = 1.0
            if k.endswith("_L"):
                m += side
            elif k.endswith("_R"):
                m -= side
            m *= 1.0 + fore if k.startswith(("hand", "head")) else 1.0 - fore
            c = env * self._cop[k](t)
            shift = (c * math.cos(limb.heading), c * math.sin(limb.heading))
            out[k] = replace(limb, share=limb.share * m, shift=shift)
        return out, self.weight_n


# ---------------------------------------------------------------- transitions


@dataclass(frozen=True, slots=True)
class Move:
    """One limb's step: its old contacts unload over `unload`, its new ones load over `load`."""

    keys_out: tuple[str, ...]
    keys_in: tuple[str, ...]
    unload: tuple[float, float]
    load: tuple[float, float]


class Transition(Motion):
    """From pose `a` to pose `b` by the given moves; unmoved limbs shift their share smoothly."""

    kind = "transition"

    def __init__(
        self,
        a: Pose,
        b: Pose,
        moves: Sequence[Move],
        start: float,
        end: float,
        weight_n: float,
        kind: str = "transition",
    ) -> None:
        self.a, self.b, self.moves = a, b, list(moves)
        self.start, self.end, self.weight_n, self.kind = start, end, weight_n, kind
        moved = {k for m in self.moves for k in (*m.keys_out, *m.keys_in)}
        self.steady = [k for k in a if k in b and k not in moved]

    def pose(self, t: float) -> tuple[Pose, float]:
        e = ramp(t, self.start, self.end)
        out: Pose = {}
        for k in self.steady:
            out[k] = _blend(self.a[k], self.b[k], e)
        for m in self.moves:
            if t < m.unload[1]:
                f = 1.0 - ramp(t, *m.unload)
                for k in m.keys_out:
                    out[k] = replace(self.a[k], share=self.a[k].share * f)
            if t > m.load[0]:
                f = ramp(t, *m.load)
                for k in m.keys_in:
                    out[k] = replace(self.b[k], share=self.b[k].share * f)
        return out, self.weight_n


def _blend(a: Limb, b: Limb, e: float) -> Limb:
    if e <= 0.0:
        return a
    if e >= 1.0:
        return b
    dh = math.remainder(b.heading - a.heading, 2.0 * math.pi)
    return Limb(
        b.template,
        a.x + (b.x - a.x) * e,
        a.y + (b.y - a.y) * e,
        a.heading + dh * e,
        a.share + (b.share - a.share) * e,
        (a.shift[0] + (b.shift[0] - a.shift[0]) * e, a.shift[1] + (b.shift[1] - a.shift[1]) * e),
    )


def _same_place(a: Limb, b: Limb) -> bool:
    return (
        a.template is b.template
        and math.hypot(a.x - b.x, a.y - b.y) < 5.0
        and abs(math.remainder(a.heading - b.heading, 2.0 * math.pi)) < 0.05
    )


def limb_group(key: str) -> str:
    if key.startswith("hand"):
        return "arms"
    if key.startswith(("foot", "knee")):
        return "legs"
    return "slow"


def plan_transition(
    a: Pose,
    b: Pose,
    start: float,
    weight_n: float,
    rng: np.random.Generator,
    order: Sequence[str] = ("arms", "legs"),
    *,
    together: bool = False,
    kind: str = "transition",
) -> Transition:
    """Plans the steps from pose `a` to pose `b`.

    Arms and legs step one side at a time in `order` (or both sides nearly at once with
    `together`); each step unloads, swings for a time that grows with the distance, and
    loads. Whole-body contacts (lying, sitting, the head) shift over the whole transition."""
    keys = list(dict.fromkeys([*a, *b]))
    changed = [k for k in keys if not (k in a and k in b and _same_place(a[k], b[k]))]
    moves: list[Move] = []
    t = start
    for group in [*order, *[g for g in ("arms", "legs") if g not in order]]:
        sides = [
            s
            for s in ("_L", "_R")
            if any(limb_group(k) == group and k.endswith(s) for k in changed)
        ]
        if len(sides) == 2 and rng.random() < 0.5:
            sides.reverse()
        for side in sides:
            ks = [k for k in changed if limb_group(k) == group and k.endswith(side)]
            out = tuple(k for k in ks if k in a)
            inn = tuple(k for k in ks if k in b)
            unload_s = float(rng.uniform(0.12, 0.3)) if out else 0.0
            load_s = float(rng.uniform(0.15, 0.35)) if inn else 0.0
            air = 0.0
            if out and inn:
                dist = math.hypot(
                    np.mean([a[k].x for k in out]) - np.mean([b[k].x for k in inn]),
                    np.mean([a[k].y for k in out]) - np.mean([b[k].y for k in inn]),
                )
                air = 0.06 + dist / 1000.0 / float(rng.uniform(1.2, 2.2))
            unload = (t, t + unload_s)
            load = (unload[1] + air, unload[1] + air + load_s)
            moves.append(Move(out, inn, unload, load))
            if together:
                t = t + float(rng.uniform(0.0, 0.12))
            else:
                t = max(load[1] + float(rng.uniform(-0.1, 0.25)), load[0] + 0.05)
        if sides:
            t = max(t, max(max(m.unload[1], m.load[1]) for m in moves)) + float(
                rng.uniform(0.0, 0.2)
            )
    moves_end = max((max(m.unload[1], m.load[1]) for m in moves), default=start)
    slow = [k for k in changed if limb_group(k) == "slow"]
    span = moves_end - start
    if slow:
        span = max(span, float(rng.uniform(0.8, 1.6)))
        s0, s1 = start + 0.1 * span, start + 0.9 * span
        mid = 0.5 * (s0 + s1)
        for k in slow:
            if k in a and k in b:
                moves.append(Move((k,), (k,), (s0, mid), (mid, s1)))
            elif k in a:
                moves.append(Move((k,), (), (s0, s1), (s1, s1)))
            else:
                moves.append(Move((), (k,), (s0, s0), (s0, s1)))
    if span <= 0.0:
        span = float(rng.uniform(0.3, 0.8))
    return Transition(a, b, moves, start, start + span, weight_n, kind)
