"""Commands from the outside (MQTT, HTTP) into the mat's reader thread.

Sinks run on their own threads; the detector belongs to the reader thread. So a
command is queued here and applied by the reader before it handles the next frame.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Control:
    name: str  # "tare", "end_set", "sag_threshold", "calibrate"
    value: float | None = None


class Controls:
    def __init__(self) -> None:
        self._q: queue.SimpleQueue[Control] = queue.SimpleQueue()

    def tare(self) -> None:
        self._q.put(Control("tare"))

    def end_set(self) -> None:
        self._q.put(Control("end_set"))

    def calibrate(self) -> None:
        """Arm the per-person calibration: the next steady plank becomes the baseline."""
        self._q.put(Control("calibrate"))

    def set_sag_threshold(self, value: float) -> None:
        if not (0.0 < value < 0.5):
            raise ValueError(f"sag threshold must be between 0 and 0.5 (u), got {value}")
        self._q.put(Control("sag_threshold", float(value)))

    def drain(self) -> list[Control]:
        out = []
        while True:
            try:
                out.append(self._q.get_nowait())
            except queue.Empty:
                return out
