"""The terminal view: what the mat detects, live, in plain words (the demo's first screen)."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO


def describe(event: dict[str, Any]) -> str:
    kind = event["event_type"]
    sid = event.get("set_id")
    if kind == "set_started":
        return f"set {sid} started ({'knee push-ups' if event.get('knees') else 'push-ups'})"
    if kind == "rep":
        partial = " (partial)" if event.get("partial") else ""
        depth, took = event["depth"], event["duration_s"]
        if event.get("by_load"):
            # u did not show this rep (a sag hid it): its depth is the set's usual one.
            return f"  rep {event['n']}  (seen in the load)  {took:.1f} s"
        return f"  rep {event['n']}{partial}  depth {depth:.3f} u  {took:.1f} s"
    if kind == "sag_started":
        return f"  ! hips sagging (u {event['depth']:.3f} below your baseline)"
    if kind == "sag_ended":
        return f"  hips back up after {event['duration_s']:.1f} s"
    if kind == "pike_started":
        return "  ! hips piked high"
    if kind == "pike_ended":
        return "  hips back down from the pike"
    if kind == "set_ended":
        what = f"{event['reps']} reps" if event["kind"] == "pushup" else "plank"
        sag = f", {event['sag_episodes']} sag episodes" if event.get("sag_episodes") else ""
        return f"set {sid} done: {what} in {event['duration_s']:.0f} s{sag}"
    if kind == "calibration_done":
        support = "knees" if event.get("knees") else "toes"
        return f"calibrated: good plank on the {support} at u {event['baseline_u']:.3f}"
    if kind == "calibration_failed":
        return f"calibration failed: {event.get('reason')}"
    return f"  {kind}"


class ConsoleSink:
    """Prints each event as a line, and the phase when it changes."""

    name = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._phase: str | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._print("matd: watching the mat (Ctrl-C to stop)")

    def stop(self) -> None:
        pass

    def on_event(self, event: dict[str, Any]) -> None:
        self._print(describe(event))

    def on_state(self, state: dict[str, Any]) -> None:
        phase = state.get("phase")
        if phase != self._phase and phase in ("idle", "occupied"):
            self._print(f"[{phase}]" if phase == "idle" else "[someone is on the mat]")
        self._phase = phase

    def on_health(self, health: dict[str, Any]) -> None:
        pass

    def _print(self, line: str) -> None:
        with self._lock:
            print(line, file=self.out, flush=True)
