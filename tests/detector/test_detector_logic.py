"""The detector's logic on hand-built contacts with exactly known u (no sensor in the way)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator

import pytest

from matd.config import DetectorConfig
from matd.detector import Detector
from matd.features import Features

from .synthetic import contact, empty_frames, pushup_frames, rep_u


def run(frames) -> tuple[Detector, list[dict]]:
    det = Detector(DetectorConfig())
    events = []
    for f in frames:
        events += det.update(f)
    return det, events


def types(events: list[dict]) -> list[str]:
    return [e["event_type"] for e in events]


@pytest.mark.parametrize("facing,angle", [(1, 0), (-1, 0), (1, 18), (-1, -18)])
def test_ten_reps_counted_whatever_the_direction(facing: int, angle: float) -> None:
    u = rep_u(0.66, 0.07, reps=10, period=2.0, start=3.0)
    frames = itertools.chain(
        pushup_frames(u, 26.0, facing=facing, angle_deg=angle), empty_frames(3.0, 126.0)
    )
    det, events = run(frames)
    assert types(events)[0] == "set_started"
    reps = [e for e in events if e["event_type"] == "rep"]
    assert [r["n"] for r in reps] == list(range(1, 11))
    assert all(0.06 < r["depth"] < 0.08 for r in reps)
    end = events[-1]
    assert end["event_type"] == "set_ended"
    assert end["reps"] == 10 and end["kind"] == "pushup" and end["sag_episodes"] == 0
    assert end["baseline_u"] == pytest.approx(0.66, abs=0.005)
    assert end["balance"]["left"] == pytest.approx(0.5, abs=0.01)
    assert det.phase == "idle"


def test_set_started_after_one_second_of_stable_pattern() -> None:
    u = rep_u(0.66, 0.07, reps=0, period=2.0, start=100)
    _, events = run(pushup_frames(u, 5.0))
    assert types(events) == ["set_started"]
    assert events[0]["t"] == pytest.approx(101.0, abs=0.05)
    assert events[0]["knees"] is False


def test_knee_pushups_are_flagged() -> None:
    u = rep_u(0.53, 0.05, reps=5, period=2.0, start=3.0)
    frames = itertools.chain(
        pushup_frames(u, 16.0, knees=True, length_mm=800), empty_frames(3, 116)
    )
    _, events = run(frames)
    assert events[0] == {**events[0], "event_type": "set_started", "knees": True}
    assert events[-1]["reps"] == 5


def test_sag_in_plank_raises_started_and_ended() -> None:
    def sag(t: float) -> float:
        return 0.03 if 6.0 <= t < 9.0 else 0.0

    u = rep_u(0.66, 0.07, reps=0, period=2.0, start=100, sag=sag)
    frames = itertools.chain(
        pushup_frames(u, 12.0, hand_shift=lambda t: 10.0 if sag(t) else 0.0),
        empty_frames(3, 112),
    )
    _, events = run(frames)
    names = types(events)
    assert names == ["set_started", "sag_started", "sag_ended", "set_ended"]
    started = events[1]
    assert 106.0 <= started["t"] <= 106.6
    assert started["depth"] == pytest.approx(0.03, abs=0.005)
    assert events[-1]["kind"] == "plank" and events[-1]["sag_episodes"] == 1


def test_u_sinking_without_the_palms_moving_is_not_a_sag() -> None:
    """A plank's u settling 0.02 lower, the palms still: the body shifting, not the hips."""

    def drift(t: float) -> float:
        return 0.02 if t >= 6.0 else 0.0

    u = rep_u(0.66, 0.07, reps=0, period=2.0, start=100, sag=drift)
    frames = itertools.chain(pushup_frames(u, 12.0), empty_frames(3, 112))
    _, events = run(frames)
    assert "sag_started" not in types(events)


def test_held_pike_is_not_a_sag() -> None:
    def pike(t: float) -> float:
        return -0.05 if 4.0 <= t < 16.0 else 0.0

    u = rep_u(0.66, 0.07, reps=0, period=2.0, start=100, sag=pike)
    frames = itertools.chain(pushup_frames(u, 20.0), empty_frames(3, 120))
    _, events = run(frames)
    assert "sag_started" not in types(events)
    assert "rep" not in types(events)
    assert types(events) == ["set_started", "pike_started", "pike_ended", "set_ended"]


def test_sag_across_later_reps() -> None:
    def sag(t: float) -> float:
        return 0.025 if t >= 13.0 else 0.0

    u = rep_u(0.66, 0.07, reps=8, period=2.0, start=3.0, sag=sag)
    frames = itertools.chain(
        pushup_frames(u, 21.0, hand_shift=lambda t: 10.0 if sag(t) else 0.0),
        empty_frames(3, 121),
    )
    _, events = run(frames)
    names = types(events)
    assert names.count("rep") == 8
    assert names.count("sag_started") == 1
    assert events[-1]["sag_episodes"] == 1


def test_knee_rest_over_1_5_s_splits_the_set() -> None:
    u = rep_u(0.66, 0.07, reps=3, period=2.0, start=2.0)
    first = pushup_frames(u, 9.0)
    # Resting, the hips sit back over the knees: far less load on the hands than a knee push-up.
    rest = pushup_frames(lambda t: 0.40, 3.0, knees=True, length_mm=800, t0=109.0)
    second = pushup_frames(u, 9.0, t0=112.0)
    _, events = run(itertools.chain(first, rest, second, empty_frames(3, 121)))
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [3, 3]


def test_frames_lost_on_the_wire_do_not_lose_a_rep() -> None:
    """A gap in the frames is not a palm lifted: the rep across it still counts."""
    u = rep_u(0.66, 0.07, reps=6, period=2.0, start=3.0)
    frames = [
        f
        for f in pushup_frames(u, 18.0)
        # 0.2 s of frames lost just before each rep's bottom
        if not any(3.0 + 2 * k + 0.7 <= f.t - 100.0 < 3.0 + 2 * k + 0.9 for k in range(6))
    ]
    _, events = run(itertools.chain(frames, empty_frames(3.0, 118.0)))
    assert events[-1]["event_type"] == "set_ended"
    assert events[-1]["reps"] == 6


def test_a_set_begun_from_a_lower_u_counts_its_first_reps() -> None:
    """Getting into position, u passes below the plank's: the first rep still counts."""

    def u(t: float) -> float:
        if t < 1.0:
            return 0.55 + 0.09 * t  # settling into the plank
        return rep_u(0.64, 0.07, reps=5, period=2.0, start=3.0)(t)

    _, events = run(itertools.chain(pushup_frames(u, 15.0), empty_frames(3.0, 115.0)))
    assert [e["n"] for e in events if e["event_type"] == "rep"] == [1, 2, 3, 4, 5]


def test_getting_off_the_mat_after_a_plank_is_no_rep() -> None:
    """u swings up and back as the person drops to the floor, then the pattern is gone."""

    def u(t: float) -> float:
        if t < 8.0:
            return 0.66
        return 0.66 + 0.06 * math.sin(math.pi * min((t - 8.0) / 0.7, 1.0))

    frames = itertools.chain(pushup_frames(u, 8.8), empty_frames(3.0, 108.8))
    _, events = run(frames)
    assert "rep" not in types(events)
    assert events[-1]["event_type"] == "set_ended" and events[-1]["kind"] == "plank"


def test_u_creeping_in_a_plank_without_heave_is_no_rep() -> None:
    """On a mat whose reps heave, a slow rise and fall of u with a flat load (sensor creep
    in a plank) is not a push-up."""
    reps = rep_u(0.66, 0.07, reps=5, period=2.0, start=3.0)  # heaving reps: the mat shows it

    def creep(t: float) -> float:
        if 4.0 <= t < 7.0:
            return 0.64 + 0.07 * math.sin(math.pi * (t - 4.0) / 3.0)
        return 0.64

    plank = list(pushup_frames(creep, 14.0, t0=130.0))
    flat = [type(f)(t=f.t, load_n=700.0, cop=f.cop, contacts=f.contacts) for f in plank]
    frames = itertools.chain(
        pushup_frames(reps, 15.0), empty_frames(5.0, 115.0), flat, empty_frames(3.0, 144.0)
    )
    _, events = run(frames)
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [5, 0]


def test_a_mat_whose_load_never_heaves_still_counts_reps() -> None:
    """A recording whose total load stays flat (no vertical force in it) counts by u."""
    u = rep_u(0.66, 0.07, reps=8, period=2.0, start=3.0)
    partial = rep_u(0.66, 0.025, reps=1, period=1.6, start=19.5)  # a partial 9th

    def with_partial(t: float) -> float:
        return u(t) if t < 19.0 else partial(t)

    frames = list(pushup_frames(with_partial, 24.0))
    flat = [type(f)(t=f.t, load_n=700.0, cop=f.cop, contacts=f.contacts) for f in frames]
    _, events = run(itertools.chain(flat, empty_frames(3.0, 124.0)))
    reps = [e for e in events if e["event_type"] == "rep"]
    assert len(reps) == 9, reps
    assert reps[-1]["partial"] is True


def test_tops_held_well_below_the_baseline_are_a_sag_even_if_the_palms_blur() -> None:
    """A mat whose cells blur the palms' shift away still sees a sag in u between reps."""

    def sag(t: float) -> float:
        return 0.035 if t >= 11.0 else 0.0

    u = rep_u(0.66, 0.07, reps=10, period=2.4, start=3.0, sag=sag)
    frames = itertools.chain(pushup_frames(u, 30.0), empty_frames(3, 130))
    _, events = run(frames)
    started = [e for e in events if e["event_type"] == "sag_started"]
    assert started, types(events)
    assert 111.0 < started[0]["t"] < 114.0


def test_sinking_back_deeper_than_any_sag_is_not_one() -> None:
    """The top held 0.07 below the baseline with still palms: sinking back, not the hips."""

    def sag(t: float) -> float:
        return 0.07 if t >= 11.0 else 0.0

    u = rep_u(0.66, 0.07, reps=10, period=2.4, start=3.0, sag=sag)
    frames = itertools.chain(pushup_frames(u, 30.0), empty_frames(3, 130))
    _, events = run(frames)
    assert "sag_started" not in types(events)


def test_a_long_plank_before_the_first_rep_does_not_swallow_it() -> None:
    """A rep's time runs from leaving the top, not from the start of a long hold there."""
    reps = rep_u(0.66, 0.07, reps=4, period=2.0, start=9.0)

    def u(t: float) -> float:
        # The hold's lowest u comes early in it (a breath out), 7 s before the first rep.
        return reps(t) - (0.006 * math.sin(math.pi * (t - 2.8)) if 2.8 < t < 3.8 else 0.0)

    frames = itertools.chain(pushup_frames(u, 20.0), empty_frames(3, 120))
    _, events = run(frames)
    reps = [e for e in events if e["event_type"] == "rep"]
    assert [r["n"] for r in reps] == [1, 2, 3, 4]
    assert all(1.0 < r["duration_s"] < 2.5 and r["depth"] > 0.06 for r in reps)


def test_a_pike_begun_on_the_way_up_does_not_hide_the_rep() -> None:
    """The hips go up as the rep comes up: u comes only a third of the way back, then holds
    at the top (a pause of 0.8 s between reps)."""

    def u(t: float) -> float:
        k, x = divmod(t - 3.0, 3.2)  # reps of 2.4 s, each followed by 0.8 s at the top
        rep = 0.07 * 0.5 * (1 - math.cos(2 * math.pi * x / 2.4)) if 0 <= k < 6 and x < 2.4 else 0.0
        # the 4th rep's way up starts at 3 + 3 * 3.2 + 1.2 = 13.8 s: the hips rise from 14.0 s
        pike = 0.045 * min(max((t - 14.0) / 0.3, 0.0), 1.0)
        return 0.66 + rep + pike

    frames = itertools.chain(pushup_frames(u, 24.0), empty_frames(3, 124))
    _, events = run(frames)
    reps = [e for e in events if e["event_type"] == "rep"]
    assert events[-1]["event_type"] == "set_ended"
    assert events[-1]["reps"] == 6, reps


def test_a_plank_sag_held_deep_is_found_even_if_the_palms_blur() -> None:
    """0.04 below the baseline for seconds in a plank, more than breathing: a sag."""

    def sag(t: float) -> float:
        return 0.04 if t >= 8.0 else 0.0

    u = rep_u(0.66, 0.07, reps=0, period=2.0, start=100, sag=sag)
    _, events = run(itertools.chain(pushup_frames(u, 16.0), empty_frames(3, 116)))
    started = [e for e in events if e["event_type"] == "sag_started"]
    assert started and 109.5 < started[0]["t"] < 111.5, types(events)


def _ramp(t: float, t0: float, over: float) -> float:
    return min(max((t - t0) / over, 0.0), 1.0)


def test_a_sag_that_sets_in_on_the_way_down_is_told_before_the_next_top() -> None:
    """The palms roll 8 mm toward the wrists 0.3 s into a rep's way down; on the grid their
    patches' centres follow 60% of the roll, so only the CoP against where the palms were
    shows it whole. SIGNALS.md: sag_started within 0.6 s of the onset."""
    onset = 3.0 + 5 * 2.5 + 0.3

    def sag(t: float) -> float:
        return 0.025 * _ramp(t, onset, 0.3)

    u = rep_u(0.66, 0.07, reps=8, period=2.5, start=3.0, sag=sag)
    frames = pushup_frames(
        u, 26.0, hand_shift=lambda t: 8.0 * _ramp(t, onset, 0.3), centre_follows=0.6
    )
    _, events = run(itertools.chain(frames, empty_frames(3, 126)))
    started = [e for e in events if e["event_type"] == "sag_started"]
    assert len(started) == 1, types(events)
    assert 100 + onset < started[0]["t"] <= 100 + onset + 0.6
    assert types(events).count("rep") == 8


def test_palms_rolled_back_past_the_reps_bottom_are_no_sag() -> None:
    """Dropping to the knees after the last rep: u goes past any bottom the reps reached
    while the palms roll toward the wrists. A sag lowers u; this is someone getting down."""

    def u(t: float) -> float:
        reps = rep_u(0.66, 0.07, reps=6, period=2.0, start=3.0)(t)
        return reps + 0.09 * _ramp(t, 16.0, 0.4)

    frames = pushup_frames(u, 18.5, hand_shift=lambda t: 8.0 * _ramp(t, 16.0, 0.4))
    _, events = run(itertools.chain(frames, empty_frames(3, 118.5)))
    assert "sag_started" not in types(events)
    assert types(events).count("rep") == 6


def test_a_bottom_cut_short_by_a_sag_neither_ends_the_sag_nor_is_a_pike() -> None:
    """A sag setting in at a rep's bottom pause throws u back toward the feet: the bottom
    can pass for a top, well above the baseline. The palms, rolled toward the wrists, say
    the hips are down: no pike, and the sag goes on until the form is back."""

    def sag(t: float) -> float:
        return 0.04 * _ramp(t, 16.0, 0.2) * (1.0 - _ramp(t, 22.0, 0.3))

    def u(t: float) -> float:
        reps = rep_u(0.66, 0.08, reps=6, period=2.0, start=3.0)(t)
        # The seventh rep: down in 1 s, a second's pause at the bottom, up in 1 s.
        last = 0.08 * (_ramp(t, 15.0, 1.0) - _ramp(t, 17.0, 1.0))
        return reps + last - sag(t)

    frames = pushup_frames(u, 25.0, hand_shift=lambda t: 250.0 * sag(t))
    _, events = run(itertools.chain(frames, empty_frames(3, 125)))
    names = [n for n in types(events) if n != "rep"]
    assert names == ["set_started", "sag_started", "sag_ended", "set_ended"], types(events)
    assert next(e for e in events if e["event_type"] == "sag_ended")["t"] > 122.0


def _flat(frames) -> list:
    """The frames with a load that never heaves."""
    return [type(f)(t=f.t, load_n=700.0, cop=f.cop, contacts=f.contacts) for f in frames]


def test_a_heaveless_swing_after_a_long_plank_is_no_rep_before_the_mat_is_known() -> None:
    """A plank held 12 s, then u up 0.05 and back in 2 s with the load flat (hips piked up
    and down, or a shift of weight): with no rep yet to show whether this mat's reps heave,
    it is not counted; the same swing soon after the set formed is (a flat mat's first rep)."""

    def late(t: float) -> float:
        return 0.66 + (0.05 * math.sin(math.pi * (t - 12.0) / 2.0) if 12.0 <= t < 14.0 else 0.0)

    def early(t: float) -> float:
        return 0.66 + (0.05 * math.sin(math.pi * (t - 3.0) / 2.0) if 3.0 <= t < 5.0 else 0.0)

    for u, reps in ((late, 0), (early, 1)):
        frames = _flat(pushup_frames(u, 17.0))
        _, events = run(itertools.chain(frames, empty_frames(3.0, 117.0)))
        assert events[-1]["event_type"] == "set_ended"
        assert events[-1]["reps"] == reps, (reps, types(events))


def _stepping(duration: float, t0: float, swing: float) -> Iterator[Features]:
    """Someone walking about the mat before getting down: the load rises and falls with
    each step by `swing` of the body's weight (no push-up pattern in it)."""
    for i in range(int(duration * 50)):
        t = i / 50
        yield Features(
            t=t0 + t,
            load_n=700.0 * (1.0 + swing * math.sin(2 * math.pi * t)),
            cop=None,
            contacts=[],
        )


@pytest.mark.parametrize("step_swing,reps", [(0.06, 0), (0.0, 1)])
def test_breathing_as_deep_as_a_shallow_rep_is_none_on_a_mat_whose_load_moves(
    step_swing: float, reps: int
) -> None:
    """Held out 19's case 74: a plank whose breathing swings u 0.042 at 0.35 Hz, the load
    flat through it, as deep as a shallow rep. Where the mat's load has been seen to rise and
    fall with the person's steps, a rep would heave too: no rep. On a mat whose load has
    never moved the first deep swing is still counted (a flat mat's first rep)."""

    def breathing(t: float) -> float:
        return (
            0.66 + 0.021 * (1.0 - math.cos(2.0 * math.pi * 0.35 * (t - 2.0))) if t > 2.0 else 0.66
        )

    frames = itertools.chain(
        _stepping(4.0, 95.0, step_swing),
        _flat(pushup_frames(breathing, 12.0)),
        empty_frames(3.0, 112.0),
    )
    _, events = run(frames)
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert len(ended) == 1, types(events)
    assert (ended[0]["reps"] > 0) == (reps > 0), types(events)


def _two_flat_sets(first, then, then_s: float) -> list[dict]:
    """A set of 15 s, 5 s of empty mat, then one of `then_s`, the load flat: their ends."""
    frames = itertools.chain(
        _flat(pushup_frames(first, 15.0)),
        empty_frames(5.0, 115.0),
        _flat(pushup_frames(then, then_s, t0=130.0)),
        empty_frames(3.0, 130.0 + then_s),
    )
    _, events = run(frames)
    return [e for e in events if e["event_type"] == "set_ended"]


def test_a_plank_breathing_on_a_mat_known_to_be_flat_is_no_set_of_reps() -> None:
    """Once a flat mat's reps have shown that its load never heaves, a plank's breathing
    (u swaying 0.025 at 0.3 Hz) is not a rep either: a set's first rep still has to swing
    like one. (A flat mat's "heave" matched its reps' and let every sway count.)"""
    reps = rep_u(0.66, 0.07, reps=5, period=2.0, start=3.0)

    def breathing(t: float) -> float:
        return 0.66 + 0.0125 * (1.0 - math.cos(2.0 * math.pi * 0.3 * t))

    ended = _two_flat_sets(reps, breathing, 25.0)
    assert [(e["kind"], e["reps"]) for e in ended] == [("pushup", 5), ("plank", 0)], ended


def test_a_rep_paused_at_the_bottom_counts_before_a_flat_mat_is_known() -> None:
    """With the load flat, the set's first two reps are counted as deep heaveless swings
    soon after it formed; a third like them, held 2 s at the bottom, is one as well, though
    a first rep that slow could be a pike."""

    def u(t: float) -> float:
        if t < 7.0:
            return rep_u(0.66, 0.07, reps=2, period=2.0, start=3.0)(t)
        if t < 8.0:
            return 0.66 + 0.07 * _ramp(t, 7.0, 1.0)
        if t < 10.0:
            return 0.73
        return 0.73 - 0.07 * _ramp(t, 10.0, 1.0)

    frames = _flat(pushup_frames(u, 15.0))
    _, events = run(itertools.chain(frames, empty_frames(3.0, 115.0)))
    assert events[-1]["event_type"] == "set_ended"
    assert events[-1]["reps"] == 3, types(events)


@pytest.mark.parametrize("then_depth,then_reps", [(0.03, 6), (0.02, 0)])
def test_a_flat_mats_first_rep_may_be_as_shallow_as_its_last_sets(
    then_depth: float, then_reps: int
) -> None:
    """A flat mat whose last set's reps swung u 0.045 (a sensor that squeezes u): the next
    set's reps, at 0.03, are counted from the first; a plank swaying 0.02 (breathing) is
    still no rep."""
    first = rep_u(0.66, 0.045, reps=5, period=2.0, start=3.0)
    then = rep_u(0.66, then_depth, reps=6, period=2.0, start=3.0)
    ended = _two_flat_sets(first, then, 18.0)
    assert [e["reps"] for e in ended] == [5, then_reps], ended


def test_a_deep_slow_first_rep_long_after_the_set_formed_counts_on_a_flat_load() -> None:
    """Held 10 s in a plank, then a first rep of 0.09 with a 2 s pause at the bottom (3.8 s
    in all), the load flat: deeper than a pike or a shift of weight moves u, so it is a rep,
    and the set's next reps follow it."""

    def u(t: float) -> float:
        if t < 10.0 or t >= 13.8:
            return rep_u(0.66, 0.09, reps=3, period=2.0, start=13.8)(t)
        if t < 10.9:
            return 0.66 + 0.09 * _ramp(t, 10.0, 0.9)
        return 0.75 - 0.09 * _ramp(t, 12.9, 0.9)

    frames = _flat(pushup_frames(u, 22.0))
    _, events = run(itertools.chain(frames, empty_frames(3.0, 122.0)))
    assert events[-1]["event_type"] == "set_ended"
    assert events[-1]["reps"] == 4, types(events)


def test_hips_coming_back_up_in_a_sagging_plank_are_no_rep() -> None:
    """A plank sags 0.04 (the palms rolled toward the wrists) for 8 s; the hips come back up
    to the baseline and, getting off, drop again: u swings by the sag's depth, no further
    than the plank was held. That is no rep."""

    def sag(t: float) -> float:
        return 0.04 * _ramp(t, 6.0, 0.3) * (1.0 - _ramp(t, 14.0, 0.4) + _ramp(t, 15.5, 0.3))

    u = rep_u(0.66, 0.07, reps=0, period=2.0, start=100, sag=sag)
    frames = pushup_frames(u, 16.5, hand_shift=lambda t: 250.0 * sag(t))
    _, events = run(itertools.chain(frames, empty_frames(3.0, 116.5)))
    assert "sag_started" in types(events)
    assert "rep" not in types(events)
    assert events[-1]["reps"] == 0


def _one_palm_up(frames, t0: float, t1: float) -> list:
    """The frames with the second palm in the air from t0 to t1."""
    out = []
    for f in frames:
        if t0 <= f.t < t1:
            h1, _h2, s1, s2 = f.contacts
            f = type(f)(t=f.t, load_n=f.load_n, cop=f.cop, contacts=[h1, s1, s2])
        out.append(f)
    return out


def test_a_palm_lifted_for_two_seconds_does_not_end_the_set() -> None:
    """One-arm plank for 2 s mid-set (longer than pattern_gone_s): the other palm, where it
    was, carries the set, though the palms' middle has jumped by half the hands' gap."""
    u = rep_u(0.66, 0.07, reps=3, period=2.0, start=2.0)
    frames = _one_palm_up(pushup_frames(u, 14.0), 108.0, 110.0)
    _, events = run(itertools.chain(frames, empty_frames(3.0, 114.0)))
    assert types(events).count("set_started") == 1, types(events)
    assert events[-1]["event_type"] == "set_ended" and events[-1]["reps"] == 3


def test_what_was_not_seen_while_a_palm_was_up_does_not_count_toward_a_sag() -> None:
    """Getting off after the last rep: u drops 0.035 at the top, a palm goes up for 0.2 s
    and comes down, u stays low for 0.6 s, and the person is gone. u alone would need 0.6 s
    of a low top *seen*; the time the palm was up (and u settled after it) is not seen."""
    reps = rep_u(0.66, 0.07, reps=4, period=2.0, start=3.0)

    def u(t: float) -> float:
        return reps(t) - 0.035 * _ramp(t, 12.0, 0.1)

    frames = _one_palm_up(pushup_frames(u, 13.4), 112.2, 112.4)
    _, events = run(itertools.chain(frames, empty_frames(3.0, 113.4)))
    assert "sag_started" not in types(events), types(events)
    assert events[-1]["reps"] == 4


def test_a_low_top_timed_before_a_wild_swing_does_not_make_a_sag_after_it() -> None:
    """Getting off: the top sinks 0.04, then u is thrown toward the palms faster than any
    rep and stays there. The low top's time ran out of sight while u was wild: no sag."""
    reps = rep_u(0.66, 0.07, reps=4, period=2.0, start=3.0)

    def u(t: float) -> float:
        return reps(t) - 0.04 * _ramp(t, 12.0, 0.15) + 0.12 * _ramp(t, 12.3, 0.2)

    frames = pushup_frames(u, 13.8)
    _, events = run(itertools.chain(frames, empty_frames(3.0, 113.8)))
    assert "sag_started" not in types(events), types(events)
    assert events[-1]["reps"] == 4


def test_a_rep_a_sag_hides_from_u_is_counted_from_the_load() -> None:
    """Shallow reps (0.04 in u, 1.4 s down and up, 0.6 s at the top) and a 0.04 sag setting
    in on the sixth rep's way down: u hardly moves through that rep, but the body still
    went down and up, and the load's heave shows it. SIGNALS.md: each full down-and-up
    cycle is a rep."""
    onset = 3.0 + 5 * 2.0 + 0.2

    def sag(t: float) -> float:
        return 0.04 * _ramp(t, onset, 0.5)

    def body(t: float) -> float:
        k = t - 3.0
        if 0 <= k < 8 * 2.0 and k % 2.0 < 1.4:
            return 0.04 * 0.5 * (1 - math.cos(2 * math.pi * (k % 2.0) / 1.4))
        return 0.0

    def u(t: float) -> float:
        return 0.66 + body(t) - sag(t)

    # (the palms roll little for so deep a sag: the sag added back to u falls far short)
    frames = pushup_frames(
        u, 22.0, hand_shift=lambda t: 120.0 * sag(t), centre_follows=0.3, heave_of=body
    )
    _, events = run(itertools.chain(frames, empty_frames(3, 122)))
    reps_told = [e for e in events if e["event_type"] == "rep"]
    assert [e["n"] for e in reps_told] == list(range(1, 9)), types(events)
    assert [e.get("by_load", False) for e in reps_told].count(True) == 1
    assert "sag_started" in types(events)
    assert events[-1]["reps"] == 8


def test_a_partial_rep_that_heaves_less_than_a_fixed_share_but_like_this_mats_reps_counts() -> None:
    """Knee push-ups on a mat whose reps heave the load by ~7%: a partial rep (0.022 in u,
    a third of the usual depth) heaves it by ~3.5%, under `rep_min_load_swing` (4%) but a
    good share of what this mat's reps show. It is a rep (partial)."""
    full = rep_u(0.52, 0.065, reps=6, period=2.0, start=3.0)
    part = rep_u(0.52, 0.022, reps=1, period=1.4, start=16.0)

    def u(t: float) -> float:
        return full(t) if t < 15.5 else part(t)

    def height(t: float) -> float:
        return 0.45 * (u(t) - 0.52) if t < 15.5 else 0.33 * (u(t) - 0.52)

    frames = pushup_frames(u, 20.0, knees=True, length_mm=800, heave_of=height)
    _, events = run(itertools.chain(frames, empty_frames(3.0, 120.0)))
    reps = [e for e in events if e["event_type"] == "rep"]
    assert len(reps) == 7, types(events)
    assert reps[-1]["partial"] is True


def test_a_pike_right_after_the_baseline_does_not_teach_the_palms_a_false_roll() -> None:
    """Hips piked 0.045 high for 4 s straight after the first two reps, the palms rolled
    8 mm toward the fingers meanwhile. Read as a long way down at first, its frames must not
    teach the palms' good-form line that the palms roll 8 mm per 0.045 of u: the reps that
    follow would then look like palms rolled toward the wrists. No sag in this set."""

    def pike(t: float) -> float:
        return -0.045 * _ramp(t, 7.4, 0.3) * (1.0 - _ramp(t, 11.4, 0.3))

    u = rep_u(0.66, 0.07, reps=2, period=2.0, start=3.0, sag=pike)
    later = rep_u(0.66, 0.07, reps=6, period=2.0, start=12.5)

    def both(t: float) -> float:
        return u(t) if t < 12.5 else later(t)

    def body(t: float) -> float:  # the reps move the body up and down; the pike hardly
        return both(t) + pike(t)

    frames = pushup_frames(both, 27.0, hand_shift=lambda t: 180.0 * pike(t), heave_of=body)
    _, events = run(itertools.chain(frames, empty_frames(3.0, 127.0)))
    assert "sag_started" not in types(events), types(events)
    assert events[-1]["reps"] == 8, types(events)


def test_whole_reps_a_squeezing_mat_shows_shallower_than_breathing_still_count() -> None:
    """Palms near the cells' saturation squeeze u's swing: full reps (the load heaving as
    much as ever) read 0.017 in u, then 0.0135, under `rep_min_depth_u`. Breathing sways u
    as much but never heaves the load; these are reps."""
    first = rep_u(0.63, 0.017, reps=4, period=2.0, start=3.0)
    then = rep_u(0.63, 0.0135, reps=4, period=2.0, start=11.0)
    body = rep_u(0.63, 0.07, reps=8, period=2.0, start=3.0)

    def u(t: float) -> float:
        return first(t) if t < 11.0 else then(t)

    frames = pushup_frames(u, 22.0, heave_of=body)
    _, events = run(itertools.chain(frames, empty_frames(3.0, 122.0)))
    assert events[-1]["event_type"] == "set_ended"
    assert events[-1]["reps"] == 8, types(events)


def test_partial_reps_as_a_sag_eases_are_counted_each_with_the_sag_added_back() -> None:
    """Reps 0.07 deep (2 s down and up, 0.5 s at the top); a 0.035 sag (palms rolled 12 mm)
    from the fourth rep on eases while a partial rep of 0.035 is on its way up, and another
    partial follows. In u alone the hips coming up fill the partial's way back, and the two
    partials read as one long rep. SIGNALS.md: each down-and-up cycle is a rep; a sag
    shifts the palms' CoP as well as u."""
    period = 2.5
    onset, ease = 3.0 + 3 * period + 0.1, 3.0 + 6 * period + 1.1

    def sag(t: float) -> float:
        return 0.035 * (_ramp(t, onset, 0.4) - _ramp(t, ease, 0.4))

    def body(t: float) -> float:
        k = (t - 3.0) / period
        if not 0 <= k < 8:
            return 0.0
        depth = 0.07 if k < 6 else 0.035
        x = min((k % 1) * period / 2.0, 1.0)
        return depth * 0.5 * (1 - math.cos(2 * math.pi * x))

    frames = pushup_frames(
        lambda t: 0.66 + body(t) - sag(t),
        26.0,
        hand_shift=lambda t: 12.0 * sag(t) / 0.035,
        centre_follows=0.3,
        heave_of=body,
    )
    _, events = run(itertools.chain(frames, empty_frames(3, 126)))
    reps_told = [e for e in events if e["event_type"] == "rep"]
    assert len(reps_told) == 8, types(events)
    assert [e["partial"] for e in reps_told] == [False] * 6 + [True] * 2
    assert all(abs(e["depth"] - 0.035) < 0.005 for e in reps_told[6:])
    assert "sag_started" in types(events) and "sag_ended" in types(events)


def test_dropping_to_the_mat_after_the_last_rep_is_no_rep() -> None:
    """Six reps, a pause at the top, then the body drops onto the mat: u swings 0.1 in
    0.15 s (faster than any push-up lowers a body) and back in 0.45 s, and the pattern is
    gone half a second later. SIGNALS.md: a rep is a cycle of the push-up, not leaving it."""
    reps = rep_u(0.66, 0.06, reps=6, period=2.0, start=3.0)
    drop_t = 3.0 + 6 * 2.0 + 1.0

    def drop(t: float) -> float:
        x = t - drop_t
        if 0 <= x < 0.15:
            return 0.05 * (1 - math.cos(math.pi * x / 0.15))
        if 0.15 <= x < 0.6:
            return 0.05 * (1 + math.cos(math.pi * (x - 0.15) / 0.45))
        return 0.0

    frames = pushup_frames(
        lambda t: reps(t) + drop(t),
        drop_t + 1.1,
        heave_of=lambda t: reps(t) + 0.05 * drop(t),  # the load heaves too, but less
    )
    _, events = run(itertools.chain(frames, empty_frames(3, 100 + drop_t + 1.1)))
    assert types(events).count("rep") == 6, types(events)
    assert events[-1]["event_type"] == "set_ended" and events[-1]["reps"] == 6


def test_the_palms_line_learnt_from_the_reps_is_taken_up_at_a_top_not_mid_rep() -> None:
    """The palms roll 2.5 mm toward the fingers at each rep's bottom. The line that says so
    is learnt as the reps go on; taken up mid-rep it would re-judge that rep's palms on the
    spot, against a line they were never read by (a false sag in a good-form set)."""
    u = rep_u(0.66, 0.06, reps=12, period=2.0, start=5.0)
    frames = pushup_frames(u, 30.0, hand_shift=lambda t: -2.5 * (u(t) - 0.66) / 0.06)
    det = Detector(DetectorConfig())
    fit, changes, events = None, [], []
    for f in itertools.chain(frames, empty_frames(3, 130)):
        events += det.update(f)
        if det._hand_fit != fit and fit is not None:
            changes.append((f.t, det._going_down))
        fit = det._hand_fit
    assert len(changes) > 10  # the line is refined rep after rep
    assert not [c for c in changes if c[1]], changes
    assert "sag_started" not in types(events)
    assert types(events).count("rep") == 12


def test_a_sag_setting_in_as_a_rep_comes_up_is_told_while_u_falls_through_the_top() -> None:
    """Reps 0.07 deep (2 s down and up, 0.5 s at the top); a 0.035 sag whose palms roll only
    5.5 mm sets in on the way up. u rushes back through the top and past the baseline: that
    top is still falling, so no top to judge (nor a pike's high top) until it settles, and
    the palms' evidence must carry on meanwhile. SIGNALS.md: sag_started within 0.6 s."""
    period = 2.5
    onset = 3.0 + 5 * period + 0.45 * 2.0

    def sag(t: float) -> float:
        return 0.035 * _ramp(t, onset, 0.45)

    def u(t: float) -> float:
        k = (t - 3.0) / period
        x = min((k % 1) * period / 2.0, 1.0) if 0 <= k < 8 else 0.0
        return 0.66 + 0.07 * 0.5 * (1 - math.cos(2 * math.pi * x)) - sag(t)

    frames = pushup_frames(u, 26.0, hand_shift=lambda t: 5.5 * sag(t) / 0.035, centre_follows=0.3)
    _, events = run(itertools.chain(frames, empty_frames(3, 126)))
    started = [e for e in events if e["event_type"] == "sag_started"]
    assert len(started) == 1, types(events)
    assert 100 + onset < started[0]["t"] <= 100 + onset + 0.6
    assert types(events).count("rep") == 8


def test_a_heaving_sagging_plank_after_a_set_of_reps_is_no_rep_and_no_crash() -> None:
    """A set of reps teaches the mat's usual heave; the next set is a plank whose hips sag
    while the body bobs (the load dips, peaks and dips as in a rep, u stays put). Counting
    reps from the load matches a cycle against the set's own reps: a plank has none."""
    reps = pushup_frames(rep_u(0.66, 0.06, reps=8, period=2.0, start=3.0), 22.0)

    def sag(t: float) -> float:
        return 0.03 * _ramp(t, 4.0, 0.4)

    def bob(t: float) -> float:  # the body's height: up and down 0.04, every 2 s
        return 0.02 * (1 - math.cos(math.pi * max(t - 5.0, 0.0))) if t > 5.0 else 0.0

    plank = pushup_frames(
        lambda t: 0.66 - sag(t),
        16.0,
        t0=130.0,
        hand_shift=lambda t: 10.0 * sag(t) / 0.03,
        centre_follows=0.3,
        heave_of=bob,
    )
    _, events = run(itertools.chain(reps, empty_frames(3, 122), plank, empty_frames(3, 146)))
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [8, 0], types(events)
    assert "sag_started" in types(events)


def _fifth_rep_shown_as(body, shown_u: float):
    """u for reps 2 s apart from t = 3 s whose fifth, 0.03 deep in `body`, shows only
    `shown_u` in u (the cells squeeze it); the load still heaves with `body`."""

    def u(t: float) -> float:
        k = (t - 3.0) / 2.0
        return 0.66 + (body(t) * shown_u / 0.03 if 4 <= k < 5 else body(t))

    return u


def _half_fifth_rep(t: float) -> float:
    """The body's height: eight reps 0.06 deep, 2 s each from t = 3 s, the fifth half as deep."""
    k = (t - 3.0) / 2.0
    if not 0 <= k < 8:
        return 0.0
    depth = 0.03 if 4 <= k < 5 else 0.06
    return depth * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))


def _half_fifth_rep_shown_as(shown_u: float) -> list[dict]:
    """The reps told of `_half_fifth_rep`, its fifth rep showing only `shown_u` in u."""
    u = _fifth_rep_shown_as(_half_fifth_rep, shown_u)
    frames = pushup_frames(u, 22.0, heave_of=_half_fifth_rep)
    _, events = run(itertools.chain(frames, empty_frames(3, 122)))
    return [e for e in events if e["event_type"] == "rep"]


def test_a_partial_rep_that_shows_little_in_u_but_heaves_like_half_a_rep_counts() -> None:
    """Reps 0.06 deep; the fifth goes half way down, but the cells (palms near saturation)
    show it as 0.013 in u, under `rep_min_depth_u`. The load heaves as half a rep does, far
    more than any breathing: SIGNALS.md counts each down-and-up cycle, partial ones too."""
    reps_told = _half_fifth_rep_shown_as(0.013)
    assert len(reps_told) == 8, [e["t"] for e in reps_told]
    assert [e["partial"] for e in reps_told] == [False] * 4 + [True] + [False] * 3


def test_a_slow_partial_rep_that_shows_under_heaved_min_u_counts() -> None:
    """Reps 0.06 deep, 2 s each; the fifth goes 0.03 down and up over 1.5 s, but the cells
    (palms near saturation) show it as 0.0095 in u: the shallowest partial rep (0.02 of a
    0.055 rep) can read that little on a mat that squeezes. It heaved the load as half a
    rep does, far more than breathing: a rep, though under HEAVED_MIN_U."""

    def body(t: float) -> float:
        k = (t - 3.0) / 2.0
        if not 0 <= k < 8:
            return 0.0
        if 4 <= k < 5:
            s = (t - 11.0) / 1.5
            return 0.03 * 0.5 * (1 - math.cos(2 * math.pi * s)) if s < 1 else 0.0
        return 0.06 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))

    u = _fifth_rep_shown_as(body, 0.0095)
    _, events = run(itertools.chain(pushup_frames(u, 22.0, heave_of=body), empty_frames(3, 122)))
    reps_told = [e for e in events if e["event_type"] == "rep"]
    assert len(reps_told) == 8, types(events)
    assert reps_told[4]["partial"] is True
    assert reps_told[4]["depth"] < 0.012


def test_a_partial_rep_that_barely_moves_u_counts_by_its_heave_with_good_form() -> None:
    """Reps 0.06 deep; the fifth goes half way down, but the cells show it as 0.006 in u,
    under the rise that leaves the top: u alone never sees it go. Its load heaves as half a
    rep does, with a rep's timing, and u moved with it: a partial rep (SIGNALS.md counts
    each down-and-up cycle)."""
    reps_told = _half_fifth_rep_shown_as(0.006)
    assert len(reps_told) == 8, [e["t"] for e in reps_told]
    assert reps_told[4]["partial"] is True and reps_told[4].get("by_load") is True
    assert abs(reps_told[4]["t"] - 113.6) < 1.5


def test_a_heave_u_does_not_move_with_is_no_rep() -> None:
    """The same set, but at the fifth rep u holds still while the load heaves: the body
    did not go down. Whatever shook the load (a knock on the mat), it is no rep."""
    assert len(_half_fifth_rep_shown_as(0.0)) == 7


def test_sagging_hips_that_bob_as_little_as_a_squeezed_partial_rep_are_no_rep() -> None:
    """Six reps 0.06 deep; the hips sag 0.03 and a seventh rep is done sagging; then, at the
    top, the hips bob twice by 0.009 in u over 1.5 s, heaving the load about half as much as
    a rep (as a squeezed partial rep does, and too little for a rep told by the load alone).
    Sagging hips bob: only a swing past HEAVED_MIN_U counts while a sag is on."""

    def sag(t: float) -> float:
        return 0.03 * _ramp(t, 15.2, 0.4)

    def body(t: float) -> float:
        k = (t - 3.0) / 2.0
        if 0 <= k < 6:
            return 0.06 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
        if 17.0 <= t < 19.0:
            return 0.06 * 0.5 * (1 - math.cos(math.pi * (t - 17.0)))
        if 19.5 <= t < 22.5:
            return 0.0088 * 0.5 * (1 - math.cos(2 * math.pi * (t - 19.5) / 1.5))
        return 0.0

    frames = pushup_frames(
        lambda t: 0.66 + body(t) - sag(t),
        25.0,
        heave_of=lambda t: body(t) if t < 19.5 else 1.8 * body(t),
    )
    _, events = run(itertools.chain(frames, empty_frames(3, 125)))
    assert "sag_started" in types(events)
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [7], types(events)


def _sag_as_the_load_goes(load_share: float) -> list[str]:
    """Five reps, then u's top 0.03 lower and the palms 10 mm toward the wrists (a sag's two
    signs), just after the mat's load fell to `load_share` of the body's."""
    reps = rep_u(0.66, 0.06, reps=5, period=2.0, start=3.0)

    def u(t: float) -> float:
        return reps(t) - 0.03 * _ramp(t, 13.5, 0.3)

    def share(t: float) -> float:
        return 1.0 - (1.0 - load_share) * _ramp(t, 13.0, 0.4)

    frames = [
        dataclasses.replace(f, load_n=f.load_n * share(f.t - 100.0))
        for f in pushup_frames(u, 16.0, hand_shift=lambda t: 10.0 * _ramp(t, 13.5, 0.3))
    ]
    _, events = run(itertools.chain(frames, empty_frames(3, 116)))
    return types(events)


def test_a_sags_signs_as_the_weight_comes_off_the_mat_are_no_sag() -> None:
    """Getting up off the mat takes the body's weight off it (the load falls by 40% in
    0.4 s, where a rep's heave moves it 5-15%): the palms and u moving meanwhile say nothing
    of the hips. With the weight kept on, the same signs are a sag."""
    assert "sag_started" not in _sag_as_the_load_goes(0.6)
    assert "sag_started" in _sag_as_the_load_goes(1.0)


def _knees_down(frames, t0: float, t1: float):
    """The frames with both knees set down from t0 to t1 (s after the start): 0.45 m ahead
    of the toes, taking as much as a palm, so there is no push-up pattern."""
    for f in frames:
        if t0 <= f.t - 100.0 < t1:
            knees = [contact(800.0, 400.0 + s * 120, 250.0, 150.0, 120.0, 80.0) for s in (1, -1)]
            f = Features(t=f.t, load_n=f.load_n + 500.0, cop=f.cop, contacts=f.contacts + knees)
        yield f


def test_a_swing_just_before_the_knees_touch_down_for_a_rest_is_no_rep() -> None:
    """Four reps, then the person sinks a little and drops to the knees for a rest: the
    pattern goes 0.1 s after u is back near the top, for 0.75 s. That swing was the way down to the
    knees, not a rep, even though the set goes on after the rest (three more reps)."""

    def body(t: float) -> float:
        k = (t - 3.0) / 2.0
        if 0 <= k < 4 or 6 <= k < 9:
            return 0.06 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
        if 11.0 <= t < 12.4:
            return 0.03 * 0.5 * (1 - math.cos(2 * math.pi * (t - 11.0) / 1.4))
        return 0.0

    u = lambda t: 0.66 + body(t)  # noqa: E731
    frames = _knees_down(pushup_frames(u, 22.0, heave_of=body), 12.25, 13.0)
    _, events = run(itertools.chain(frames, empty_frames(3, 122)))
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [7], types(events)
    told = [round(e["t"] - 100.0) for e in events if e["event_type"] == "rep"]
    assert told == [5, 7, 9, 11, 17, 19, 21]


def test_a_knee_rest_in_a_sag_keeps_the_palms_reference_and_the_rep_the_sag_ends_in() -> None:
    """Four good reps, then the hips sag (u 0.03 lower, the palms 12 mm toward the wrists)
    for three reps with a rest on the knees between the first two, and the hips come back
    up as the last rep, a partial one, does. The palms never moved: their good-form place
    still holds after the rest, so the sag's part of u is still known, and the last rep
    (its way up hidden by the hips rising) counts."""

    def body(t: float) -> float:
        k = (t - 3.0) / 2.0
        if 0 <= k < 5 or 7 <= k < 9:
            depth = 0.03 if k >= 8 else 0.06
            return depth * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
        return 0.0

    def sag(t: float) -> float:
        return _ramp(t, 11.5, 0.3) * (1.0 - _ramp(t, 20.2, 0.4))

    u = lambda t: 0.66 + body(t) - 0.035 * sag(t)  # noqa: E731
    frames = _knees_down(
        pushup_frames(u, 23.0, heave_of=body, hand_shift=lambda t: 14.0 * sag(t)), 14.3, 15.1
    )
    _, events = run(itertools.chain(frames, empty_frames(3, 123)))
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [7], types(events)
    assert types(events).count("sag_started") == 1, types(events)
    told = [round(e["t"] - 100.0) for e in events if e["event_type"] == "rep"]
    assert told[-1] == 21, told


def test_a_sag_setting_in_the_rep_after_a_palm_is_put_down_is_not_learnt_as_its_place() -> None:
    """A palm lifted and put down where it was at a top, and the next rep begins as soon as
    it has settled, before the palm's new place is fully learnt; the hips sag on the way
    down and stay low for three more reps. The palm's place is not learnt on at full pace at
    the next top (where the palms have rolled with the sag): the sag is told by that top,
    not two reps later, and every rep counts."""
    first = rep_u(0.0, 0.06, reps=4, period=2.0, start=3.0)
    later = rep_u(0.0, 0.06, reps=4, period=2.0, start=12.2)

    def sag(t: float) -> float:
        return _ramp(t, 13.0, 0.2)

    u = lambda t: 0.66 + first(t) + later(t) - 0.02 * sag(t)  # noqa: E731
    frames = _one_palm_up(pushup_frames(u, 23.0, hand_shift=lambda t: 15.0 * sag(t)), 111.2, 111.8)
    _, events = run(itertools.chain(frames, empty_frames(3, 123)))
    assert types(events).count("sag_started") == 1, types(events)
    sag_at = next(e["t"] for e in events if e["event_type"] == "sag_started") - 100.0
    assert sag_at < 15.0, sag_at
    assert events[-1]["event_type"] == "set_ended" and events[-1]["reps"] == 8, types(events)


@pytest.mark.parametrize("period,counted", [(1.8, True), (0.6, False)])
def test_a_partial_rep_a_third_deep_heaving_a_third_counts_if_it_takes_a_reps_time(
    period: float, counted: bool
) -> None:
    """Five reps 0.06 deep, a partial one a third as deep whose load heaves only about a
    third as much as theirs (under the 0.04 a shallow rep needs by itself), then three
    more. Taking 1.8 s, like a rep, it counts as a partial rep; over in 0.6 s with the same
    heave it is a bob, no rep."""
    k_partial = 0.58 * (period / 1.8) ** 2  # the same heave at either pace

    def shape(t: float) -> tuple[float, float]:
        # (the body's height for the heave, u's swing)
        if 3.0 <= t < 14.0:
            k = (t - 3.0) / 2.2
            y = 0.06 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
            return y, y
        if 14.2 <= t < 14.2 + period:
            y = 0.02 * 0.5 * (1 - math.cos(2 * math.pi * (t - 14.2) / period))
            return k_partial * y, y
        if 16.4 <= t < 23.0:
            k = (t - 16.4) / 2.2
            y = 0.06 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
            return y, y
        return 0.0, 0.0

    u = lambda t: 0.66 + shape(t)[1]  # noqa: E731
    frames = pushup_frames(u, 25.0, heave_of=lambda t: shape(t)[0])
    _, events = run(itertools.chain(frames, empty_frames(3, 125)))
    reps = [e for e in events if e["event_type"] == "rep"]
    assert len(reps) == (9 if counted else 8), types(events)
    partial = [round(e["t"] - 100.0) for e in reps if e["partial"]]
    assert partial == ([16] if counted else []), partial


def test_partial_reps_as_a_sag_with_little_palm_roll_ends_are_each_counted() -> None:
    """Five reps 0.09 deep, then the hips sag 0.035 in u while the palms roll only 8 mm
    (more u per mm than most): three reps in the sag, a partial one a third as deep whose
    way up is the hips coming back up, another partial one, and two whole reps. The palms'
    roll is read against u's drop at the sag's tops, and the top follows what that
    teaches: each partial rep is one."""

    def body(t: float) -> float:
        if 3.0 <= t < 19.0:
            k = (t - 3.0) / 2.0
            return 0.09 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
        if 19.4 <= t < 23.4:
            k = (t - 19.4) / 2.0
            return 0.028 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
        if 23.6 <= t < 27.6:
            k = (t - 23.6) / 2.0
            return 0.09 * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
        return 0.0

    def sag(t: float) -> float:
        return _ramp(t, 13.0, 0.3) * (1.0 - _ramp(t, 20.6, 0.3))

    u = lambda t: 0.66 + body(t) - 0.035 * sag(t)  # noqa: E731
    frames = pushup_frames(u, 30.0, heave_of=body, hand_shift=lambda t: 8.0 * sag(t))
    _, events = run(itertools.chain(frames, empty_frames(3, 130)))
    reps = [e for e in events if e["event_type"] == "rep"]
    assert len(reps) == 12, [(round(e["t"] - 100, 1), e["depth"]) for e in reps]
    assert [round(e["t"] - 100.0) for e in reps if e["partial"]] == [22, 23], reps
    assert types(events).count("sag_started") == 1, types(events)


def _knees_touch_at_the_top(frames, body):
    """Knee push-ups with the feet down behind the knees; near each top the two knees
    touch and read as one patch."""
    for f in frames:
        h1, h2, k1, k2 = f.contacts
        feet = [
            contact(k1.centroid[0] - 300.0, k.centroid[1], 30.0, 40.0, 60.0, 50.0) for k in (k1, k2)
        ]
        if body(f.t - 100.0) < 0.01:
            area = k1.area_cm2 + k2.area_cm2
            x = (k1.centroid[0] + k2.centroid[0]) / 2
            y = (k1.centroid[1] + k2.centroid[1]) / 2
            knees = [contact(x, y, k1.load_n + k2.load_n, area, 350.0, 300.0)]
        else:
            knees = [k1, k2]
        cs = [h1, h2, *knees, *feet]
        total = sum(c.load_n for c in cs)
        cop = (
            sum(c.cop[0] * c.load_n for c in cs) / total,
            sum(c.cop[1] * c.load_n for c in cs) / total,
        )
        yield Features(t=f.t, load_n=total, cop=cop, contacts=cs)


def test_knees_that_touch_at_each_top_do_not_move_u() -> None:
    """Eight knee push-ups 0.05 deep in u with the feet down behind the knees, the knees
    touching near each top so that they read as one patch there and as two below. Where u
    is measured from stays put: eight reps, each as deep as it was, and no sag."""
    body = rep_u(0.0, 0.05, reps=8, period=2.2, start=3.0)
    u = lambda t: 0.53 + body(t)  # noqa: E731
    frames = pushup_frames(u, 23.0, knees=True, length_mm=800, heave_of=body)
    frames = _knees_touch_at_the_top(frames, body)
    _, events = run(itertools.chain(frames, empty_frames(3, 123)))
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [8], types(events)
    depths = [e["depth"] for e in events if e["event_type"] == "rep"]
    assert all(0.045 <= d <= 0.055 for d in depths), depths
    assert "sag_started" not in types(events), types(events)


def test_toes_back_where_the_reps_were_after_a_knee_rest_carry_the_set_on() -> None:
    """Four reps, then a rest on the knees: as the knees first touch down they are light
    and small like toes, and the support's anchor is pulled toward them; then they take
    the load (the pattern is gone), and after 0.9 s the person is back on the toes, 30 mm
    behind where they were, for three more reps. The toes are back where the reps were
    done: one set of seven reps, not two."""
    body = rep_u(0.0, 0.06, reps=4, period=2.0, start=3.0)
    after = rep_u(0.0, 0.06, reps=3, period=2.0, start=14.5)

    def rest_on_the_knees(frames):
        for f in frames:
            t = f.t - 100.0
            h1, h2, s1, s2 = f.contacts
            support = sum(c.load_n for c in (s1, s2))
            if 11.5 <= t < 11.7:  # the knees touch down, light and small
                knees = [
                    contact(800.0, s.centroid[1], support / 4, 40.0, 50.0, 40.0) for s in (s1, s2)
                ]
                toes = [dataclasses.replace(s, load_n=s.load_n / 2) for s in (s1, s2)]
                cs = [h1, h2, *toes, *knees]
            elif 11.7 <= t < 12.6:  # resting on the knees
                knees = [
                    contact(800.0, s.centroid[1], support / 2, 250.0, 200.0, 100.0)
                    for s in (s1, s2)
                ]
                cs = [h1, h2, *knees]
            elif t >= 12.6:  # back on the toes, a little further back
                cs = [h1, h2] + [
                    dataclasses.replace(
                        s,
                        centroid=(s.centroid[0] - 30.0, s.centroid[1]),
                        cop=(s.cop[0] - 30.0, s.cop[1]),
                    )
                    for s in (s1, s2)
                ]
            else:
                cs = [h1, h2, s1, s2]
            total = sum(c.load_n for c in cs)
            cop = (
                sum(c.cop[0] * c.load_n for c in cs) / total,
                sum(c.cop[1] * c.load_n for c in cs) / total,
            )
            yield Features(t=f.t, load_n=total, cop=cop, contacts=cs)

    u = lambda t: 0.66 + body(t) + after(t)  # noqa: E731
    frames = rest_on_the_knees(pushup_frames(u, 22.0))
    _, events = run(itertools.chain(frames, empty_frames(3, 122)))
    ended = [e for e in events if e["event_type"] == "set_ended"]
    assert [e["reps"] for e in ended] == [7], types(events)


def test_palms_rolled_back_after_a_fast_drop_off_the_top_are_no_sag() -> None:
    """Five reps, then the person gets off: u is thrown 0.07 toward the palms in 0.1 s and
    held there for a second with the palms rolled 6 mm toward the wrists, then the
    pattern goes. What follows a swing faster than any rep, until the next top, says
    nothing about the hips: no sag."""
    body = rep_u(0.0, 0.08, reps=5, period=2.0, start=3.0)

    def u(t: float) -> float:
        return 0.66 + body(t) + 0.07 * _ramp(t, 14.0, 0.1)

    frames = pushup_frames(u, 15.2, heave_of=body, hand_shift=lambda t: 6.0 * _ramp(t, 14.05, 0.15))
    _, events = run(itertools.chain(frames, empty_frames(3, 115.2)))
    assert "sag_started" not in types(events), types(events)
    assert events[-1]["event_type"] == "set_ended" and events[-1]["reps"] == 5, types(events)


def test_palms_that_roll_less_on_the_third_rep_than_on_the_first_two_are_no_sag() -> None:
    """The palms roll 3.5 mm toward the fingers at the bottom of each of the first two
    reps, which are the baseline, not at all on the third, and as before on the three
    after it: mid-rep on the third they sit 3.5 mm toward the wrists of the line the two
    reps taught, for half a second. A line from two reps is not held against a lesser
    shift than one that alone starts a sag: no sag."""
    body = rep_u(0.0, 0.07, reps=6, period=2.0, start=3.0)

    def roll(t: float) -> float:
        return 0.0 if 7.0 <= t < 9.0 else -50.0 * body(t)

    u = lambda t: 0.66 + body(t)  # noqa: E731
    frames = pushup_frames(u, 16.0, heave_of=body, hand_shift=roll)
    _, events = run(itertools.chain(frames, empty_frames(3, 116)))
    assert "sag_started" not in types(events), types(events)


def test_stepping_on_or_off_the_mat_is_not_its_load_moving_with_a_body() -> None:
    """Whether a mat shows the load move with a body's motion: a step rising and falling
    back by 6% is; the load ramping up as someone steps on one foot then the other, or
    dropping to nothing and back, is not; nor a flat load with noise on it."""
    from matd.detector.detector import LoadMotion

    def seen(loads: list[float]) -> bool:
        motion = LoadMotion()
        for i, load in enumerate(loads):
            motion.add(i / 50, load)
        return motion.seen

    def ramp(a: float, b: float, s: float) -> list[float]:
        n = int(s * 50)
        return [a + (b - a) * i / n for i in range(n)]

    step_on = ramp(0, 350, 0.5) + [350.0] * 50 + ramp(350, 700, 0.5) + [700.0] * 100
    off_and_on = [700.0] * 50 + ramp(700, 0, 0.3) + ramp(0, 700, 0.3) + [700.0] * 50
    noisy = [700.0 + 3.0 * math.sin(i * 1.7) for i in range(300)]
    steps = [700.0 * (1 + 0.06 * math.sin(2 * math.pi * i / 50)) for i in range(150)]
    assert not seen(step_on)
    assert not seen(off_and_on)
    assert not seen(noisy)
    assert seen(steps)


def test_the_sensor_creeping_under_a_long_plank_is_not_a_pikes_heave() -> None:
    """Held out 19's case 194: a plank held 12 s while the sensor creeps up 5%, then the
    hips piked 0.05 up for 3 s, u's swing with no heave in it. The load's heave was counted
    from the plank's top, so the creep before the pike made it heave like a rep. A rep's
    heave is its own: from just before u leaves the top."""

    def pike(t: float) -> float:
        if 12.0 <= t < 15.8:
            return 0.66 + 0.05 * min(1.0, (t - 12.0) / 0.4, (15.8 - t) / 0.4)
        return 0.66

    frames = [
        dataclasses.replace(f, load_n=f.load_n * (1.0 + 0.05 * (f.t - 100.0) / 15.0))
        for f in pushup_frames(pike, 18.0, heave_of=lambda t: 0.66)
    ]
    _, events = run(itertools.chain(frames, empty_frames(3.0, 118.0)))
    assert events[-1]["event_type"] == "set_ended", types(events)
    assert events[-1]["reps"] == 0, types(events)


def _palm_put_down_further(frames, t0: float, t1: float, forward_mm: float) -> list:
    """The second palm in the air from t0 to t1, then put down `forward_mm` further from the
    support; the body where it was, so the CoP is too and the palms take their share of the
    load by the longer lever."""
    out = []
    for f in frames:
        if t0 <= f.t < t1:
            h1, _h2, s1, s2 = f.contacts
            f = dataclasses.replace(f, contacts=[h1, s1, s2])
        elif f.t >= t1:
            h1, h2, s1, s2 = f.contacts
            hx = (h1.centroid[0] + h2.centroid[0]) / 2
            sx = (s1.centroid[0] + s2.centroid[0]) / 2
            hands = h1.load_n + h2.load_n
            share = (hx - sx) / (hx + forward_mm / 2 - sx)
            moved = dataclasses.replace(
                h2,
                centroid=(h2.centroid[0] + forward_mm, h2.centroid[1]),
                cop=(h2.cop[0] + forward_mm, h2.cop[1]),
                bbox=(h2.bbox[0] + forward_mm, h2.bbox[1] + forward_mm, *h2.bbox[2:]),
            )
            rest = f.load_n - hands * share
            support = s1.load_n + s2.load_n
            f = dataclasses.replace(
                f,
                contacts=[
                    dataclasses.replace(h1, load_n=h1.load_n * share),
                    dataclasses.replace(moved, load_n=h2.load_n * share),
                    dataclasses.replace(s1, load_n=s1.load_n * rest / support),
                    dataclasses.replace(s2, load_n=s2.load_n * rest / support),
                ],
            )
        out.append(f)
    return out


def test_a_palm_put_down_further_forward_in_knee_pushups_is_no_sag() -> None:
    """Held out 19's case 116: in knee push-ups a palm was lifted at a top and put down 6 cm
    further from the knees. The body is where it was, and so is the CoP, but the hands' share
    of the load (u, over the hands-to-knees length) fell 0.02: a sag was told. Measured
    against the length the set began with, u stays where it was."""
    u = rep_u(0.53, 0.06, reps=8, period=2.0, start=2.0)

    def held(t: float) -> float:  # a top held from 8 s to 10 s, the palm up in it
        return u(t) if t < 8.0 else (0.53 if t < 10.0 else u(t - 2.0))

    frames = pushup_frames(held, 22.0, knees=True, length_mm=700.0)
    moved = _palm_put_down_further(frames, 108.4, 108.9, 60.0)
    det = Detector(DetectorConfig())
    events: list[dict] = []
    tops: dict[str, float] = {}
    for f in itertools.chain(moved, empty_frames(3.0, 122.0)):
        events += det.update(f)
        for name, at in (("before", 108.0), ("after", 109.9)):
            if name not in tops and f.t >= at:
                tops[name] = det.u
    assert abs(tops["after"] - tops["before"]) < 0.004, tops
    assert "sag_started" not in types(events), types(events)
    assert events[-1]["event_type"] == "set_ended" and events[-1]["reps"] == 8, types(events)
