"""Runs the whole pipeline over a recording (the raw wire bytes of a mat) as fast as it can.

`matd eval` stands on this and `matd replay` runs the same pipeline, so a recording
gives exactly the events the live daemon would have raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matd.config import Config
from matd.degrade import DEGRADATIONS
from matd.detector import Event
from matd.pipeline import MatPipeline
from matd.recording import decode_recording
from matd.wire import Frame, Hello
from matd.wire.decoder import Impl


@dataclass
class ReplayResult:
    events: list[Event] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def replay(
    path: str | Path, cfg: Config, *, impl: Impl = "compiled", degrade: str | None = None
) -> ReplayResult:
    """Every event the recording raises, and the decoder's counters. `degrade` names one of
    `matd.degrade.DEGRADATIONS`, applied to each frame before the detector."""
    pipeline = MatPipeline(
        cfg,
        impl=impl,
        keep_pressure=False,
        features_filter=DEGRADATIONS[degrade]() if degrade else None,
    )
    recording = decode_recording(path, impl)
    result = ReplayResult()
    for msg in recording.messages():
        if isinstance(msg, Frame):
            result.events += pipeline.on_frame(msg)
        elif isinstance(msg, Hello):
            pipeline.on_hello(msg)
    result.events += pipeline.finish()
    stats = recording.stats
    result.summary = {
        "frames": stats.frames,
        "bad_packets": stats.bad_packets,
        "lost_frames": stats.lost_frames,
        "sets": sum(e["event_type"] == "set_ended" for e in result.events),
        "reps": sum(e["event_type"] == "rep" for e in result.events),
    }
    return result
