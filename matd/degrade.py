"""What other mats and other recordings may not show: `matd eval --degrade NAME`.

The simulator renders everything SIGNALS.md describes, and two things it does not spell out
or that a mat may blur away. Each degradation takes a frame's Features and removes one of
them, so `matd eval` can measure how the detector copes without it:
- `flat-load`: the total load never heaves (a recording made from static balance alone,
  or a mat that reports load at a steady scale);
- `still-palms`: each contact's own CoP sits at its centre (cells too coarse or too soft to
  show a palm's CoP moving toward the wrist).
"""

from __future__ import annotations

import dataclasses
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


def still_palms(f: Features) -> Features:
    return dataclasses.replace(
        f, contacts=[dataclasses.replace(c, cop=c.centroid) for c in f.contacts]
    )


DEGRADATIONS: dict[str, Callable[[Features], Features]] = {
    "flat-load": flat_load,
    "still-palms": still_palms,
}
