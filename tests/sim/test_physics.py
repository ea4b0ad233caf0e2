"""The simulator's physics, measured from its own rendered frames with plain NumPy."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from matd.sim.body import Person
from matd.sim.contacts import ContactState, PressureRenderer, palm
from matd.sim.exercise import ExerciseSet
from matd.sim.scenario import Step
from matd.sim.sensor import MatSensor, SensorParams
from matd.sim.source import Geometry


def clean_sensor(seed: int) -> SensorParams:
    """A drawn sensor without dead or stuck cells: those lose load no inversion can bring
    back, and a dead cell under a palm would bias any share measured from the frames."""
    params = SensorParams.draw(np.random.default_rng(seed + 1000), Geometry())
    return replace(params, dead_cells=(), stuck_cells=())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_standing_person_loads_the_mat_with_their_weight(kit, seed):
    source, scene = kit.scene(
        [Step("absent", 0.5), Step("stand", 6.0, spot=(-0.5, 0.0, 0.0))],
        seed=seed,
        sensor=clean_sensor(seed),
    )
    weight = scene.person.weight_n
    (standing,) = [s for s in scene.truth()["segments"] if s["kind"] == "standing"]
    times = np.linspace(standing["start_t"] + 0.2, standing["end_t"] - 0.2, 4)
    for frame in kit.play(source, list(times)):
        exact = scene.renderer.pressure_kpa(scene.contacts(frame.t))
        assert kit.force_n(exact) == pytest.approx(weight, rel=1e-3)
        # Back through the sensor: only the activation threshold, the noise floor and the
        # first-order crosstalk inversion lose a few per cent.
        assert kit.force_n(frame.pressure_kpa) == pytest.approx(weight, rel=0.06)


@pytest.mark.parametrize(("seed", "heading"), [(1, 0.0), (4, 180.0), (7, 12.0)])
def test_push_up_hands_share_matches_u_at_the_top_and_the_bottom(kit, seed, heading):
    source, scene = kit.scene(
        kit.around_a_set(kind="pushup", reps=6),
        seed=seed,
        heading_deg=heading,
        sensor=clean_sensor(seed),
    )
    ex = scene.sets()[0]
    plan = ex.plan
    tops = [r.top_t + 0.02 for r in plan.reps]
    bottoms = [r.start + r.down + 0.01 for r in plan.reps]
    frames = kit.play(source, tops + bottoms)
    reach = scene.person.hand_to_toe_m
    for frame in frames:
        u = ex.u_at(frame.t)
        assert kit.hands_share(frame.pressure_kpa, scene.script.frame, reach) == pytest.approx(
            u, abs=0.01
        )
    # And u itself swings as drawn: the baseline at the top, baseline + depth at the bottom
    # (give or take the set's slow wander and breathing, under 0.01 together).
    for r in plan.reps:
        assert ex.u_at(r.top_t + 0.02) == pytest.approx(plan.baseline_u, abs=0.01)
        bottom = ex.u_at(r.start + r.down + 0.01)
        assert bottom == pytest.approx(plan.baseline_u + r.depth * plan.depth_u, abs=0.01)
    assert 0.62 <= plan.baseline_u <= 0.71
    assert 0.04 <= plan.depth_u <= 0.10


def _twin_scenes(kit, seed, **fault):
    """The same person and set twice: with the form fault, and in good form."""
    options = {"kind": "pushup", "reps": 14, **fault}
    bad = kit.scene(kit.around_a_set(**options), seed=seed, sensor=clean_sensor(seed))
    good_options = {**options, "sag": False, "pike": False}
    good = kit.scene(kit.around_a_set(**good_options), seed=seed, sensor=clean_sensor(seed))
    return bad, good


def _hand_cops(kit, pressure, frame, span_m):
    """Each hand's own CoP along the body's forward axis (mm), from the cells around it."""
    f, lat = kit.body_coords(frame)
    out = []
    for side in (1.0, -1.0):
        near = (np.abs(f) < 0.2) & (np.abs(lat - side * span_m / 2) < 0.15)
        p = np.where(near, pressure, 0.0)
        out.append(float((p * f).sum() / p.sum()) * 1000.0)
    return out


@pytest.mark.parametrize("seed", [11, 12])
def test_a_sag_lowers_u_by_its_depth_and_rolls_each_hand_toward_the_wrist(kit, seed):
    (src_sag, sag_scene), (src_good, good_scene) = _twin_scenes(kit, seed, sag=True)
    ex_sag, ex_good = sag_scene.sets()[0], good_scene.sets()[0]
    assert ex_sag.plan.reps == ex_good.plan.reps
    episode = ex_sag.plan.sags[0]
    tops = [r.top_t + 0.02 for r in ex_sag.plan.reps]
    inside = [t for t in tops if episode.onset + episode.ramp_in < t < episode.until]
    before = [t for t in tops if t < episode.onset]
    assert inside and before
    frame = sag_scene.script.frame
    reach = sag_scene.person.hand_to_toe_m
    span = sag_scene.person.hand_span_m
    early = before[:3]
    sag_frames, good_frames = kit.play(src_sag, early + inside), kit.play(src_good, early + inside)
    for a, b in zip(sag_frames[:3], good_frames[:3], strict=True):
        assert np.array_equal(a.counts, b.counts)  # the same set until the sag begins
    for a, b in zip(sag_frames[3:], good_frames[3:], strict=True):
        depth, strength = episode.at(a.t)
        assert 0.015 <= depth <= 0.05
        u_sag = kit.hands_share(a.pressure_kpa, frame, reach)
        u_good = kit.hands_share(b.pressure_kpa, frame, reach)
        assert u_good - u_sag == pytest.approx(depth, abs=0.006)
        shift = [
            g - s
            for s, g in zip(
                _hand_cops(kit, a.pressure_kpa, frame, span),
                _hand_cops(kit, b.pressure_kpa, frame, span),
                strict=True,
            )
        ]
        for moved in shift:
            assert moved == pytest.approx(strength * episode.hand_shift_mm, abs=2.5)
            assert moved > 0  # toward the feet: behind where the good-form hand presses


def test_a_pike_raises_u_never_lowers_it(kit):
    (_, pike_scene), (_, good_scene) = _twin_scenes(kit, 5, pike=True)
    ex_pike, ex_good = pike_scene.sets()[0], good_scene.sets()[0]
    episode = ex_pike.plan.pikes[0]
    ts = np.arange(episode.onset, episode.end_t, 0.05)
    lift = np.array([ex_pike.u_at(t) - ex_good.u_at(t) for t in ts])
    assert lift.min() >= -1e-9
    assert lift.max() == pytest.approx(episode.depth1, abs=1e-6)
    assert 0.02 <= episode.depth1 <= 0.05


@pytest.mark.parametrize("heading", [0.0, 180.0, 20.0, -20.0, 160.0, -165.0])
def test_u_from_the_centre_of_pressure_is_right_facing_either_end_and_turned(kit, heading):
    # Someone whose push-up fits across the 0.8 m mat even at 20°.
    person = replace(
        Person.draw(np.random.default_rng(21)), hand_span_m=0.36, hand_to_toe_m=1.2, toe_gap_m=0.15
    )
    source, scene = kit.scene(
        kit.around_a_set(kind="plank", hold_s=10.0),
        seed=21,
        heading_deg=heading,
        sensor=clean_sensor(21),
        person=person,
    )
    ex = scene.sets()[0]
    times = list(np.linspace(ex.start + 0.5, ex.end - 0.5, 6))
    reach = scene.person.hand_to_toe_m
    for frame in kit.play(source, times):
        measured = kit.axis_u(frame.pressure_kpa, scene.script.frame, reach)
        assert measured == pytest.approx(ex.u_at(frame.t), abs=0.01)


@pytest.mark.parametrize("heading", [0.0, 180.0])
def test_knee_push_ups_carry_about_half_on_the_hands(kit, heading):
    source, scene = kit.scene(
        kit.around_a_set(kind="pushup", knees=True, reps=4),
        seed=31,
        heading_deg=heading,
        sensor=clean_sensor(31),
    )
    ex = scene.sets()[0]
    assert 0.49 <= ex.plan.baseline_u <= 0.56
    tops = [r.top_t + 0.02 for r in ex.plan.reps]
    reach = scene.person.knee_pushup_m
    for frame in kit.play(source, tops):
        exact = scene.renderer.pressure_kpa(scene.contacts(frame.t))
        assert kit.axis_u(exact, scene.script.frame, reach) == pytest.approx(
            ex.u_at(frame.t), abs=0.002
        )
        # The shins press lightly: the activation threshold loses more of them than of
        # the palms, so the share measured through the sensor reads a little high.
        measured = kit.axis_u(frame.pressure_kpa, scene.script.frame, reach)
        assert measured == pytest.approx(ex.u_at(frame.t), abs=0.03)


def test_the_centre_of_pressure_moves_smoothly_below_the_cell_pitch():
    g = Geometry()
    renderer = PressureRenderer(g, foam_sigma_mm=4.0)
    sensor = MatSensor(g, SensorParams.ideal(), 0)
    hand = palm(10000.0)
    x = (np.arange(g.cols) + 0.5) * 25.0
    cops = []
    for dx in np.arange(0.0, 50.0, 1.0):
        contact = ContactState(hand, 1000.0 + dx, 400.0, 0.3, 250.0)
        counts = sensor.counts(renderer.pressure_kpa([contact]), 0.0)
        p = sensor.pressure_from_counts(counts, 0.0)
        cops.append(float((p.sum(axis=0) * x).sum() / p.sum()))
    steps = np.diff(cops)
    # Whole counts quantise the pressure a little; the CoP still tracks every millimetre.
    assert np.all(np.abs(steps - 1.0) < 0.1)


def test_the_total_load_swings_with_the_reps(kit):
    source, scene = kit.scene(
        kit.around_a_set(kind="pushup", reps=8), seed=41, sensor=clean_sensor(41)
    )
    ex = scene.sets()[0]
    weight = scene.person.weight_n
    ts = np.arange(ex.plan.reps[0].start, ex.plan.reps[-1].top_t, 0.02)
    exact = np.array([ex.pose(t)[1] / weight for t in ts])
    assert 0.05 <= exact.max() - 1.0 <= 0.15
    assert 0.05 <= 1.0 - exact.min() <= 0.15
    measured = np.array([kit.force_n(f.pressure_kpa) for f in kit.play(source, list(ts))])
    at_rest = np.median(measured[np.abs(exact - 1.0) < 0.002])
    swing = measured / at_rest
    assert swing.max() == pytest.approx(exact.max(), abs=0.03)
    assert swing.min() == pytest.approx(exact.min(), abs=0.03)


def test_breathing_sways_u_in_a_plank_at_breathing_rate(kit):
    person = replace(Person.draw(np.random.default_rng(3)), plank_sway_u=0.018)
    _, scene = kit.scene(kit.around_a_set(kind="plank", hold_s=60.0), seed=3, person=person)
    ex = scene.sets()[0]
    ts = np.arange(ex.start, ex.end, 0.05)
    u = np.array([ex.u_at(t) for t in ts]) - ex.plan.baseline_u
    assert np.abs(u).max() <= 0.02 + 0.004  # breathing, plus the slow wander
    spectrum = np.abs(np.fft.rfft(u - u.mean()))
    freqs = np.fft.rfftfreq(len(u), 0.05)
    band = freqs > 0.17
    peak = freqs[band][np.argmax(spectrum[band])]
    assert 0.19 <= peak <= 0.42


def test_a_lifted_hand_comes_down_a_few_centimetres_away(kit):
    for seed in range(50, 80):
        source, scene = kit.scene(
            kit.around_a_set(kind="plank", hold_s=15.0, hand_lift=True),
            seed=seed,
            sensor=clean_sensor(seed),
        )
        ex = scene.sets()[0]
        lift = ex.plan.lifts[0]
        if math.hypot(*lift.moved) > 0.03:
            break
    mid_air = lift.start + lift.unload + lift.air / 2
    frame = scene.script.frame
    side = 1.0 if lift.key == "hand_L" else -1.0
    before, during, after = kit.play(source, [lift.start - 0.2, mid_air, lift.end + 0.3])
    f, lat = kit.body_coords(frame)

    def hand_load(p):
        return float(p[(np.abs(f) < 0.25) & (side * lat > 0)].sum())

    assert hand_load(during.pressure_kpa) < 0.02 * hand_load(before.pressure_kpa)
    # The other hand takes its load: the hands' share of the load hardly moves.
    reach = scene.person.hand_to_toe_m
    assert kit.hands_share(during.pressure_kpa, frame, reach) == pytest.approx(
        kit.hands_share(before.pressure_kpa, frame, reach), abs=0.015
    )

    def hand_centre(p):
        near = (np.abs(f) < 0.25) & (side * lat > 0)
        w = np.where(near, p, 0.0)
        return float((w * f).sum() / w.sum()), float((w * lat).sum() / w.sum())

    (f0, l0), (f1, l1) = hand_centre(before.pressure_kpa), hand_centre(after.pressure_kpa)
    assert (f1 - f0) == pytest.approx(lift.moved[0], abs=0.004)
    assert (l1 - l0) == pytest.approx(lift.moved[1], abs=0.004)


def test_a_short_rest_on_the_knees_stays_inside_the_set(kit):
    for seed in range(60, 120):
        source, scene = kit.scene(
            kit.around_a_set(kind="pushup", reps=10, knee_rest=True),
            seed=seed,
            sensor=clean_sensor(seed),
        )
        ex = scene.sets()[0]
        if ex.plan.rests:
            break
    rest = ex.plan.rests[0]
    assert rest.end - rest.start < 1.5
    frame = scene.script.frame
    reach = scene.person.hand_to_toe_m
    f, _ = kit.body_coords(frame)
    held = rest.start + rest.drop + rest.hold / 2
    before, during = kit.play(source, [rest.start - 0.1, held])

    def rear_centre(p):
        rear = np.where(f < -0.3, p, 0.0)
        return float((rear * f).sum() / rear.sum())

    # The legs' load moves from the toes forward to the knees, and the hands carry less.
    assert rear_centre(during.pressure_kpa) - rear_centre(before.pressure_kpa) > 0.15
    share_before = kit.hands_share(before.pressure_kpa, frame, reach)
    share_during = kit.hands_share(during.pressure_kpa, frame, 0.6)
    assert share_during < share_before - 0.05
    truth = scene.truth()
    assert len(truth["sets"]) == 1
    (rested,) = truth["sets"][0]["knee_rests"]
    assert (
        truth["sets"][0]["start_t"]
        < rested["start_t"]
        < rested["end_t"]
        < truth["sets"][0]["end_t"]
    )


def test_a_long_rest_on_the_knees_splits_two_sets(kit):
    steps = [
        Step("absent", 0.5),
        Step("stand", 1.0, spot=(-0.4, 0.0, 0.0)),
        Step("set", options={"kind": "pushup", "reps": 5}),
        Step("pose", 4.0, pose="all_fours"),
        Step("set", options={"kind": "pushup", "reps": 5}),
        Step("pose", 2.0, pose="kneel_up"),
    ]
    _, scene = kit.scene(steps, seed=9)
    first, second = scene.truth()["sets"]
    assert second["start_t"] - first["end_t"] > 4.0
    assert [s["kind"] for s in scene.truth()["segments"]].count("pushup_set") == 2


def test_exercise_set_is_a_pure_function_of_its_plan():
    """A plan shifted in time is the same set: the scene relies on it to join the
    transition into the set exactly at its first pose."""
    from matd.sim.body import BodyFrame, PoseBook
    from matd.sim.exercise import draw_set_plan

    rng = np.random.default_rng(2)
    person = Person.draw(rng)
    book = PoseBook(person, BodyFrame(1000.0, 400.0, 0.0), rng)
    plan = draw_set_plan(rng, person, 0.0, kind="pushup", reps=8, sag=True, hand_lift=True)
    a, b = ExerciseSet(book, plan), ExerciseSet(book, plan.shifted(37.5))
    for t in np.linspace(0.0, plan.end, 40):
        assert a.u_at(float(t)) == pytest.approx(b.u_at(float(t) + 37.5), abs=1e-12)
