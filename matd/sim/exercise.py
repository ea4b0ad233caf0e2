"""An exercise set on the mat: push-ups (standard or on the knees) or a plank hold.

The set is driven by u, the hands' share of the load (SIGNALS.md): in static balance the
centre of mass sits at u of the way from the feet (or knees) to the hands, so the hands
carry u of the weight. Per instant:

    u = baseline + wander + breathing + depth_u · s(t) − sag + pike

where s(t) is the rep phase (0 at the top, the rep's depth fraction at the bottom, along a
minimum-jerk path). The total load follows the centre of mass's vertical acceleration,
weight · (1 − swing · a(t)), where a(t) is the shape of the centre of mass's vertical
acceleration along the same path, scaled to peak at 1 in a full rep (SIGNALS.md: the load
varies by ±5–15%; a faster phase swings a little harder). Each hand's
own CoP moves toward the fingers with the rep phase, toward the wrist during a sag.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from matd.sim.body import HandOffsets, Limb, Person, Pose, PoseBook, hands_share
from matd.sim.motion import Hold, Motion, Move, Transition, Wobble, min_jerk, min_jerk_acc, ramp

MIN_JERK_PEAK_ACC = 5.7735  # max |d²/dx² min_jerk(x)|, at x = 0.5 ± 0.289
PARTIAL_MIN_U = 0.02  # the shallowest partial rep, in u


@dataclass(frozen=True, slots=True)
class Rep:
    """One push-up: lowering, a pause at the bottom, pushing up. `depth` is the fraction of
    the set's full swing in u this rep reaches."""

    start: float
    down: float
    bottom: float
    up: float
    depth: float
    partial: bool

    @property
    def top_t(self) -> float:
        return self.start + self.down + self.bottom + self.up


@dataclass(frozen=True, slots=True)
class Episode:
    """A sag (u falls below the baseline) or a pike (u rises): it ramps in from `onset`,
    deepens from depth0 to depth1 until `until` (fatigue), and ramps out by `end_t`.
    `hand_shift_mm` is how far each hand's CoP moves toward the wrist at full strength
    (negative: toward the fingers)."""

    onset: float
    ramp_in: float
    until: float
    ramp_out: float
    depth0: float
    depth1: float
    hand_shift_mm: float

    @property
    def end_t(self) -> float:
        return self.until + self.ramp_out

    def at(self, t: float) -> tuple[float, float]:
        """(how far u is moved, the fraction of full strength) at time t."""
        if t <= self.onset or t >= self.end_t:
            return 0.0, 0.0
        span = self.until - self.onset
        grown = min(max((t - self.onset) / span, 0.0), 1.0) if span > 0 else 1.0
        depth = self.depth0 + (self.depth1 - self.depth0) * grown
        if t < self.until:
            f = ramp(t, self.onset, self.onset + self.ramp_in)
        else:
            f = 1.0 - ramp(t, self.until, self.end_t)
        return depth * f, f


@dataclass(frozen=True, slots=True)
class HandLift:
    """A hand lifted for a moment and put down `moved` (forward, left; m) from where it was."""

    key: str
    start: float
    unload: float
    air: float
    load: float
    moved: tuple[float, float]

    @property
    def end(self) -> float:
        return self.start + self.unload + self.air + self.load

    @property
    def placed_t(self) -> float:
        return self.start + self.unload + 0.5 * self.air


@dataclass(frozen=True, slots=True)
class KneeRest:
    """A short rest on the knees inside a set: toes off, knees down, then back."""

    start: float
    drop: float
    hold: float
    rise: float
    lean_back_u: float

    @property
    def end(self) -> float:
        return self.start + self.drop + self.hold + self.rise


@dataclass
class SetPlan:
    """Everything drawn for one set, in scenario seconds."""

    kind: str  # "pushup" or "plank"
    knees: bool
    start: float
    end: float
    baseline_u: float
    depth_u: float
    reps: list[Rep] = field(default_factory=list)
    sags: list[Episode] = field(default_factory=list)
    pikes: list[Episode] = field(default_factory=list)
    lifts: list[HandLift] = field(default_factory=list)
    rests: list[KneeRest] = field(default_factory=list)
    breath_u: float = 0.0
    breath_hz: float = 0.3
    balance0: float = 0.5
    balance_drift: float = 0.0
    load_swing: float = 0.1  # peak change of the total load in a full rep, fraction of weight
    usual_down_s: float = 1.0
    seed: int = 0  # for the set's own small random wanderings

    def shifted(self, dt: float) -> SetPlan:
        """The same set starting `dt` seconds later."""
        return SetPlan(
            kind=self.kind,
            knees=self.knees,
            start=self.start + dt,
            end=self.end + dt,
            baseline_u=self.baseline_u,
            depth_u=self.depth_u,
            reps=[replace(r, start=r.start + dt) for r in self.reps],
            sags=[replace(e, onset=e.onset + dt, until=e.until + dt) for e in self.sags],
            pikes=[replace(e, onset=e.onset + dt, until=e.until + dt) for e in self.pikes],
            lifts=[replace(x, start=x.start + dt) for x in self.lifts],
            rests=[replace(x, start=x.start + dt) for x in self.rests],
            breath_u=self.breath_u,
            breath_hz=self.breath_hz,
            balance0=self.balance0,
            balance_drift=self.balance_drift,
            load_swing=self.load_swing,
            usual_down_s=self.usual_down_s,
            seed=self.seed,
        )


def _pause(rng: np.random.Generator, usual: tuple[float, float], long_p: float) -> float:
    if rng.random() < long_p:
        return float(rng.uniform(0.5, 2.0))
    return float(rng.uniform(*usual))


def draw_set_plan(
    rng: np.random.Generator,
    person: Person,
    start: float,
    *,
    kind: str = "pushup",
    knees: bool = False,
    reps: int = 10,
    hold_s: float = 30.0,
    sag: bool = False,
    pike: bool = False,
    partial: bool = False,
    hand_lift: bool = False,
    knee_rest: bool = False,
) -> SetPlan:
    """Draws a set's timing, depth, form faults and interludes."""
    p = person
    if knees:
        base = float(np.clip(p.knee_top_u + rng.normal(0.0, 0.005), 0.49, 0.56))
        depth_u = float(np.clip(p.knee_depth_u * rng.uniform(0.92, 1.08), 0.03, 0.08))
    else:
        base = float(np.clip(p.top_u + rng.normal(0.0, 0.006), 0.62, 0.71))
        depth_u = float(np.clip(p.depth_u * rng.uniform(0.92, 1.08), 0.04, 0.10))
    plan = SetPlan(kind=kind, knees=knees, start=start, end=start, baseline_u=base, depth_u=depth_u)
    plan.seed = int(rng.integers(0, 2**31))
    plan.balance0 = float(np.clip(p.balance + rng.normal(0.0, 0.02), 0.4, 0.6))
    plan.balance_drift = float(rng.uniform(-0.06, 0.06)) if rng.random() < 0.5 else 0.0
    plan.breath_hz = float(np.clip(p.breath_hz * rng.uniform(0.9, 1.1), 0.2, 0.4))
    plan.load_swing = p.load_swing * (0.7 if knees else 1.0)
    plan.usual_down_s = p.down_s
    if kind == "plank":
        plan.breath_u = float(min(p.plank_sway_u * rng.uniform(0.8, 1.1), 0.02))
        plan.end = start + hold_s
        if hand_lift:
            t = float(rng.uniform(start + 3.0, plan.end - 4.0))
            plan.lifts.append(_draw_lift(rng, t))
        if sag:
            plan.sags = _draw_plank_episodes(rng, plan, p, sag=True)
        elif pike:
            plan.pikes = _draw_plank_episodes(rng, plan, p, sag=False)
        return plan

    plan.breath_u = float(rng.uniform(0.001, 0.005))
    tempo = float(rng.uniform(0.85, 1.15))
    fatigue = float(rng.uniform(0.0, 0.35))
    t = start + (
        float(rng.uniform(0.6, 3.0)) if rng.random() < 0.85 else float(rng.uniform(3.0, 6.0))
    )
    partial_at: set[int] = set()
    if partial and reps >= 4:
        # At most a third of the reps, so the set's median rep stays a full one.
        k = int(rng.integers(1, min(3, (reps - 1) // 3) + 1))
        late = rng.random() < 0.6
        pool = range(max(2, reps - 4), reps) if late and reps > 4 else range(2, reps)
        partial_at = {int(i) for i in rng.choice(list(pool), size=min(k, len(pool)), replace=False)}
    lift_at = int(rng.integers(1, reps)) if hand_lift and reps >= 2 else -1
    rest_at = int(rng.integers(3, reps - 1)) if knee_rest and not knees and reps >= 6 else -1
    for i in range(reps):
        if i == lift_at:
            lift = _draw_lift(rng, t)
            plan.lifts.append(lift)
            t = lift.end + float(rng.uniform(0.1, 0.5))
        if i == rest_at:
            drop, rise = float(rng.uniform(0.25, 0.4)), float(rng.uniform(0.25, 0.4))
            hold = float(rng.uniform(0.15, 1.25 - drop - rise))
            rest = KneeRest(t, drop, hold, rise, float(rng.uniform(0.0, 0.05)))
            plan.rests.append(rest)
            t = rest.end + float(rng.uniform(0.3, 0.8))
        slow = 1.0 + fatigue * (i / max(reps - 1, 1)) ** 2
        down = float(np.clip(p.down_s * tempo * slow * rng.uniform(0.9, 1.1), 0.6, 1.5))
        up = float(np.clip(p.up_s * tempo * slow * rng.uniform(0.9, 1.1), 0.5, 1.2))
        if i in partial_at:
            # Part way down and back: 30 to 55% of a full rep, and never shallower than
            # breathing sways u in a plank (SIGNALS.md: up to 0.02), or it is no rep at all.
            depth = min(max(float(rng.uniform(0.3, 0.55)), PARTIAL_MIN_U / depth_u), 0.55)
            down = max(down * (0.55 + 0.5 * depth), 0.45)
            up = max(up * (0.55 + 0.5 * depth), 0.4)
        else:
            depth = float(rng.uniform(0.92, 1.08))
        bottom = _pause(rng, (0.02, 0.2), 0.08)
        bottom = min(bottom, 5.0 - down - up)
        rep = Rep(t, down, bottom, up, depth, i in partial_at)
        plan.reps.append(rep)
        t = rep.top_t + _pause(rng, (0.05, 0.5), 0.08)
    plan.end = plan.reps[-1].top_t + float(rng.uniform(0.3, 2.0))
    if sag:
        plan.sags = _draw_pushup_episodes(rng, plan, p, sag=True)
    elif pike:
        plan.pikes = _draw_pushup_episodes(rng, plan, p, sag=False)
    return plan


def _draw_lift(rng: np.random.Generator, t: float) -> HandLift:
    side = 1.0 if rng.random() < 0.5 else -1.0
    return HandLift(
        key="hand_L" if side > 0 else "hand_R",
        start=t,
        unload=float(rng.uniform(0.1, 0.2)),
        air=float(rng.uniform(0.25, 0.8)),
        load=float(rng.uniform(0.15, 0.3)),
        # Mostly sideways: a hand moved along the body would change u by itself.
        moved=(float(rng.uniform(-0.015, 0.015)), float(side * rng.uniform(-0.02, 0.06))),
    )


def _episode(
    rng: np.random.Generator,
    person: Person,
    onset: float,
    until: float,
    to_end: bool,
    j: int,
    sag: bool,
) -> Episode:
    if sag:
        d0 = float(min(rng.uniform(0.015, 0.035) + 0.004 * j, 0.045))
        d1 = float(min(d0 + rng.uniform(0.0, 0.015), 0.05))
        shift = float(np.clip(person.hand_sag_shift_mm * rng.uniform(0.8, 1.2), 5.0, 20.0))
    else:
        d0 = d1 = float(rng.uniform(0.02, 0.05))
        shift = -float(rng.uniform(3.0, 10.0))
    return Episode(
        onset=onset,
        ramp_in=float(rng.uniform(0.15, 0.5)),
        until=until,
        ramp_out=0.0 if to_end else float(rng.uniform(0.2, 0.6)),
        depth0=d0,
        depth1=d1,
        hand_shift_mm=shift,
    )


def _busy(plan: SetPlan, t0: float, t1: float) -> bool:
    """True when [t0, t1] touches a hand lift or a knee rest (keep ramps clear of them)."""
    spans = [(x.start, x.end) for x in plan.lifts] + [(x.start, x.end) for x in plan.rests]
    return any(t0 < b + 0.3 and t1 > a - 0.3 for a, b in spans)


def _draw_pushup_episodes(
    rng: np.random.Generator, plan: SetPlan, person: Person, *, sag: bool
) -> list[Episode]:
    """Sags seldom start in the first two reps, may recur, and deepen with each episode."""
    reps = plan.reps
    n = len(reps)
    starts = [r.start for r in reps]
    first = 0 if rng.random() < 0.08 else min(2, n - 1)
    count = int(rng.choice([1, 1, 1, 2, 2, 3])) if sag else 1
    out: list[Episode] = []
    k = first + int((max(n - 2, first + 1) - first) * rng.beta(1.3, 2.2))
    retried = False
    while len(out) < count and (k < n or not (out or retried)):
        if k >= n:  # nothing fitted after the drawn rep: try again from the earliest
            k, retried = first, True
        r = reps[k]
        onset = float(rng.uniform(r.start - 0.3, r.start + r.down))
        if onset < plan.start + 0.5 or _busy(plan, onset, onset + 0.6):
            k += 1
            continue
        if sag:
            to_end = bool(rng.random() < 0.35 or k >= n - 1)
            until = plan.end
            if not to_end:
                last = min(k + int(rng.integers(1, 7)), n - 1)
                until = float(max(reps[last].top_t - rng.uniform(0.0, 0.5), onset + 1.5))
                to_end = until >= plan.end - 0.8 or _busy(plan, until, until + 0.6)
        else:
            to_end = False
            until = min(onset + float(rng.uniform(1.5, 6.0)), plan.end - 1.0)
            if until < onset + 1.0 or _busy(plan, until, until + 0.6):
                k += 1
                continue
        if to_end:
            until = plan.end
        ep = _episode(rng, person, onset, until, to_end, len(out), sag)
        out.append(ep)
        if to_end:
            break
        k = bisect.bisect_left(starts, ep.end_t + float(rng.uniform(2.0, 6.0)))
    return out


def _draw_plank_episodes(
    rng: np.random.Generator, plan: SetPlan, person: Person, *, sag: bool
) -> list[Episode]:
    """In a plank a sag comes late in the hold, and may last to its end."""
    hold = plan.end - plan.start
    t = plan.start + max(hold * float(rng.uniform(0.35, 0.8)), min(6.0, 0.5 * hold))
    out: list[Episode] = []
    count = int(rng.choice([1, 1, 2])) if sag else 1
    while len(out) < count and t < plan.end - 2.5:
        if _busy(plan, t, t + 0.6):
            t += 0.5
            continue
        length = float(rng.uniform(3.0, 25.0)) if sag else float(rng.uniform(1.5, 6.0))
        to_end = sag and bool(rng.random() < 0.4 or t + length > plan.end - 1.5)
        until = plan.end if to_end else min(t + length, plan.end - 1.5)
        if not to_end and (until < t + 1.0 or _busy(plan, until, until + 0.6)):
            if not sag:
                break
            to_end, until = True, plan.end
        ep = _episode(rng, person, t, until, to_end, len(out), sag)
        out.append(ep)
        if to_end:
            break
        t = ep.end_t + float(rng.uniform(2.0, 8.0))
    return out


class ExerciseSet(Motion):
    """The set's contacts and loads at any instant, following its plan."""

    def __init__(self, book: PoseBook, plan: SetPlan) -> None:
        self.book, self.plan = book, plan
        rng = np.random.default_rng(plan.seed)
        self.person = book.person
        self.start, self.end = plan.start, plan.end
        if plan.kind == "plank":
            self.kind = "plank"
        else:
            self.kind = "knee_pushup_set" if plan.knees else "pushup_set"
        self.weight_n = self.person.weight_n
        self._rep_starts = [r.start for r in plan.reps]
        self._wander = Wobble(rng, float(rng.uniform(0.001, 0.004)), 0.03, 0.15)
        self._breath = Wobble(rng, plan.breath_u, plan.breath_hz * 0.95, plan.breath_hz * 1.05, n=2)
        self._balance = Wobble(rng, float(rng.uniform(0.005, 0.015)), 0.05, 0.3)
        self._hand_cop = Wobble(rng, float(rng.uniform(0.5, 2.0)), 0.1, 0.6)
        self._reach = self.person.knee_pushup_m if plan.knees else self.person.hand_to_toe_m
        self._interludes: list[tuple[float, float, list[Motion]]] = []
        for rest in plan.rests:
            self._interludes.append((rest.start, rest.end, self._rest_motions(rest, rng)))

    # -------------------------------------------------------------- the rep phase

    def phase(self, t: float) -> tuple[float, float]:
        """(s, a) at t: the depth fraction reached, and the vertical acceleration's shape
        (positive when the centre of mass accelerates downward), peaking near ±depth."""
        i = bisect.bisect_right(self._rep_starts, t) - 1
        if i < 0:
            return 0.0, 0.0
        r = self.plan.reps[i]
        dt = t - r.start
        if dt < r.down:
            x = dt / r.down
            return r.depth * min_jerk(x), r.depth * self._vigour(r.down) * _acc_shape(x)
        dt -= r.down
        if dt < r.bottom:
            return r.depth, 0.0
        dt -= r.bottom
        if dt < r.up:
            x = dt / r.up
            return r.depth * (1.0 - min_jerk(x)), -r.depth * self._vigour(r.up) * _acc_shape(x)
        return 0.0, 0.0

    def _vigour(self, phase_s: float) -> float:
        """A quicker phase pushes a little harder, within the spec's ±5–15% load swing."""
        return min(max(math.sqrt(self.plan.usual_down_s / phase_s), 0.75), 1.25)

    def moved_hands(self, t: float) -> HandOffsets:
        moved: HandOffsets = {}
        for lift in self.plan.lifts:
            if t >= lift.placed_t:
                f, lat = moved.get(lift.key, (0.0, 0.0))
                moved[lift.key] = (f + lift.moved[0], lat + lift.moved[1])
        return moved

    def planned_u(self, t: float) -> tuple[float, float]:
        """(u from the plan before any hand was moved, hand CoP shift toward the fingers, mm)."""
        plan = self.plan
        s, _ = self.phase(t)
        rel = (
            t - plan.start
        )  # wanderings run on the set's own clock: a shifted plan is the same set
        u = plan.baseline_u + self._wander(rel) + self._breath(rel) + plan.depth_u * s
        shift = self.person.hand_rep_shift_mm * s + self._hand_cop(rel)
        for e in plan.sags:
            du, f = e.at(t)
            u -= du
            shift -= f * e.hand_shift_mm
        for e in plan.pikes:
            du, f = e.at(t)
            u += du
            shift -= f * e.hand_shift_mm
        return u, shift

    # -------------------------------------------------------------- poses

    def base_pose(self, t: float) -> tuple[Pose, float]:
        plan, p = self.plan, self.person
        s, acc = self.phase(t)
        u, hand_shift = self.planned_u(t)
        moved = self.moved_hands(t)
        span = max(plan.end - plan.start, 1e-6)
        rel = t - plan.start
        bal = plan.balance0 + plan.balance_drift * rel / span + self._balance(rel)
        bal = min(max(bal, 0.38), 0.62)
        # The centre of mass stays put when a hand is re-placed; the share follows the lever.
        reach_now = self._reach + sum(
            (bal if k == "hand_L" else 1.0 - bal) * v[0] for k, v in moved.items()
        )
        u = u * self._reach / reach_now
        if plan.knees:
            pose = self.book.knee_plank(u, bal, moved)
        else:
            pose = self.book.plank(u, bal, None, moved)
        fx, fy = self.book.frame.forward()
        toe_roll = p.toe_roll_mm * s
        for k, limb in pose.items():
            d = hand_shift if k.startswith("hand") else toe_roll
            pose[k] = Limb(
                limb.template, limb.x, limb.y, limb.heading, limb.share, (fx * d, fy * d)
            )
        swing = min(plan.load_swing * acc, 0.15) if acc > 0 else max(plan.load_swing * acc, -0.15)
        for lift in plan.lifts:
            if lift.start <= t < lift.end:
                self._lift_hand(pose, lift, t)
        force = self.weight_n * (1.0 - swing)
        return pose, force

    @staticmethod
    def _lift_hand(pose: Pose, lift: HandLift, t: float) -> None:
        """The other hand takes the lifted hand's load: the body leans over it, so the
        hands' share of the load (u) stays as it was."""
        if t < lift.start + lift.unload:
            down = 1.0 - ramp(t, lift.start, lift.start + lift.unload)
        else:
            down = ramp(t, lift.end - lift.load, lift.end)
        other = "hand_R" if lift.key == "hand_L" else "hand_L"
        hand, helper = pose[lift.key], pose[other]
        moved = hand.share * (1.0 - down)
        pose[lift.key] = replace(hand, share=hand.share * down)
        pose[other] = replace(helper, share=helper.share + moved)

    def pose(self, t: float) -> tuple[Pose, float]:
        for t0, t1, motions in self._interludes:
            if t0 <= t < t1:
                for m in motions:
                    if t < m.end:
                        return m.pose(t)
        return self.base_pose(t)

    def u_at(self, t: float) -> float:
        """The physical u (hands' share of the load) at t."""
        return hands_share(self.pose(t)[0])

    def _rest_motions(self, rest: KneeRest, rng: np.random.Generator) -> list[Motion]:
        a, _ = self.base_pose(rest.start)
        b, _ = self.base_pose(rest.end)
        u_top = self.planned_u(rest.start)[0]
        d0 = self._reach
        dk = self.book.knee_drop_m()
        u_k = float(np.clip(1.0 - (1.0 - u_top) * d0 / dk - rest.lean_back_u, 0.3, 0.7))
        bal = hands_share_left(a)
        kneel = self.book.knees_dropped(u_k, bal, self.moved_hands(rest.start))
        toes = tuple(k for k in a if k.startswith("foot"))
        knees = tuple(k for k in kneel if k.startswith("knee"))
        t1 = rest.start + rest.drop
        t2 = t1 + rest.hold
        down = Transition(
            a,
            kneel,
            [
                Move(toes, (), (rest.start + 0.05, t1), (t1, t1)),
                Move((), knees, (rest.start, rest.start), (rest.start, t1 - 0.05)),
            ],
            rest.start,
            t1,
            self.weight_n,
            "knee_rest",
        )
        hold = Hold("knee_rest", kneel, t1, t2, self.weight_n, rng)
        up = Transition(
            kneel,
            b,
            [
                Move(knees, (), (t2 + 0.05, rest.end), (rest.end, rest.end)),
                Move((), toes, (t2, t2), (t2, rest.end - 0.05)),
            ],
            t2,
            rest.end,
            self.weight_n,
            "knee_rest",
        )
        return [down, hold, up]

    # -------------------------------------------------------------- truth

    def truth(self, t0: float, trace_dt: float = 0.1) -> dict[str, Any]:
        plan = self.plan
        r4 = _r4
        n = int((plan.end - plan.start) / trace_dt) + 1
        trace = [round(self.u_at(plan.start + i * trace_dt), 4) for i in range(n)]
        bal = [hands_share_left(self.pose(plan.start + i * trace_dt)[0]) for i in range(0, n, 5)]
        return {
            "kind": plan.kind,
            "knees": plan.knees,
            "start_t": r4(t0 + plan.start),
            "end_t": r4(t0 + plan.end),
            "baseline_u": r4(plan.baseline_u),
            "depth_u": r4(plan.depth_u),
            "reps": [
                {
                    "start_t": r4(t0 + r.start),
                    "bottom_t": r4(t0 + r.start + r.down),
                    "top_t": r4(t0 + r.top_t),
                    "duration_s": r4(r.top_t - r.start),
                    "depth_u": r4(r.depth * plan.depth_u),
                    "partial": r.partial,
                }
                for r in plan.reps
            ],
            "sag_episodes": [
                {
                    "onset_t": r4(t0 + e.onset),
                    "end_t": r4(t0 + min(e.end_t, plan.end)),
                    "depth_u": r4(e.depth1),
                    "initial_depth_u": r4(e.depth0),
                    "ramp_in_s": r4(e.ramp_in),
                    "hand_shift_mm": round(e.hand_shift_mm, 1),
                    "lasts_to_set_end": e.ramp_out == 0.0,
                }
                for e in plan.sags
            ],
            "pike_episodes": [
                {
                    "onset_t": r4(t0 + e.onset),
                    "end_t": r4(t0 + min(e.end_t, plan.end)),
                    "height_u": r4(e.depth1),
                }
                for e in plan.pikes
            ],
            "hand_lifts": [
                {
                    "start_t": r4(t0 + x.start),
                    "end_t": r4(t0 + x.end),
                    "hand": x.key[-1],
                    "moved_mm": [round(x.moved[0] * 1000, 1), round(x.moved[1] * 1000, 1)],
                }
                for x in plan.lifts
            ],
            "knee_rests": [
                {"start_t": r4(t0 + x.start), "end_t": r4(t0 + x.end)} for x in plan.rests
            ],
            "balance": r4(float(np.mean(bal))) if bal else 0.5,
            "u_trace": {"start_t": r4(t0 + plan.start), "dt": trace_dt, "u": trace},
        }


def _acc_shape(x: float) -> float:
    return min_jerk_acc(x) / MIN_JERK_PEAK_ACC


def hands_share_left(pose: Pose) -> float:
    """The left hand's share of the hands' load."""
    left = pose["hand_L"].share if "hand_L" in pose else 0.0
    right = pose["hand_R"].share if "hand_R" in pose else 0.0
    return left / (left + right) if left + right > 0 else 0.5


def _r4(x: float) -> float:
    return round(float(x), 4)
