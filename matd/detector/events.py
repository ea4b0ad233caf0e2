"""The event objects of SIGNALS.md, built in one place so every sink sees the same shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]

EVENT_TYPES = (
    "set_started",
    "rep",
    "sag_started",
    "sag_ended",
    "pike_started",
    "pike_ended",
    "set_ended",
    "calibration_done",
    "calibration_failed",
)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_event(event_type: str, t: float, set_id: int | None, **fields: Any) -> Event:
    """`ts` is filled in by whoever stamps wall-clock time (the pipeline), not the detector."""
    event: Event = {"event_type": event_type, "t": round(t, 3), "ts": None, "set_id": set_id}
    event.update(fields)
    return event
