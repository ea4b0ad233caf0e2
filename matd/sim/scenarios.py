"""Named scenarios: seeded scripts of push-up sets, planks and everything else on a mat.

`scenario_source(name, seed)` draws a person, where they are on the mat, a sensor and a
script for the named kind of session, compiles it, and returns a `FrameSource` with the
ground truth. The same (name, seed, geometry) always gives the same frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from matd.sim.body import BodyFrame, Person, PoseBook
from matd.sim.contacts import PressureRenderer, pads_on_mat
from matd.sim.scenario import ScenarioMatSource, Scene, Script, Step, Thing, Truth
from matd.sim.sensor import MatSensor, SensorParams
from matd.sim.source import Geometry

# ---------------------------------------------------------------- where the person goes


def _pattern_keys(book: PoseBook) -> dict[str, list[Any]]:
    p = book.person
    plank = book.plank(p.top_u)
    knees = book.knee_plank(p.knee_top_u)
    return {
        "hands": [plank["hand_L"], plank["hand_R"]],
        "toes": [v for k, v in plank.items() if k.startswith("foot")],
        "knees": [v for k, v in knees.items() if k.startswith("knee")],
    }


def _extent(book: PoseBook) -> tuple[float, float, float, float]:
    """Bounding box (mm) of the push-up and knee push-up patterns' pads."""
    xs: list[float] = []
    ys: list[float] = []
    for limbs in _pattern_keys(book).values():
        for limb in limbs:
            x, y, _, s = pads_on_mat(limb.state(1.0))
            r = 2.5 * np.sqrt(s**2 + 25.0)
            xs += [float(np.min(x - r)), float(np.max(x + r))]
            ys += [float(np.min(y - r)), float(np.max(y + r))]
    return min(xs), max(xs), min(ys), max(ys)


def place_person(
    rng: np.random.Generator, person: Person, geometry: Geometry, *, off_edge: bool
) -> tuple[BodyFrame, dict[str, Any]]:
    """Draws where the push-up pattern lies: facing either end, off centre, turned up to
    ±20°, all on the mat; with `off_edge`, then slid so a hand or the toes hang partly over
    an edge."""
    renderer = PressureRenderer(geometry)
    length, width = renderer.length_mm, renderer.width_mm
    facing = 0.0 if rng.random() < 0.5 else math.pi
    book = PoseBook(person, BodyFrame(0.0, 0.0, facing), np.random.default_rng(0))
    limit = 20.0
    frame = BodyFrame(length / 2, width / 2, facing)
    for _ in range(200):
        rot = float(rng.uniform(-limit, limit) if rng.random() < 0.4 else rng.uniform(-8, 8))
        rot = max(-limit, min(limit, rot))
        book.frame = BodyFrame(0.0, 0.0, facing + math.radians(rot))
        x0, x1, y0, y1 = _extent(book)
        if x1 - x0 <= length and y1 - y0 <= width:
            x = float(rng.uniform(-x0, length - x1))
            y = float(rng.uniform(-y0, width - y1))
            frame = BodyFrame(x, y, book.frame.heading)
            break
        limit *= 0.9
    else:
        return _overhanging(rng, book, facing, renderer)
    info: dict[str, Any] = {"off_edge": None}
    if off_edge:
        slid = _slide_off(rng, person, frame, renderer)
        if slid is not None:
            frame, info["off_edge"] = slid
    return frame, info


def _on_mat(book: PoseBook, renderer: PressureRenderer) -> dict[str, float]:
    """How much of each contact of the plank (`hand_L`, `hand_R`, `toes`) is on the mat."""
    out: dict[str, float] = {}
    for k, limb in book.plank(book.person.top_u).items():
        name = "toes" if k.startswith("foot") else k
        out[name] = min(out.get(name, 1.0), renderer.on_mat_fraction(limb.state(100.0)))
    return out


def _overhanging(
    rng: np.random.Generator,
    book: PoseBook,
    facing: float,
    renderer: PressureRenderer,
) -> tuple[BodyFrame, dict[str, Any]]:
    """A person too long for the mat: the turn (within ±20°) that overhangs least, the hands
    at their end of the mat and the toes (or knees) over the far edge, as a tall person on a
    short mat lies. The truth says how much of the overhanging contact is still on the mat."""
    length, width = renderer.length_mm, renderer.width_mm

    def overhang(rot: float) -> float:
        book.frame = BodyFrame(0.0, 0.0, facing + math.radians(rot))
        x0, x1, y0, y1 = _extent(book)
        return max(0.0, x1 - x0 - length) + max(0.0, y1 - y0 - width)

    turns = np.arange(-20.0, 20.5, 1.0)
    costs = [overhang(float(r)) for r in turns]
    best = [float(r) for r, c in zip(turns, costs, strict=True) if c <= min(costs) + 1.0]
    rot = best[int(rng.integers(len(best)))]
    book.frame = BodyFrame(0.0, 0.0, facing + math.radians(rot))
    x0, x1, y0, y1 = _extent(book)
    # the hands are the frame's origin: flush the end of the box that holds them
    if x1 - x0 <= length:
        x = float(rng.uniform(-x0, length - x1))
    else:
        x = length - x1 if math.cos(book.frame.heading) > 0 else -x0
    y = float(rng.uniform(-y0, width - y1)) if y1 - y0 <= width else 0.5 * (width - y1 - y0)
    frame = BodyFrame(x, y, book.frame.heading)
    book.frame = frame
    on_mat = _on_mat(book, renderer)
    worst = min(on_mat, key=lambda k: on_mat[k])
    info: dict[str, Any] = {"off_edge": None}
    if on_mat[worst] < 0.97:
        info["off_edge"] = {"contact": worst, "on_mat_fraction": round(on_mat[worst], 3)}
    return frame, info


def _slide_off(
    rng: np.random.Generator, person: Person, frame: BodyFrame, renderer: PressureRenderer
) -> tuple[BodyFrame, dict[str, Any]] | None:
    book = PoseBook(person, frame, np.random.default_rng(0))
    targets = ["hand_L", "hand_R", "toes"]
    rng.shuffle(targets)
    want = float(rng.uniform(0.5, 0.85))
    fx, fy = frame.forward()
    for target in targets:
        if target == "toes":
            dirs = [(-fx, -fy), (-fy, fx), (fy, -fx)]
        else:
            side = 1.0 if target == "hand_L" else -1.0
            dirs = [(-fy * side, fx * side), (fx, fy)]
        for dx, dy in dirs:

            def fraction(shift: float, dx: float = dx, dy: float = dy) -> dict[str, float]:
                book.frame = BodyFrame(
                    frame.x_mm + dx * shift, frame.y_mm + dy * shift, frame.heading
                )
                return _on_mat(book, renderer)

            lo, hi = 0.0, 400.0
            if fraction(hi)[target] > want:
                continue
            for _ in range(30):
                mid = 0.5 * (lo + hi)
                if fraction(mid)[target] > want:
                    lo = mid
                else:
                    hi = mid
            got = fraction(hi)
            others = [v for k, v in got.items() if k != target]
            if min(others) >= 0.97:
                slid = BodyFrame(frame.x_mm + dx * hi, frame.y_mm + dy * hi, frame.heading)
                return slid, {"contact": target, "on_mat_fraction": round(got[target], 3)}
    return None


# ---------------------------------------------------------------- pieces of a session


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _before(rng: np.random.Generator) -> list[Step]:
    """What happens before a set: stepping on, standing, maybe sitting, kneeling or lying."""
    steps = [Step("absent", _u(rng, 1.0, 4.0)), Step("stand", _u(rng, 1.0, 4.0))]
    pick = rng.random()
    if pick < 0.2:
        steps.append(Step("walk", _u(rng, 1.0, 3.0)))
    elif pick < 0.35:
        steps.append(Step("pose", _u(rng, 3.0, 8.0), pose="sit"))
    elif pick < 0.55:
        steps.append(Step("pose", _u(rng, 1.0, 4.0), pose="all_fours"))
    elif pick < 0.7:
        steps.append(Step("pose", _u(rng, 2.0, 6.0), pose="prone"))
    elif pick < 0.78:
        steps.append(Step("pose", _u(rng, 2.0, 5.0), pose="child"))
    return steps


def _after(rng: np.random.Generator) -> list[Step]:
    """What follows a set: a rest on the knees, lying down, sitting, standing, leaving."""
    pick = rng.random()
    steps: list[Step] = []
    if pick < 0.3:
        steps.append(
            Step(
                "pose", _u(rng, 2.0, 6.0), pose=str(rng.choice(["all_fours", "child", "kneel_up"]))
            )
        )
    elif pick < 0.5:
        steps.append(Step("pose", _u(rng, 2.0, 6.0), pose="prone"))
    elif pick < 0.6:
        steps.append(Step("pose", _u(rng, 3.0, 8.0), pose="sit"))
    steps.append(Step("stand", _u(rng, 1.0, 3.0)))
    if rng.random() < 0.85:
        steps += [Step("leave"), Step("absent", _u(rng, 1.0, 3.0))]
    return steps


def _rest_between(rng: np.random.Generator) -> list[Step]:
    """A rest long enough to end a set (the next push-ups are a new set)."""
    pose = str(
        rng.choice(
            ["all_fours", "kneel_up", "child", "standing", "prone"], p=[0.4, 0.2, 0.15, 0.15, 0.1]
        )
    )
    if pose == "standing":
        return [Step("stand", _u(rng, 3.0, 10.0))]
    return [Step("pose", _u(rng, 2.5, 10.0), pose=pose)]


def _reps(rng: np.random.Generator, lo: int = 3) -> int:
    band = rng.choice(4, p=[0.3, 0.4, 0.22, 0.08])
    ranges = [(3, 8), (8, 15), (15, 25), (25, 40)]
    a, b = ranges[int(band)]
    return int(rng.integers(max(a, lo), b + 1))


def _pushup_set(
    rng: np.random.Generator, *, sag: bool = False, knees: bool = False, pike: bool = False
) -> Step:
    reps = _reps(rng, lo=7 if sag or pike else 3)  # a fault needs reps after the first two
    return Step(
        "set",
        options={
            "kind": "pushup",
            "knees": knees,
            "reps": reps,
            "sag": sag,
            "pike": pike,
            "partial": bool(rng.random() < 0.3),
            "hand_lift": bool(rng.random() < 0.15),
            "knee_rest": bool(not knees and rng.random() < 0.12),
        },
    )


def _plank(rng: np.random.Generator, *, sag: bool = False, pike: bool = False) -> Step:
    hold = _u(rng, 10.0, 30.0) if rng.random() < 0.4 else _u(rng, 30.0, 90.0)
    if sag:
        hold = max(hold, 15.0)
    return Step(
        "set",
        options={
            "kind": "plank",
            "hold_s": hold,
            "sag": sag,
            "pike": pike,
            "hand_lift": bool(rng.random() < 0.25),
        },
    )


# ---------------------------------------------------------------- the named scripts

ScriptSteps = tuple[list[Step], list[Thing]]


def _session(rng: np.random.Generator, sets: list[Step]) -> ScriptSteps:
    steps = _before(rng)
    for i, s in enumerate(sets):
        if i:
            steps += _rest_between(rng)
        steps.append(s)
    steps += _after(rng)
    return steps, []


def _pushups(rng: np.random.Generator) -> ScriptSteps:
    sets = [_pushup_set(rng)]
    if rng.random() < 0.25:
        sets.append(_pushup_set(rng))
    return _session(rng, sets)


def _pushups_sag(rng: np.random.Generator) -> ScriptSteps:
    sets = [_pushup_set(rng, sag=True)]
    if rng.random() < 0.2:
        sets.append(_pushup_set(rng, sag=bool(rng.random() < 0.5)))
    return _session(rng, sets)


def _knees(rng: np.random.Generator) -> ScriptSteps:
    return _session(rng, [_pushup_set(rng, knees=True, sag=bool(rng.random() < 0.15))])


def _pike(rng: np.random.Generator) -> ScriptSteps:
    return _session(rng, [_pushup_set(rng, pike=True)])


def _plank_good(rng: np.random.Generator) -> ScriptSteps:
    return _session(rng, [_plank(rng, pike=bool(rng.random() < 0.1))])


def _plank_sag(rng: np.random.Generator) -> ScriptSteps:
    return _session(rng, [_plank(rng, sag=True)])


def _mixed_sets(rng: np.random.Generator) -> ScriptSteps:
    kinds = [
        _pushup_set(rng, sag=bool(rng.random() < 0.4)),
        _pushup_set(rng, knees=True),
        _plank(rng, sag=bool(rng.random() < 0.3)),
    ]
    order = rng.permutation(3)[: int(rng.integers(2, 4))]
    return _session(rng, [kinds[int(i)] for i in order])


def _calibrate(rng: np.random.Generator) -> ScriptSteps:
    """Holding a good plank for a per-person calibration (`matd calibrate`): a few seconds
    of empty mat (a host connecting meanwhile sees it empty), then on the toes, still, for
    20 s: no sag, no pike, no hand lifted."""
    steps = [Step("absent", _u(rng, 2.5, 3.0))]
    steps.append(Step("set", options={"kind": "plank", "hold_s": 20.0}))
    steps += [Step("stand", _u(rng, 1.0, 2.0)), Step("leave"), Step("absent", 2.0)]
    return steps, []


def _empty(rng: np.random.Generator) -> ScriptSteps:
    return [Step("absent", _u(rng, 20.0, 40.0))], []


def _standing(rng: np.random.Generator) -> ScriptSteps:
    steps = [Step("absent", _u(rng, 1.0, 3.0)), Step("stand", _u(rng, 3.0, 10.0))]
    for _ in range(int(rng.integers(0, 3))):
        steps.append(Step("walk", _u(rng, 2.0, 8.0)))
    steps += [Step("leave"), Step("absent", _u(rng, 1.0, 3.0))]
    things = [Thing("pet", _u(rng, 3.0, 8.0))] if rng.random() < 0.1 else []
    return steps, things


def _sitting(rng: np.random.Generator) -> ScriptSteps:
    steps = [Step("absent", _u(rng, 1.0, 3.0)), Step("stand", _u(rng, 1.0, 3.0))]
    steps.append(Step("pose", _u(rng, 8.0, 25.0), pose="sit"))
    if rng.random() < 0.3:
        steps.append(Step("pose", _u(rng, 5.0, 10.0), pose="supine"))
    steps += [Step("stand", _u(rng, 1.0, 3.0)), Step("leave"), Step("absent", _u(rng, 1.0, 2.0))]
    return steps, []


def _all_fours(rng: np.random.Generator) -> ScriptSteps:
    steps = [Step("absent", _u(rng, 1.0, 3.0)), Step("stand", _u(rng, 1.0, 3.0))]
    steps.append(Step("pose", _u(rng, 5.0, 15.0), pose="all_fours"))
    for pose in rng.permutation(["child", "kneel_up", "all_fours"])[: int(rng.integers(0, 3))]:
        steps.append(Step("pose", _u(rng, 3.0, 8.0), pose=str(pose)))
    steps += [Step("stand", _u(rng, 1.0, 3.0)), Step("leave"), Step("absent", _u(rng, 1.0, 2.0))]
    return steps, []


def _child_pose(rng: np.random.Generator) -> ScriptSteps:
    steps = [Step("absent", _u(rng, 1.0, 3.0)), Step("stand", _u(rng, 1.0, 3.0))]
    steps += [Step("pose", _u(rng, 10.0, 25.0), pose="child")]
    steps += [Step("stand", _u(rng, 1.0, 3.0)), Step("leave"), Step("absent", _u(rng, 1.0, 2.0))]
    return steps, []


def _lying(rng: np.random.Generator) -> ScriptSteps:
    steps = [Step("absent", _u(rng, 1.0, 3.0)), Step("stand", _u(rng, 1.0, 3.0))]
    first = str(rng.choice(["prone", "supine"]))
    steps.append(Step("pose", _u(rng, 8.0, 20.0), pose=first))
    if rng.random() < 0.5:
        steps.append(
            Step("pose", _u(rng, 5.0, 12.0), pose="supine" if first == "prone" else "prone")
        )
    steps += [Step("stand", _u(rng, 1.0, 3.0)), Step("leave"), Step("absent", _u(rng, 1.0, 2.0))]
    return steps, []


def _step_on_off(rng: np.random.Generator) -> ScriptSteps:
    steps: list[Step] = [Step("absent", _u(rng, 1.0, 3.0))]
    for _ in range(int(rng.integers(2, 4))):
        steps += [
            Step("stand", _u(rng, 0.5, 4.0)),
            Step("leave"),
            Step("absent", _u(rng, 1.0, 4.0)),
        ]
    return steps, []


def _bag(rng: np.random.Generator) -> ScriptSteps:
    steps = [Step("absent", _u(rng, 2.0, 5.0))]
    things: list[Thing] = []
    n = int(rng.integers(1, 3))
    t = _u(rng, 1.0, 4.0)
    for _ in range(n):
        kind = str(rng.choice(["bag", "box", "kettlebell", "bottle"], p=[0.45, 0.2, 0.25, 0.1]))
        stay = _u(rng, 8.0, 25.0)
        things.append(Thing(kind, t, t + stay if rng.random() < 0.6 else math.inf))
        t += _u(rng, 2.0, 8.0)
    steps.append(Step("absent", t + _u(rng, 8.0, 20.0)))
    return steps, things


def _pet(rng: np.random.Generator) -> ScriptSteps:
    things: list[Thing] = []
    t = _u(rng, 1.0, 4.0)
    for _ in range(int(rng.integers(1, 4))):
        things.append(Thing("pet", t))
        t += _u(rng, 6.0, 15.0)
    return [Step("absent", t + _u(rng, 5.0, 10.0))], things


def _confounders(rng: np.random.Generator) -> ScriptSteps:
    """Several non-set things in a row."""
    steps = [Step("absent", _u(rng, 1.0, 3.0)), Step("stand", _u(rng, 2.0, 5.0))]
    for pose in rng.permutation(["sit", "all_fours", "child", "prone", "supine", "kneel_up"])[
        : int(rng.integers(2, 4))
    ]:
        steps.append(Step("pose", _u(rng, 3.0, 10.0), pose=str(pose)))
    steps += [Step("stand", _u(rng, 1.0, 3.0)), Step("leave"), Step("absent", _u(rng, 1.0, 3.0))]
    return steps, []


SCRIPTS: dict[str, Callable[[np.random.Generator], ScriptSteps]] = {
    "pushups": _pushups,
    "pushups_sag": _pushups_sag,
    "knees": _knees,
    "pike": _pike,
    "plank": _plank_good,
    "plank_sag": _plank_sag,
    "mixed_sets": _mixed_sets,
    "calibrate": _calibrate,
    "empty": _empty,
    "standing": _standing,
    "sitting": _sitting,
    "all_fours": _all_fours,
    "child_pose": _child_pose,
    "lying": _lying,
    "step_on_off": _step_on_off,
    "bag": _bag,
    "pet": _pet,
    "confounders": _confounders,
}

# The corpus mix: ~55% push-up sets, ~15% planks, ~30% no set at all.
MIX: dict[str, float] = {
    "pushups": 0.19,
    "pushups_sag": 0.19,
    "knees": 0.08,
    "mixed_sets": 0.06,
    "pike": 0.03,
    "plank": 0.075,
    "plank_sag": 0.075,
    "empty": 0.03,
    "standing": 0.04,
    "sitting": 0.04,
    "bag": 0.03,
    "pet": 0.03,
    "all_fours": 0.04,
    "child_pose": 0.02,
    "lying": 0.03,
    "step_on_off": 0.02,
    "confounders": 0.02,
}

NAMES = ("demo", "random", *SCRIPTS)

MIN_CASE_S = 20.0
MAX_CASE_S = 120.0


def _shrink(steps: list[Step], factor: float) -> None:
    """Shortens a script that ran too long: fewer reps, shorter holds and rests."""
    for s in steps:
        s.duration *= factor
        if s.kind == "set":
            if "reps" in s.options:
                s.options["reps"] = max(3, int(s.options["reps"] * factor))
            if "hold_s" in s.options:
                s.options["hold_s"] = max(10.0, s.options["hold_s"] * factor)


def build_script(
    name: str, seed: int, geometry: Geometry | None = None
) -> tuple[Script, np.random.Generator]:
    """Draws the person, placement, sensor and steps for a named scenario."""
    geometry = geometry or Geometry()
    rng = np.random.default_rng([seed, 0x6D617464])
    kind = name
    if name == "random":
        names = list(MIX)
        kind = str(rng.choice(names, p=np.array(list(MIX.values())) / sum(MIX.values())))
    person = Person.draw(rng)
    frame, placement = place_person(rng, person, geometry, off_edge=bool(rng.random() < 0.12))
    sensor = SensorParams.draw(rng, geometry)
    steps, things = SCRIPTS[kind](rng) if kind in SCRIPTS else ([], [])
    if kind in ("pushups", "pushups_sag", "knees", "plank", "plank_sag") and rng.random() < 0.05:
        stray = _stray_object(rng, person, frame, geometry)
        if stray is not None:
            things.append(stray)
    label = kind if name != "random" else f"random:{kind}"
    script = Script(label, seed, geometry, person, frame, placement, sensor, steps, things)
    return script, rng


def _stray_object(
    rng: np.random.Generator, person: Person, frame: BodyFrame, geometry: Geometry
) -> Thing | None:
    """A bottle or kettlebell left on the mat, clear of where the hands and toes go."""
    book = PoseBook(person, frame, np.random.default_rng(0))
    spots = [(limb.x, limb.y) for limbs in _pattern_keys(book).values() for limb in limbs]
    length, width = (
        geometry.cols * geometry.col_pitch_um / 1000,
        geometry.rows * geometry.row_pitch_um / 1000,
    )
    kind = str(rng.choice(["bottle", "kettlebell"]))
    for _ in range(50):
        x, y = float(rng.uniform(0.1, 0.9)) * length, float(rng.uniform(0.15, 0.85)) * width
        if min(math.hypot(x - a, y - b) for a, b in spots) > 350.0:
            return Thing(kind, 0.0, math.inf, (x, y))
    return None


def build_scene(name: str, seed: int, geometry: Geometry | None = None) -> Scene:
    """Compiles a named scenario, keeping cases between 20 and 120 s long."""
    for attempt in range(8):
        script, rng = build_script(name, seed, geometry)
        if attempt:
            _shrink(script.steps, 0.8**attempt)
        scene = Scene(script, rng)
        if scene.duration <= MAX_CASE_S:
            break
    if scene.duration < MIN_CASE_S:
        scene.add(Step("absent", MIN_CASE_S - scene.duration + float(rng.uniform(0.0, 5.0))))
    return scene


def scenario_source(
    name: str, seed: int, geometry: Geometry | None = None, rate_hz: float = 50.0
) -> tuple[ScenarioMatSource, Truth]:
    """A virtual mat playing the named scenario, and its ground truth.

    Names: see NAMES ("demo" is endless; its truth lists no sets). Truth times are seconds
    from the first frame rendered (t0_s = 0); the source takes the first `t` it renders as
    the scenario's start, whatever the device clock reads."""
    if name not in NAMES:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(NAMES)}")
    geometry = geometry or Geometry()
    if name == "demo":
        scene = demo_scene(seed, geometry)
        sensor = MatSensor(geometry, scene.script.sensor, seed)
        truth: Truth = {
            "version": 1,
            "scenario": "demo",
            "seed": seed,
            "endless": True,
            "rate_hz": rate_hz,
            "segments": [],
            "sets": [],
            "expect_no_set": False,
        }
        return ScenarioMatSource(scene, sensor), truth
    scene = build_scene(name, seed, geometry)
    sensor = MatSensor(geometry, scene.script.sensor, seed)
    truth = scene.truth(0.0)
    truth["rate_hz"] = rate_hz
    return ScenarioMatSource(scene, sensor), truth


def demo_scene(seed: int, geometry: Geometry) -> Scene:
    """An endless session for the live demo: sets of every kind, sags, rests, the odd break."""
    script, rng = build_script("empty", seed, geometry)
    script.name = "demo"
    script.steps = [Step("absent", 1.0), Step("stand", 2.0)]
    scene = Scene(script, rng)
    scene.extend = _demo_block
    return scene


def _demo_block(scene: Scene) -> None:
    r = scene.rng
    kind = str(
        r.choice(
            ["pushups", "pushups_sag", "knees", "plank", "plank_sag"], p=[0.3, 0.3, 0.15, 0.1, 0.15]
        )
    )
    if kind == "plank" or kind == "plank_sag":
        step = _plank(r, sag=kind == "plank_sag")
        step.options["hold_s"] = _u(r, 15.0, 40.0)
    else:
        step = _pushup_set(r, sag=kind == "pushups_sag", knees=kind == "knees")
        step.options["reps"] = int(r.integers(8 if kind == "pushups_sag" else 5, 16))
    scene.add(step)
    rest = _rest_between(r)
    for s in rest:
        s.duration = max(s.duration, 4.0)
        scene.add(s)
    if r.random() < 0.1:
        for s in (Step("stand", 2.0), Step("leave"), Step("absent", 3.0), Step("stand", 2.0)):
            scene.add(s)
    # Keep the history short: an endless demo must not grow without bound.
    scene.forget_before(scene.t - 600.0)


__all__ = ["MIX", "NAMES", "SCRIPTS", "build_scene", "place_person", "scenario_source"]
