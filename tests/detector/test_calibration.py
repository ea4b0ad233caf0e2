"""The per-person calibration ("hold a good plank for 3 s") on a real Detector, fed
hand-built contacts whose u is known exactly."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Iterable, Iterator

import pytest

from matd.config import DetectorConfig
from matd.detector import Detector
from matd.detector.calibration import GIVE_UP_S, STEADY_RANGE_U, STEADY_S, PersonCalibration
from matd.features import Features

from .synthetic import empty_frames, pushup_frames, rep_u

ANNOUNCE_S = DetectorConfig().pattern_stable_s  # a steady pattern is a set after this


def breathing(top: float, amp: float, hz: float = 0.3) -> Callable[[float], float]:
    return lambda t: top + amp * math.sin(2 * math.pi * hz * t)


def run(
    frames: Iterable[Features], *, arm: bool = True
) -> tuple[Detector, PersonCalibration, list[dict], list[dict]]:
    """Every frame into the detector, then the calibration looks: (detector, calibration,
    the detector's events, the calibration's events)."""
    det = Detector(DetectorConfig())
    cal = PersonCalibration()
    if arm:
        cal.arm()
    events: list[dict] = []
    outcomes: list[dict] = []
    for f in frames:
        events += det.update(f)
        got = cal.observe(det)
        if got is not None:
            outcomes.append(got)
    return det, cal, events, outcomes


def test_a_steady_plank_on_the_toes_gives_its_median_u() -> None:
    # Breathing sways u by ±0.006: a steady plank all the same.
    frames = pushup_frames(breathing(0.662, 0.006), 12.0, t0=100.0)
    _, cal, events, outcomes = run(frames)
    assert [e["event_type"] for e in events] == ["set_started"]
    assert len(outcomes) == 1
    done = outcomes[0]
    assert done["event_type"] == "calibration_done"
    assert done["knees"] is False
    assert done["baseline_u"] == pytest.approx(0.662, abs=0.003)
    assert done["set_id"] == events[0]["set_id"]
    # Announced after a steady second, then held still for STEADY_S of device time.
    assert done["t"] == pytest.approx(100.0 + ANNOUNCE_S + STEADY_S, abs=0.1)
    assert {"t", "ts", "set_id"} <= set(done)
    assert not cal.armed  # once done, it watches no more


def test_a_knee_plank_is_calibrated_for_the_knees() -> None:
    frames = pushup_frames(breathing(0.53, 0.004), 10.0, knees=True, length_mm=800)
    _, _, events, outcomes = run(frames)
    assert events[0]["event_type"] == "set_started" and events[0]["knees"] is True
    assert [o["event_type"] for o in outcomes] == ["calibration_done"]
    assert outcomes[0]["knees"] is True
    assert outcomes[0]["baseline_u"] == pytest.approx(0.53, abs=0.003)


@pytest.mark.parametrize("facing,angle", [(-1, 0), (1, 15)])
def test_the_direction_the_person_faces_does_not_matter(facing: int, angle: float) -> None:
    frames = pushup_frames(breathing(0.65, 0.005), 10.0, facing=facing, angle_deg=angle)
    _, _, _, outcomes = run(frames)
    assert [o["event_type"] for o in outcomes] == ["calibration_done"]
    assert outcomes[0]["baseline_u"] == pytest.approx(0.65, abs=0.003)


def test_armed_on_an_empty_mat_it_waits_for_the_person() -> None:
    frames = itertools.chain(
        empty_frames(20.0, 80.0), pushup_frames(breathing(0.67, 0.005), 10.0, t0=100.0)
    )
    _, _, _, outcomes = run(frames)
    assert [o["event_type"] for o in outcomes] == ["calibration_done"]
    assert outcomes[0]["t"] == pytest.approx(100.0 + ANNOUNCE_S + STEADY_S, abs=0.1)


def test_settling_into_position_restarts_the_steady_window() -> None:
    # The hips come down from 0.72 to 0.66 over the first 3 s of the set: u moves more
    # than STEADY_RANGE_U, so the 3 steady seconds count from where it settled.
    def u(t: float) -> float:
        return 0.66 + 0.06 * max(0.0, 1.0 - max(t - 1.0, 0.0) / 3.0) if t >= 1.0 else 0.72

    _, _, events, outcomes = run(pushup_frames(u, 14.0, t0=100.0))
    assert events[0]["event_type"] == "set_started"
    assert [o["event_type"] for o in outcomes] == ["calibration_done"]
    done = outcomes[0]
    assert done["baseline_u"] == pytest.approx(0.66, abs=0.004)
    # Not before u came within the range of where it settled (about 2.5 s into the
    # descent), plus the steady seconds.
    assert done["t"] >= 100.0 + 1.0 + 3.0 * (1 - STEADY_RANGE_U / 0.06) + STEADY_S - 0.05


def without_a_palm(frames: Iterable[Features], start: float, end: float) -> Iterator[Features]:
    """The first palm in the air from `start` to `end` (device time)."""
    for f in frames:
        if start <= f.t < end:
            palm = f.contacts[0]
            f = dataclasses.replace(
                f, contacts=f.contacts[1:], load_n=f.load_n - palm.load_n, cop=f.contacts[1].cop
            )
        yield f


def test_a_palm_lifted_starts_the_steady_window_over() -> None:
    lift_at, put_down = 103.0, 103.5  # announced at 101, 2 s into the steady window
    frames = without_a_palm(
        pushup_frames(breathing(0.66, 0.004), 14.0, t0=100.0), lift_at, put_down
    )
    _, _, events, outcomes = run(frames)
    assert [e["event_type"] for e in events] == ["set_started"]  # the set goes on
    assert [o["event_type"] for o in outcomes] == ["calibration_done"]
    assert outcomes[0]["t"] >= put_down + STEADY_S - 0.05
    assert outcomes[0]["baseline_u"] == pytest.approx(0.66, abs=0.003)


def test_a_rep_before_the_plank_was_steady_fails_it() -> None:
    # A push-up 0.5 s after the set was announced: no 3 steady seconds before it.
    u = rep_u(0.66, 0.07, reps=3, period=2.0, start=1.5)
    _, cal, events, outcomes = run(pushup_frames(u, 10.0, t0=100.0))
    first_rep = next(e for e in events if e["event_type"] == "rep")
    assert len(outcomes) == 1
    failed = outcomes[0]
    assert failed["event_type"] == "calibration_failed"
    assert failed["reason"] == "rep_started"
    assert failed["t"] == first_rep["t"]
    assert failed["set_id"] == first_rep["set_id"]
    assert not cal.armed


def test_leaving_the_plank_fails_it() -> None:
    # On the mat for 2 s of plank after the announcement, then gone.
    frames = itertools.chain(
        pushup_frames(breathing(0.66, 0.004), ANNOUNCE_S + 2.0, t0=100.0),
        empty_frames(5.0, 100.0 + ANNOUNCE_S + 2.0),
    )
    _, _, events, outcomes = run(frames)
    ended = next(e for e in events if e["event_type"] == "set_ended")
    assert [o["event_type"] for o in outcomes] == ["calibration_failed"]
    assert outcomes[0]["reason"] == "plank_ended"
    assert outcomes[0]["t"] == pytest.approx(ended["t"], abs=0.03)


def test_nobody_in_a_plank_for_a_minute_times_out() -> None:
    _, cal, _, outcomes = run(empty_frames(GIVE_UP_S + 5.0, 10.0))
    assert len(outcomes) == 1
    assert outcomes[0]["event_type"] == "calibration_failed"
    assert outcomes[0]["reason"] == "timeout"
    assert outcomes[0]["set_id"] is None
    assert outcomes[0]["t"] == pytest.approx(10.0 + GIVE_UP_S, abs=0.03)
    assert not cal.armed


def test_a_plank_never_still_enough_times_out_without_a_rep() -> None:
    # A slow sway of ±0.02 (0.04 in all, above STEADY_RANGE_U): a plank, but not a still
    # one, and no rep either.
    frames = pushup_frames(breathing(0.66, 0.02, hz=0.25), GIVE_UP_S + 3.0, t0=100.0)
    _, _, events, outcomes = run(frames)
    assert [e["event_type"] for e in events] == ["set_started"]
    assert [(o["event_type"], o["reason"]) for o in outcomes] == [("calibration_failed", "timeout")]


def test_unarmed_it_reports_nothing_and_once_done_it_stays_quiet() -> None:
    plank = list(pushup_frames(breathing(0.66, 0.004), 10.0, t0=100.0))
    _, _, _, outcomes = run(plank, arm=False)
    assert outcomes == []

    # Armed once: one result, however long the plank goes on.
    _, _, _, outcomes = run(pushup_frames(breathing(0.66, 0.004), 30.0, t0=100.0))
    assert len(outcomes) == 1


def test_armed_again_it_starts_over() -> None:
    det = Detector(DetectorConfig())
    cal = PersonCalibration()
    cal.arm()
    outcomes = []
    for f in pushup_frames(breathing(0.66, 0.004), 20.0, t0=100.0):
        det.update(f)
        if f.t == pytest.approx(106.0, abs=1e-6):
            cal.arm()  # a second press of the button, mid-plank
        got = cal.observe(det)
        if got is not None:
            outcomes.append(got)
    assert [o["event_type"] for o in outcomes] == ["calibration_done", "calibration_done"]
    # The second starts from the set already in progress: steady seconds from its arming.
    assert outcomes[1]["t"] == pytest.approx(106.0 + STEADY_S, abs=0.1)


# A stored calibration is the set's baseline from the frame its candidate appears; u sweeps
# through it while the person settles into position, which is neither a sag nor a pike.


def test_a_calibrated_set_raises_no_pike_while_the_person_settles_from_above() -> None:
    det = Detector(DetectorConfig(), person_baseline={"toes": 0.66})
    events = []
    for f in pushup_frames(lambda t: 0.76 - 0.10 * min(t / 0.8, 1.0), 6.0):
        events += det.update(f)
    assert [e["event_type"] for e in events] == ["set_started"]


def test_a_calibrated_set_raises_no_sag_while_the_person_settles_from_below() -> None:
    det = Detector(DetectorConfig(), person_baseline={"toes": 0.66})
    events = []
    for f in pushup_frames(lambda t: 0.62 + 0.04 * min(t / 0.8, 1.0), 6.0):
        events += det.update(f)
    assert [e["event_type"] for e in events] == ["set_started"]


def test_without_a_calibration_the_same_settling_raises_nothing() -> None:
    for settle in (
        lambda t: 0.76 - 0.10 * min(t / 0.8, 1.0),
        lambda t: 0.62 + 0.04 * min(t / 0.8, 1.0),
    ):
        det = Detector(DetectorConfig())
        events = []
        for f in pushup_frames(settle, 6.0):
            events += det.update(f)
        assert [e["event_type"] for e in events] == ["set_started"]
