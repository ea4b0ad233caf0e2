"""Commands from MQTT reach the mat's reader; bad ones are logged, counted and ignored."""

from __future__ import annotations

import logging
import time

import pytest

from matd.controls import Control

from .mqttkit import events_of, feed, pushup_set, sink_config, wait_until


def test_commands_reach_the_reader(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port))
    w = watchers(broker.port, ["matd/mat-1/sag_threshold"])
    assert w.wait_topic("matd/mat-1/sag_threshold").payload == b"0.012"

    w.publish("matd/mat-1/cmd/tare", "PRESS")
    w.publish("matd/mat-1/cmd/end_set", "")
    w.publish("matd/mat-1/cmd/sag_threshold", "0.02")
    got: list[Control] = []
    wait_until(lambda: got.extend(rig.controls.drain()) or len(got) == 3)
    assert got == [Control("tare"), Control("end_set"), Control("sag_threshold", 0.02)]
    # The number entity in Home Assistant shows the threshold now in force.
    w.wait_topic("matd/mat-1/sag_threshold", lambda m: m.payload == b"0.02")


@pytest.mark.parametrize(
    "topic, payload",
    [
        ("sag_threshold", b"steep"),  # not a number
        ("sag_threshold", b"0.9"),  # out of range
        ("sag_threshold", b"-0.01"),  # out of range
        ("sag_threshold", b"nan"),  # not finite
        ("sag_threshold", b"\xff\xfe\x00\x81"),  # garbage bytes
        ("sag_threshold", b""),  # empty
        ("reboot", b"now"),  # not a command matd has
    ],
)
def test_bad_commands_are_ignored_and_the_sink_keeps_working(
    topic, payload, mosquitto, watchers, rigs, tmp_path, caplog
) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port))
    w = watchers(broker.port, ["matd/mat-1/event", "matd/mat-1/health"])
    wait_until(lambda: rig.sink.status()["connected"])
    # Connected is not yet subscribed: a command published before the broker has the
    # sink's subscription is lost. Round-trip a good one first.
    for _ in range(50):
        w.publish("matd/mat-1/cmd/sag_threshold", "0.02")
        time.sleep(0.1)
        if Control("sag_threshold", 0.02) in rig.controls.drain():
            break
    else:
        raise AssertionError("the sink never took a command")
    with caplog.at_level(logging.WARNING, logger="matd.sinks.mqtt"):
        w.publish(f"matd/mat-1/cmd/{topic}", payload)
        wait_until(lambda: rig.sink.status()["bad_commands"] == 1)
    assert any(f"command {topic} ignored" in r.getMessage() for r in caplog.records)
    assert rig.controls.drain() == []

    # Still alive: a good command works and a set still flows.
    w.publish("matd/mat-1/cmd/sag_threshold", "0.015")
    wait_until(lambda: rig.controls.drain() == [Control("sag_threshold", 0.015)])
    steps = pushup_set()
    feed(rig.hub, steps)
    w.wait_for(
        lambda ms: len([m for m in ms if m.topic.endswith("/event")]) == len(events_of(steps))
    )
    health = w.wait_topic("matd/mat-1/health", lambda m: m.json()["mqtt"]["bad_commands"] == 1)
    assert health.json()["mqtt"]["connected"] is True


def test_a_retained_command_is_not_replayed(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    w = watchers(broker.port, ["matd/mat-1/availability"])
    # Left retained by some tool before matd starts: it would re-tare at every connect.
    w.publish("matd/mat-1/cmd/tare", "PRESS", retain=True)
    rig = rigs(sink_config(tmp_path, broker.port))
    w.wait_topic("matd/mat-1/availability", lambda m: m.payload == b"online")
    wait_until(lambda: rig.sink.status()["bad_commands"] == 1)
    assert rig.controls.drain() == []
