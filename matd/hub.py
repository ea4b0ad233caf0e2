"""Fans the detector's state, events and health out to every sink.

The mat's reader thread calls `publish_*`; each sink gets its own worker thread and
queue, so a slow or stuck sink never stalls the mat. State and health are coalesced
(only the newest matters); events are queued in order, up to a bound, and what
overflows is counted per sink rather than dropped silently.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Protocol

log = logging.getLogger(__name__)

Payload = dict[str, Any]


class Sink(Protocol):
    """An output of the daemon: MQTT, the web server, history, the console."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def on_state(self, state: Payload) -> None: ...

    def on_event(self, event: Payload) -> None: ...

    def on_health(self, health: Payload) -> None: ...


class _Channel:
    def __init__(self, sink: Sink, max_events: int) -> None:
        self.sink = sink
        self.events: deque[Payload] = deque()
        self.max_events = max_events
        self.state: Payload | None = None
        self.health: Payload | None = None
        self.dropped_events = 0
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._run, name=f"sink-{sink.name}", daemon=True)

    def put_event(self, event: Payload) -> None:
        with self.cond:
            if len(self.events) >= self.max_events:
                self.dropped_events += 1
                log.warning("sink %s is behind: event dropped", self.sink.name)
                return
            self.events.append(event)
            self.cond.notify()

    def put_state(self, state: Payload) -> None:
        with self.cond:
            self.state = state
            self.cond.notify()

    def put_health(self, health: Payload) -> None:
        with self.cond:
            self.health = health
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not (self.closed or self.events or self.state or self.health):
                    self.cond.wait()
                if self.closed and not self.events:
                    return
                events = list(self.events)
                self.events.clear()
                state, self.state = self.state, None
                health, self.health = self.health, None
            # Events before the state that followed them, as they happened.
            for ev in events:
                self._deliver(self.sink.on_event, ev)
            if state is not None:
                self._deliver(self.sink.on_state, state)
            if health is not None:
                self._deliver(self.sink.on_health, health)

    def _deliver(self, fn: Any, payload: Payload) -> None:
        try:
            fn(payload)
        except Exception:  # a broken sink must not take the others down
            log.exception("sink %s failed", self.sink.name)

    def close(self, timeout: float) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify()
        self.thread.join(timeout)


class Hub:
    def __init__(self, max_events_per_sink: int = 10000) -> None:
        self._channels: list[_Channel] = []
        self._max = max_events_per_sink
        self._lock = threading.Lock()
        self.last_state: Payload | None = None
        self.last_health: Payload | None = None
        self.last_set: Payload | None = None

    def add(self, sink: Sink) -> None:
        self._channels.append(_Channel(sink, self._max))

    @property
    def sinks(self) -> list[Sink]:
        return [c.sink for c in self._channels]

    def start(self) -> None:
        for ch in self._channels:
            ch.sink.start()
            ch.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Deliver what is queued, then stop the sinks in reverse order of starting."""
        for ch in self._channels:
            ch.close(timeout)
        for ch in reversed(self._channels):
            try:
                ch.sink.stop()
            except Exception:
                log.exception("sink %s failed to stop", ch.sink.name)

    def publish_state(self, state: Payload) -> None:
        self.last_state = state
        for ch in self._channels:
            ch.put_state(state)

    def publish_event(self, event: Payload) -> None:
        if event.get("event_type") == "set_ended":
            self.last_set = event
        for ch in self._channels:
            ch.put_event(event)

    def publish_health(self, health: Payload) -> None:
        self.last_health = health
        for ch in self._channels:
            ch.put_health(health)

    def dropped(self) -> dict[str, int]:
        return {c.sink.name: c.dropped_events for c in self._channels}
