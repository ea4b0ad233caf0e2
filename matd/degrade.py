"""What other mats and other recordings may not show: `matd eval --degrade NAME`.

The simulator renders everything SIGNALS.md describes, and two things it does not spell out
or that a mat may blur away. Each degradation takes a frame's Features and removes one of
them, so `matd eval` can measure how the detector copes without it:
- `flat-load`: the total load never heaves (a recording made from static balance alone,
  or a mat that reports load at a steady scale);
- `still-palms`: no contact's CoP or centre moves while it stays put (cells too coarse or
  too soft to show a palm rolling toward the wrist): each sits where the contact was put
  down.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from matd.features import Features

# The load a flat-load frame reports whatever the person does (only its constancy matters).
FLAT_LOAD_N = 700.0
# Below this the mat is empty (matd.detector.detector.IDLE_LOAD_N): left as it is.
EMPTY_LOAD_N = 40.0


def flat_load(f: Features) -> Features:
    if f.load_n < EMPTY_LOAD_N:
        return f
    return dataclasses.replace(f, load_n=FLAT_LOAD_N)


class StillPalms:
    """Each contact's CoP and centre replaced by where the contact has been lately.

    A palm rolling toward the wrist moves its CoP, and moves its centre a little too (cells at
    the light edge drop below the floor): both go. Contacts are followed from frame to frame
    by distance. One not seen for `FORGET_S` is forgotten; one found `ROLL_MM` away was put
    down elsewhere and starts afresh; a contact is shown as it is while it settles, then
    only its slow drift over `TAU_S` is."""

    TAU_S = 3.0
    ROLL_MM = 15.0
    FORGET_S = 0.5
    SETTLE_S = 1.0

    def __init__(self) -> None:
        # x, y (mm), last seen, first seen (s)
        self._tracks: list[tuple[float, float, float, float]] = []

    def __call__(self, f: Features) -> Features:
        kept = [tr for tr in self._tracks if f.t - tr[2] <= self.FORGET_S]
        contacts = []
        tracks = []
        for c in f.contacts:
            x, y = c.centroid
            born = f.t
            near = min(kept, key=lambda tr: math.hypot(tr[0] - x, tr[1] - y), default=None)
            if near is not None and math.hypot(near[0] - x, near[1] - y) <= self.ROLL_MM:
                kept.remove(near)
                born = near[3]
                if f.t - born > self.SETTLE_S:
                    a = 1.0 - math.exp(-max(f.t - near[2], 0.0) / self.TAU_S)
                    x, y = near[0] + a * (x - near[0]), near[1] + a * (y - near[1])
            tracks.append((x, y, f.t, born))
            contacts.append(dataclasses.replace(c, cop=(x, y), centroid=(x, y)))
        self._tracks = tracks + kept
        return dataclasses.replace(f, contacts=contacts)


# Each recording gets its own filter: some follow the contacts from frame to frame.
DEGRADATIONS: dict[str, Callable[[], Callable[[Features], Features]]] = {
    "flat-load": lambda: flat_load,
    "still-palms": StillPalms,
}
