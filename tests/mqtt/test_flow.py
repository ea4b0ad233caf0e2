"""A push-up set flowing through the hub and the sink to a subscriber on a real broker."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from matd.sinks.ha_discovery import MatTopics, build_discovery

from .ha_schema import validate_device_discovery
from .mqttkit import events_of, feed, pushup_set, sink_config, state_at, wait_until


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_a_set_flows_through_in_order_with_state_and_last_set(
    protocol: str, mosquitto, watchers, rigs, tmp_path: Path
) -> None:
    broker = mosquitto()
    w = watchers(broker.port, ["matd/#"])
    rig = rigs(sink_config(tmp_path, broker.port, protocol=protocol))
    assert w.wait_topic("matd/mat-1/availability").payload == b"online"

    steps = pushup_set(reps=6, sag_from=4)
    feed(rig.hub, steps)
    sent = events_of(steps)
    w.wait_for(lambda ms: len([m for m in ms if m.topic == "matd/mat-1/event"]) == len(sent))
    got = [m.json() for m in w.on("matd/mat-1/event")]
    assert [e["event_type"] for e in got] == [
        "set_started", "rep", "rep", "rep", "sag_started", "rep", "rep", "sag_ended", "rep",
        "set_ended",
    ]  # fmt: skip
    assert [{k: v for k, v in e.items() if k != "seq"} for e in got] == sent
    seqs = [e["seq"] for e in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(m.qos == 1 and not m.retain for m in w.on("matd/mat-1/event"))

    # set/last is the set_ended event, retained; state is the newest state, retained.
    last = w.wait_topic("matd/mat-1/set/last")
    assert last.json() == got[-1]
    final_state = steps[-1][1]
    w.wait_topic("matd/mat-1/state", lambda m: m.json() == final_state)
    late = watchers(broker.port, ["matd/mat-1/state", "matd/mat-1/set/last"])
    late.wait_for(lambda ms: len(ms) == 2)
    assert {m.topic: m.json() for m in late.messages} == {
        "matd/mat-1/state": final_state,
        "matd/mat-1/set/last": got[-1],
    }
    assert all(m.retain for m in late.messages)
    assert rig.sink.status()["dropped_events"] == 0


def test_state_is_published_on_change_at_most_ten_a_second_newest_last(
    mosquitto, watchers, rigs, tmp_path
) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port))
    w = watchers(broker.port, ["matd/mat-1/state"])
    wait_until(lambda: rig.sink.status()["connected"])
    start = time.monotonic()
    for i in range(150):
        rig.hub.publish_state(state_at(i * 0.02, "set", 1, reps=i))
        time.sleep(0.004)
    newest = state_at(149 * 0.02, "set", 1, reps=149)
    w.wait_topic("matd/mat-1/state", lambda m: m.json() == newest)  # the trailing edge
    elapsed = time.monotonic() - start
    states = w.on("matd/mat-1/state")
    # One may go out at once, then one per 0.1 s at most.
    assert len(states) <= elapsed / 0.1 + 2
    assert 2 <= len(states) < 150  # coalesced, yet it kept publishing while states came

    # The same state with only the clock moved on is not news.
    n = len(states)
    for k in range(5):
        again = dict(newest, ts=f"2026-01-01T11:00:0{k}.000Z", t=100.0 + k)
        rig.hub.publish_state(again)
    rig.hub.publish_state(dict(newest, reps=150))
    w.wait_topic("matd/mat-1/state", lambda m: m.json()["reps"] == 150)
    assert len(w.on("matd/mat-1/state")) == n + 1


def test_sequence_numbers_keep_rising_across_restarts(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    w = watchers(broker.port, ["matd/mat-1/event"])
    cfg = sink_config(tmp_path, broker.port)
    first = rigs(cfg)
    feed(first.hub, pushup_set(set_id=1))
    wait_until(lambda: len(w.on("matd/mat-1/event")) == 10)
    first.stop()
    second = rigs(cfg)
    feed(second.hub, pushup_set(set_id=2))
    wait_until(lambda: len(w.on("matd/mat-1/event")) == 20)
    seqs = [m.json()["seq"] for m in w.on("matd/mat-1/event")]
    assert seqs == list(range(seqs[0], seqs[0] + 20))  # a clean stop leaves no gap
    assert (Path(cfg.state_dir) / "mqtt_seq").read_text().strip().isdigit()


def test_sequence_survives_a_crash_without_repeating(tmp_path) -> None:
    from matd.sinks.mqtt import SequenceNumbers

    a = SequenceNumbers(str(tmp_path))
    used = [a.next() for _ in range(100)]
    # No close(): as if the daemon died here.
    b = SequenceNumbers(str(tmp_path))
    assert b.next() > max(used)


def test_health_carries_the_sinks_own_status(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port), health_extra=lambda: {"daemon": "matd"})
    w = watchers(broker.port, ["matd/mat-1/health"])
    rig.hub.publish_health({"uptime_s": 1.0, "link_up": False, "frames_per_s": 0.0})
    msg = w.wait_topic("matd/mat-1/health", lambda m: m.json().get("link_up") is False)
    health = msg.json()
    assert health["daemon"] == "matd"
    assert health["mqtt"]["connected"] is True
    assert health["mqtt"]["dropped_events"] == 0
    assert health["version"] == "0.1.0-test"


@pytest.mark.parametrize(
    "mutate, complaint",
    [
        (lambda p: p["cmps"]["sag"].update(dev_cla="sagging"), "device class"),
        (lambda p: p["cmps"]["reps"].pop("uniq_id"), "unique_id"),
        (lambda p: p["cmps"]["reps"].update(obj_id="reps"), "object_id"),
        (lambda p: p["cmps"]["workout"].pop("evt_typ"), "missing required"),
        (lambda p: p["cmps"]["last_set_duration"].update(unit_of_meas="sec"), "unit"),
        (lambda p: p["cmps"]["phase"].update(stat_cla="measurement"), "enum"),
        (lambda p: p["cmps"]["reps"].update(stat_topic="x"), "options"),
        (lambda p: p["cmps"]["tare"].update(def_ent_id="sensor.mat_1_tare"), "default_entity_id"),
        (lambda p: p.pop("o"), "origin"),
        (lambda p: p["cmps"]["reps"].update(stat_t="matd/+/state"), "wildcard"),
    ],
)
def test_the_schema_check_rejects_what_home_assistant_rejects(mutate, complaint) -> None:
    topics = MatTopics.for_device("matd", "mat-1")
    good = build_discovery(device_id="mat-1", topics=topics, version="1", health_interval_s=30.0)
    validate_device_discovery("homeassistant/device/mat-1/config", good, "homeassistant")
    bad = copy.deepcopy(good)
    mutate(bad)
    with pytest.raises((AssertionError, KeyError)) as err:
        validate_device_discovery("homeassistant/device/mat-1/config", bad, "homeassistant")
    assert complaint in str(err.value) or isinstance(err.value, KeyError)
    json.dumps(good)  # and the good one is plain JSON
