"""Runs the whole pipeline over a recording (the raw wire bytes of a mat) as fast as it can.

`matd replay` and `matd eval` both stand on this, so a recording gives exactly the
events the live daemon would have raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matd.config import Config
from matd.detector import Event
from matd.pipeline import MatPipeline
from matd.wire import Frame, Hello
from matd.wire.decoder import Impl, new_decoder

CHUNK = 1 << 16


@dataclass
class ReplayResult:
    events: list[Event] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def iter_replay(
    path: str | Path, cfg: Config, *, impl: Impl = "compiled", stats_out: dict[str, Any] | None = None
) -> Iterator[Event]:
    """Yield each event as the recording raises it; fill `stats_out` with the summary at the end."""
    decoder = new_decoder(impl)
    pipeline = MatPipeline(cfg, impl=impl, keep_pressure=False)
    sets = reps = sags = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            for msg in decoder.feed(chunk):
                if isinstance(msg, Frame):
                    events = pipeline.on_frame(msg)
                elif isinstance(msg, Hello):
                    pipeline.on_hello(msg)
                    continue
                else:
                    continue
                for ev in events:
                    sets += ev["event_type"] == "set_ended"
                    reps += ev["event_type"] == "rep"
                    sags += ev["event_type"] == "sag_started"
                    yield ev
    for ev in pipeline.finish():
        sets += ev["event_type"] == "set_ended"
        yield ev
    if stats_out is not None:
        stats = decoder.stats
        stats_out.update(
            frames=stats.frames,
            bad_packets=stats.bad_packets,
            lost_frames=stats.lost_frames,
            sets=sets,
            reps=reps,
            sag_episodes=sags,
            bad=dict(stats.bad),
        )


def replay(path: str | Path, cfg: Config, *, impl: Impl = "compiled") -> ReplayResult:
    result = ReplayResult()
    result.events = list(iter_replay(path, cfg, impl=impl, stats_out=result.summary))
    return result
