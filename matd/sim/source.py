"""What a virtual mat scans: anything that renders the cell grid at a device time."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from matd.geometry import Geometry

__all__ = ["FrameSource", "Geometry"]


class FrameSource(Protocol):
    """Renders raw ADC counts (uint16, rows × cols) for the scan starting at `t` seconds.

    `t` never decreases between calls; a source may keep state (noise, drift)."""

    geometry: Geometry

    def render(self, t: float) -> npt.NDArray[np.uint16]: ...
