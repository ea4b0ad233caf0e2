"""Scenario scripts and their compilation into what the mat feels over time.

A script is a list of steps (step on, stand, get down, a push-up set, rest on the knees,
lie down, step off...) for one person, plus things set down or walking across. The
`Scene` compiles steps one after another: it finds the way from the current pose to the
next (through intermediate poses when there is no direct way, e.g. standing to lying goes
through all fours), plans each transition limb by limb, and keeps every motion in time
order. `ScenarioMatSource` renders a scene through a sensor model as a `FrameSource`.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from matd.sim.body import BodyFrame, Person, Pose, PoseBook
from matd.sim.contacts import ContactState, PressureRenderer
from matd.sim.exercise import ExerciseSet, SetPlan, draw_set_plan
from matd.sim.motion import Absent, Hold, Motion, Sway, plan_transition
from matd.sim.objects import ObjectOnMat, PetWalk
from matd.sim.sensor import MatSensor, SensorParams
from matd.sim.source import FrameSource, Geometry

Truth = dict[str, Any]

# Which poses lead directly to which (both ways). Anything else goes through these.
# The least of a palm that lands on the mat again after a lift: as much as a palm placed
# partly over the edge keeps (`scenarios._slide_off` draws 0.5 to 0.85).
MIN_PALM_ON_MAT = 0.5

POSE_LINKS = (
    ("absent", "off"),
    ("off", "standing"),
    ("standing", "plank"),
    ("standing", "all_fours"),
    ("standing", "kneel_up"),
    ("standing", "sit"),
    ("all_fours", "plank"),
    ("all_fours", "knee_plank"),
    ("all_fours", "child"),
    ("all_fours", "kneel_up"),
    ("all_fours", "prone"),
    ("all_fours", "sit"),
    ("plank", "prone"),
    ("knee_plank", "prone"),
    ("kneel_up", "child"),
    ("sit", "supine"),
    ("prone", "supine"),
)
POSES = ("all_fours", "child", "kneel_up", "sit", "prone", "supine", "standing")

# The order limbs move in, going from one pose to the next.
LIMB_ORDER: dict[tuple[str, str], tuple[str, ...]] = {
    ("standing", "plank"): ("arms", "legs"),
    ("plank", "standing"): ("legs", "arms"),
    ("standing", "all_fours"): ("legs", "arms"),
    ("all_fours", "standing"): ("arms", "legs"),
    ("standing", "sit"): ("legs", "arms"),
    ("sit", "standing"): ("arms", "legs"),
    ("all_fours", "child"): ("legs", "arms"),
    ("child", "all_fours"): ("arms", "legs"),
    ("all_fours", "kneel_up"): ("arms",),
    ("kneel_up", "all_fours"): ("arms",),
    ("kneel_up", "child"): ("arms", "legs"),
    ("child", "kneel_up"): ("arms", "legs"),
}


def _route(src: str, dst: str) -> list[str]:
    """The shortest chain of poses from src to dst (both included)."""
    links: dict[str, set[str]] = {}
    for a, b in POSE_LINKS:
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
    prev: dict[str, str | None] = {src: None}
    queue = deque([src])
    while queue:
        node = queue.popleft()
        if node == dst:
            break
        for nxt in sorted(links.get(node, ())):
            if nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    path = [dst]
    while (back := prev[path[-1]]) is not None:
        path.append(back)
    return path[::-1]


@dataclass
class Step:
    """One step of a script.

    kind: "absent" (nobody on the mat), "stand" (at `spot` (f, l, turn°) or a drawn one),
    "walk" (to `spot`), "pose" (hold `pose` for `duration`), "set" (an exercise set with
    `options` passed to draw_set_plan), "leave" (step off the mat)."""

    kind: str
    duration: float = 0.0
    pose: str = ""
    spot: tuple[float, float, float] | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Thing:
    """Something other than the person: an object set down at `start` (taken at `end`), or a
    pet crossing from `start`. `where` is a mat position (mm); None draws one."""

    kind: str
    start: float
    end: float = math.inf
    where: tuple[float, float] | None = None


@dataclass
class Script:
    name: str
    seed: int
    geometry: Geometry
    person: Person
    frame: BodyFrame
    placement: dict[str, Any]
    sensor: SensorParams
    steps: list[Step]
    things: list[Thing] = field(default_factory=list)


class Scene:
    """A compiled script: the person's motions in time order, and the things on the mat."""

    def __init__(self, script: Script, rng: np.random.Generator) -> None:
        self.script = script
        self.rng = rng
        self.person = script.person
        self.renderer = PressureRenderer(script.geometry, script.sensor.foam_sigma_mm)
        self.book = PoseBook(script.person, script.frame, rng)
        self.motions: list[Motion] = []
        self._starts: list[float] = []
        self.things: list[ObjectOnMat | PetWalk] = []
        self.t = 0.0
        self.node = "absent"
        self.pose: Pose = {}
        self.spot = (-0.4, 0.0, 0.0)
        self.all_fours_hands = float(rng.uniform(0.35, 0.45))
        self.child_hands = float(rng.uniform(0.05, 0.15))
        self.seat_f = -float(rng.uniform(0.8, 1.15))
        self.supine_hips_f = -float(rng.uniform(0.55, 0.9))
        self.supine_head_forward = bool(rng.random() < 0.6)
        self.extend: Callable[[Scene], None] | None = None
        self._cursor = 0
        for step in script.steps:
            self.add(step)
        for thing in script.things:
            self.add_thing(thing)

    @property
    def duration(self) -> float:
        return self.t

    # -------------------------------------------------------------- building

    def _append(self, m: Motion) -> None:
        if m.end <= m.start:
            return
        self.motions.append(m)
        self._starts.append(m.start)
        self.t = m.end

    def _hold(self, node: str, pose: Pose, duration: float, sway: Sway | None = None) -> None:
        if duration <= 0.0:
            return
        sway = sway if sway is not None else self._sway(node)
        w = self.person.weight_n
        self._append(Hold(node, pose, self.t, self.t + duration, w, self.rng, sway))

    def _sway(self, node: str) -> Sway:
        r = self.rng
        if node == "standing":
            return Sway(float(r.uniform(0.05, 0.2)), 0.0, float(r.uniform(3, 12)), 0.1, 0.5)
        if node in ("all_fours", "child", "kneel_up", "sit"):
            return Sway(float(r.uniform(0.02, 0.08)), float(r.uniform(0.01, 0.06)), 3.0, 0.1, 0.4)
        if node in ("prone", "supine"):
            return Sway(0.02, 0.0, 2.0, 0.2, 0.35)
        return Sway()

    def node_pose(self, node: str) -> Pose:
        b = self.book
        p = self.person
        if node in ("absent",):
            return {}
        if node == "off":
            return self._off_pose()
        if node == "standing":
            f, lat, turn = self.spot
            return b.standing(f, lat, turn)
        if node == "plank":
            return b.plank(p.top_u)
        if node == "knee_plank":
            return b.knee_plank(p.knee_top_u)
        if node == "all_fours":
            return b.all_fours(self.all_fours_hands)
        if node == "child":
            return b.child(self.child_hands, 0.05)
        if node == "kneel_up":
            return b.kneel_up()
        if node == "sit":
            return b.sitting(self.seat_f)
        if node == "prone":
            return b.prone(with_support=True)
        if node == "supine":
            return b.supine(self.supine_hips_f, 0.0, self.supine_head_forward)
        raise ValueError(f"unknown pose {node!r}")

    def _off_pose(self) -> Pose:
        """Standing just beside the mat, on the floor, off the nearest edge to the spot."""
        f, lat, _ = self.spot
        x, y = self.script.frame.at(f, lat)
        length, width = self.renderer.length_mm, self.renderer.width_mm
        gaps = {(-1.0, 0.0): x, (1.0, 0.0): length - x, (0.0, -1.0): y, (0.0, 1.0): width - y}
        (dx, dy), gap = min(gaps.items(), key=lambda kv: kv[1])
        out = gap + 350.0
        fo, lo = self.script.frame.inverse(x + dx * out, y + dy * out)
        return self.book.standing(fo, lo, self.spot[2])

    def _spot_for(self, node_from: str) -> tuple[float, float, float]:
        r = self.rng
        if node_from == "plank":
            return (-float(r.uniform(0.3, 0.5)), float(r.uniform(-0.05, 0.05)), 0.0)
        if node_from == "sit":
            return (self.seat_f + 0.35, 0.0, 0.0)
        return (-self.person.all_fours_m + 0.05, float(r.uniform(-0.05, 0.05)), 0.0)

    def _transition(self, dst: str, target: Pose, kind: str = "transition") -> None:
        order = LIMB_ORDER.get((self.node, dst), ("arms", "legs"))
        if self.node == "off" and dst == "standing":
            kind = "step_on"
        elif self.node == "standing" and dst == "off":
            kind = "step_off"
        if dst in ("standing", "off") and self.node in ("standing", "off"):
            self._walk(target, kind)
        elif self.node in ("absent", "off") or dst in ("absent", "off"):
            pass  # appearing beside the mat or leaving it: nothing touches the mat
        else:
            w = self.person.weight_n
            self._append(plan_transition(self.pose, target, self.t, w, self.rng, order, kind=kind))
        self.pose = target
        self.node = dst

    def _walk(self, target: Pose, kind: str) -> None:
        """Steps of at most 0.45 m from the current feet to the target's."""
        a, b = self.pose, target
        ax = np.mean([v.x for v in a.values()]), np.mean([v.y for v in a.values()])
        bx = np.mean([v.x for v in b.values()]), np.mean([v.y for v in b.values()])
        dist = math.hypot(bx[0] - ax[0], bx[1] - ax[1]) / 1000.0
        n = max(1, math.ceil(dist / 0.45))
        frame = self.script.frame
        w = self.person.weight_n
        heading = math.atan2(bx[1] - ax[1], bx[0] - ax[0]) - frame.heading
        prev = a
        for i in range(1, n + 1):
            if i == n:
                nxt = b
            else:
                x = ax[0] + (bx[0] - ax[0]) * i / n
                y = ax[1] + (bx[1] - ax[1]) * i / n
                f, lat = frame.inverse(float(x), float(y))
                nxt = self.book.standing(f, lat, math.degrees(heading))
            self._append(plan_transition(prev, nxt, self.t, w, self.rng, ("legs",), kind=kind))
            prev = nxt

    def goto(self, dst: str, target: Pose | None = None) -> None:
        """Moves the person from the current pose to `dst`, via poses in between if needed."""
        route = _route(self.node, dst)
        if self.node == "standing" and len(route) > 1 and route[1] not in ("off", "standing"):
            # Walk over to where one gets down to that pose first.
            spot = self._spot_for(route[1])
            if math.hypot(spot[0] - self.spot[0], spot[1] - self.spot[1]) > 0.25:
                self.spot = spot
                self._transition("standing", self.node_pose("standing"), "walk")
                self._hold("standing", self.pose, float(self.rng.uniform(0.2, 0.8)), Sway())
        for hop in route[1:]:
            if hop == "standing" and self.node not in ("standing", "off"):
                self.spot = self._spot_for(self.node)
            pose = target if (hop == dst and target is not None) else self.node_pose(hop)
            self._transition(hop, pose)
            if hop != dst and hop not in ("off", "absent"):
                self._hold(hop, pose, float(self.rng.uniform(0.3, 1.0)), Sway())

    def add(self, step: Step) -> None:
        r = self.rng
        if step.kind == "absent":
            if self.node != "absent":
                self.goto("absent")
            self._append(Absent(self.t, self.t + step.duration))
        elif step.kind in ("stand", "walk"):
            new_spot = step.spot if step.spot is not None else self._random_spot()
            if self.node in ("absent", "off"):
                self.spot = new_spot
                self.goto("standing")
            else:
                if self.node != "standing":
                    self.goto("standing")
                self.spot = new_spot
                self._transition("standing", self.node_pose("standing"), "walk")
            self._hold("standing", self.pose, step.duration)
        elif step.kind == "pose":
            if self.node in ("absent", "off"):
                self.goto("standing")
            self.goto(step.pose)
            self._hold(step.pose, self.pose, step.duration)
        elif step.kind == "leave":
            if self.node not in ("absent",):
                self.goto("absent")
        elif step.kind == "set":
            self._add_set(step.options, r)
        else:
            raise ValueError(f"unknown step kind {step.kind!r}")

    def _random_spot(self) -> tuple[float, float, float]:
        length, width = self.renderer.length_mm, self.renderer.width_mm
        x = float(self.rng.uniform(0.2, 0.8)) * length
        y = float(self.rng.uniform(0.3, 0.7)) * width
        f, lat = self.script.frame.inverse(x, y)
        return f, lat, float(self.rng.uniform(-60.0, 60.0))

    def _add_set(self, options: dict[str, Any], rng: np.random.Generator) -> ExerciseSet:
        if self.node in ("absent", "off"):
            self.spot = (-float(rng.uniform(0.3, 0.5)), 0.0, 0.0)
            self.goto("standing")
        knees = bool(options.get("knees", False))
        # The plan draws from its own stream, so what follows does not depend on its contents
        # (the same set with and without a sag starts at the same time).
        plan_rng = np.random.default_rng(int(rng.integers(0, 2**63)))
        plan = draw_set_plan(plan_rng, self.person, 0.0, **options)
        self._keep_palms_on_mat(plan)
        probe = ExerciseSet(self.book, plan)
        start_pose, _ = probe.pose(0.0)
        dst = "knee_plank" if knees else "plank"
        self.goto(dst, start_pose)
        ex = ExerciseSet(self.book, plan.shifted(self.t))
        self._append(ex)
        self.pose = ex.pose(ex.end)[0]
        return ex

    def _keep_palms_on_mat(self, plan: SetPlan) -> None:
        """A palm put down again lands at least partly on the mat (SIGNALS.md: partly off
        the edge). One already hanging over an edge is put back inward, not further out,
        where the mat would not see it at all."""
        for i, lift in enumerate(plan.lifts):
            after = ExerciseSet(self.book, plan).pose(lift.end + 0.05)[0].get(lift.key)
            if after is None:
                continue
            if self.renderer.on_mat_fraction(after.state(100.0)) >= MIN_PALM_ON_MAT:
                continue
            plan.lifts[i] = replace(lift, moved=(lift.moved[0], -lift.moved[1]))

    def add_thing(self, thing: Thing) -> None:
        r = self.rng
        length, width = self.renderer.length_mm, self.renderer.width_mm
        if thing.kind == "pet":
            self.things.append(PetWalk(r, length, width, thing.start))
            return
        if thing.where is not None:
            x, y = thing.where
        else:
            x = float(r.uniform(0.15, 0.85)) * length
            y = float(r.uniform(0.25, 0.75)) * width
        self.things.append(ObjectOnMat.draw(r, thing.kind, x, y, thing.start, thing.end))

    def forget_before(self, t: float) -> None:
        """Drops motions that ended before t (an endless scene keeps a bounded history)."""
        n = 0
        while n < len(self.motions) - 1 and self.motions[n].end < t:
            n += 1
        if n:
            del self.motions[:n]
            del self._starts[:n]
            self._cursor = 0

    # -------------------------------------------------------------- playing

    def ensure(self, t: float) -> None:
        """For an endless scene: compile more before `t` runs past the end."""
        while self.extend is not None and t > self.t - 10.0:
            self.extend(self)

    def person_motion(self, t: float) -> Motion | None:
        if not self.motions:
            return None
        i = self._cursor
        if not (self._starts[i] <= t < self.motions[i].end):
            i = max(bisect.bisect_right(self._starts, t) - 1, 0)
            self._cursor = i
        return self.motions[i]

    def contacts(self, t: float) -> list[ContactState]:
        """Everything pressing on the mat at scenario time t."""
        self.ensure(t)
        out: list[ContactState] = []
        m = self.person_motion(t)
        if m is not None:
            out.extend(m.contacts(min(t, m.end)))
        for thing in self.things:
            out.extend(thing.contacts(t))
        return out

    # -------------------------------------------------------------- truth

    def sets(self) -> list[ExerciseSet]:
        return [m for m in self.motions if isinstance(m, ExerciseSet)]

    def truth(self, t0: float = 0.0) -> Truth:
        s = self.script
        segments: list[dict[str, Any]] = []
        for m in self.motions:
            if segments and segments[-1]["kind"] == m.kind and segments[-1]["_end"] == m.start:
                segments[-1]["_end"] = m.end
                continue
            segments.append({"kind": m.kind, "_start": m.start, "_end": m.end})
        segs = [
            {
                "kind": x["kind"],
                "start_t": round(t0 + x["_start"], 4),
                "end_t": round(t0 + x["_end"], 4),
            }
            for x in segments
        ]
        things = []
        for thing in self.things:
            tr = thing.truth(t0) if isinstance(thing, PetWalk) else thing.truth(t0, self.duration)
            if tr is not None:
                things.append(tr)
        sets = [ex.truth(t0) for ex in self.sets()]
        return {
            "version": 1,
            "scenario": s.name,
            "seed": s.seed,
            "geometry": {
                "rows": s.geometry.rows,
                "cols": s.geometry.cols,
                "row_pitch_um": s.geometry.row_pitch_um,
                "col_pitch_um": s.geometry.col_pitch_um,
                "adc_bits": s.geometry.adc_bits,
            },
            "duration_s": round(self.duration, 4),
            "t0_s": round(t0, 6),
            "person": {**s.person.to_json(), **self._contact_pressures()},
            "placement": {**s.frame.to_json(), **s.placement},
            "sensor": s.sensor.to_json(),
            "segments": segs,
            "objects": things,
            "sets": sets,
            "expect_no_set": not sets,
        }

    def _contact_pressures(self) -> dict[str, float]:
        """Mean pressures (pressure-weighted, kPa) under a palm and a toe contact at the top."""
        p, b = self.person, self.book
        per_hand = p.top_u * p.weight_n / 2.0
        per_toe = (1.0 - p.top_u) * p.weight_n / p.toe_contacts
        return {
            "palm_mean_kpa": round(b.palm_right.mean_kpa(per_hand), 1),
            "toe_mean_kpa": round(b.toes_right.mean_kpa(per_toe), 1),
        }


class ScenarioMatSource:
    """A `FrameSource`: a scene felt through a mat's sensor.

    Scenario time is `t - t0_s`; when `t0_s` is None the first rendered `t` becomes the
    scenario's start (so any device clock works)."""

    def __init__(self, scene: Scene, sensor: MatSensor, t0_s: float | None = None) -> None:
        self.scene = scene
        self.sensor = sensor
        self.geometry = scene.script.geometry
        self.t0_s = t0_s

    def pressure_kpa(self, t: float) -> npt.NDArray[np.float64]:
        """The true pressure on each cell at device time t, before the sensor."""
        if self.t0_s is None:
            self.t0_s = t
        return self.scene.renderer.pressure_kpa(self.scene.contacts(t - self.t0_s))

    def render(self, t: float) -> npt.NDArray[np.uint16]:
        pressure = self.pressure_kpa(t)
        assert self.t0_s is not None
        return self.sensor.counts(pressure, t - self.t0_s)


def _is_a_frame_source(source: ScenarioMatSource) -> FrameSource:
    return source  # mypy holds ScenarioMatSource to the FrameSource protocol here
