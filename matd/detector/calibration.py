"""A per-person good-form baseline: "hold a good plank for 3 s" (SIGNALS.md, sag).

`PersonCalibration` watches a `Detector` after each frame once it is armed. It waits for
the plank phase (an announced set with no reps), collects u while the plank holds, and
once u has stayed within `STEADY_RANGE_U` for `STEADY_S` of device time it is done: the
median u of that window, and the support (toes or knees) it was held on. A rep, the
plank's end (the person leaving, or sinking to the knees) or `GIVE_UP_S` without success
end it with a reason instead.

Like the detector it is pure logic on the frames' device time: no I/O, no wall clock.
Whoever runs it stores the result (the daemon, `matd calibrate`).
"""

from __future__ import annotations

import statistics
from collections import deque

from matd.detector.detector import PLANK, Detector
from matd.detector.events import Event, make_event

# How long, in device seconds, u must stay steady for the plank to count.
STEADY_S = 3.0
# How far u may move in that time. Breathing sways u in a plank by up to 0.02 either
# way (SIGNALS.md; the simulator draws amplitudes of 0.003 to 0.02): with 0.02 as the
# whole range, about one person in five never holds "still" enough, with 0.03 all do. A
# rep (0.04 to 0.10, and a rep ends the calibration anyway) or a body still settling into
# place moves u further.
STEADY_RANGE_U = 0.03
# Armed this long (device seconds) without success, it gives up.
GIVE_UP_S = 60.0

# Why a calibration failed (the `reason` of `calibration_failed`).
REP_STARTED = "rep_started"  # a push-up began: a plank is needed, not a set
PLANK_ENDED = "plank_ended"  # the plank's set ended: the person left or went to the knees
TIMEOUT = "timeout"  # no steady plank within GIVE_UP_S
REASONS = (REP_STARTED, PLANK_ENDED, TIMEOUT)


class PersonCalibration:
    """Arm it, then call `observe(detector)` after every frame the detector took."""

    def __init__(self) -> None:
        self.armed = False
        self._start_t: float | None = None
        self._set_id: int | None = None
        self._knees = False
        self._window: deque[tuple[float, float]] = deque()

    @property
    def holding(self) -> bool:
        """Armed, and a plank is being watched (the person is in position)."""
        return self.armed and self._set_id is not None

    def arm(self) -> None:
        """Start (or start over): the clock starts at the next frame observed."""
        self.armed = True
        self._start_t = None
        self._set_id = None
        self._window.clear()

    def cancel(self) -> None:
        self.armed = False
        self._set_id = None
        self._window.clear()

    def observe(self, detector: Detector) -> Event | None:
        """What the latest frame did to the calibration: done, failed, or nothing yet."""
        if not self.armed:
            return None
        t = detector.t
        if self._start_t is None:
            self._start_t = t
        cur = detector.current
        if self._set_id is not None:
            if cur is None or cur.set_id != self._set_id:
                return self._fail(t, PLANK_ENDED)
            if cur.reps:
                return self._fail(t, REP_STARTED)
        elif detector.phase == PLANK and cur is not None:
            self._set_id = cur.set_id
            self._knees = cur.knees
            self._window.clear()
        if self._set_id is not None:
            done = self._collect(t, detector)
            if done is not None:
                return done
        if t - self._start_t >= GIVE_UP_S:
            return self._fail(t, TIMEOUT)
        return None

    # ------------------------------------------------------------ inside

    def _collect(self, t: float, detector: Detector) -> Event | None:
        pattern = detector.pattern
        u = detector.u
        if pattern is None or len(pattern.hands) != 2 or u is None:
            # The pattern is gone or a palm is up: this frame has no u of its own (the
            # detector's u is the last one seen), and the plank is not being held.
            self._window.clear()
            return None
        w = self._window
        w.append((t, u))
        # Keep one sample at or before the window's start, so the window spans STEADY_S.
        while len(w) > 1 and w[1][0] <= t - STEADY_S:
            w.popleft()
        values = [x for _, x in w]
        if max(values) - min(values) > STEADY_RANGE_U:
            # Not steady: start the window after the sample that broke it.
            while w and max(x for _, x in w) - min(x for _, x in w) > STEADY_RANGE_U:
                w.popleft()
            return None
        if t - w[0][0] < STEADY_S - 1e-9:
            return None
        baseline = statistics.median(values)
        event = make_event(
            "calibration_done", t, self._set_id, knees=self._knees, baseline_u=round(baseline, 4)
        )
        self.cancel()
        return event

    def _fail(self, t: float, reason: str) -> Event:
        event = make_event("calibration_failed", t, self._set_id, reason=reason)
        self.cancel()
        return event
