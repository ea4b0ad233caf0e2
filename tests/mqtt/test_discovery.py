"""Home Assistant discovery as a subscriber on the broker sees it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .ha_schema import check_rendered, render, validate_device_discovery
from .mqttkit import events_of, feed, pushup_set, sink_config, state_at, wait_until

DISCOVERY = "homeassistant/device/mat-1/config"


def test_discovery_is_complete_and_valid_for_every_component(
    mosquitto, watchers, rigs, tmp_path: Path
) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port))
    steps = pushup_set()
    feed(rig.hub, steps)
    rig.hub.publish_health(
        {"uptime_s": 3.0, "link_up": True, "frames_per_s": 50.0, "crc_errors": 0,
         "bad_packets": 0, "lost_frames": 2, "version": "0.1.0-test"}
    )  # fmt: skip
    wait_until(lambda: rig.sink.status()["events_sent"] == len(events_of(steps)))

    # A Home Assistant that starts now gets it all from retained messages.
    ha = watchers(broker.port, ["homeassistant/#", f"{rig.base}/#"])
    msg = ha.wait_topic(DISCOVERY)
    assert msg.retain
    payload = json.loads(msg.payload)
    comps = validate_device_discovery(msg.topic, payload, "homeassistant")

    # What the contract promises is there, with stable ids and sensible classes.
    by_key = {cid: c for cid, c in comps.items()}
    assert {"reps", "phase", "hands_share", "last_set", "sag", "set_active", "workout",
            "tare", "sag_threshold", "mat_link"} <= set(by_key)  # fmt: skip
    assert by_key["sag"]["device_class"] == "problem"
    assert by_key["mat_link"]["device_class"] == "connectivity"
    assert by_key["mat_link"]["expire_after"] == 90
    assert by_key["workout"]["platform"] == "event"
    assert by_key["tare"]["platform"] == "button"
    assert by_key["sag_threshold"]["platform"] == "number"
    assert by_key["reps"]["unique_id"] == "matd_mat-1_reps"
    assert by_key["reps"]["default_entity_id"] == "sensor.mat_1_reps"
    assert payload["o"] == {"name": "matd", "sw": "0.1.0-test"}
    assert payload["dev"]["ids"] == ["matd_mat-1"]
    assert payload["avty"] == [{"t": f"{rig.base}/availability"}]

    # Every entity that reads a topic gets a state Home Assistant accepts from the
    # payloads really retained there; every event type sent is one the entity knows.
    ha.wait_topic(f"{rig.base}/set/last")
    ha.wait_topic(f"{rig.base}/state", lambda m: m.json() == steps[-1][1])
    ha.wait_topic(f"{rig.base}/health", lambda m: "link_up" in m.json())
    latest = {m.topic: m.payload for m in ha.messages}
    assert {m.topic for m in ha.messages if m.retain} >= {
        f"{rig.base}/state",
        f"{rig.base}/set/last",
        f"{rig.base}/health",
    }
    for cid, comp in comps.items():
        if "state_topic" in comp and comp["platform"] != "event":
            assert comp["state_topic"] in latest, f"{cid}: nothing retained on its topic"
            if "value_template" in comp:
                rendered = render(comp["value_template"], latest[comp["state_topic"]])
                check_rendered(cid, comp, rendered)
        for key in ("command_topic", "state_topic", "json_attributes_topic"):
            if key in comp:
                assert comp[key].startswith(rig.base + "/"), f"{cid}.{key} outside the base"
    assert render(comps["reps"]["value_template"], latest[f"{rig.base}/state"]) == "0"
    assert render(comps["last_set"]["value_template"], latest[f"{rig.base}/set/last"]) == "6"
    assert render(comps["mat_link"]["value_template"], latest[f"{rig.base}/health"]) == "ON"
    # Health the sink sends before the daemon's first one (no link_up yet) works too.
    early = json.dumps({"version": "0.1.0-test", "mqtt": rig.sink.status()}).encode()
    for cid in ("mat_link", "frame_rate", "lost_frames"):
        check_rendered(cid, comps[cid], render(comps[cid]["value_template"], early))
    assert render(comps["mat_link"]["value_template"], early) == "OFF"
    for ev in events_of(steps):
        assert ev["event_type"] in comps["workout"]["event_types"]


def test_discovery_follows_configured_prefix_base_topic_and_device_id(
    mosquitto, watchers, rigs, tmp_path: Path
) -> None:
    broker = mosquitto()
    cfg = sink_config(tmp_path, broker.port, discovery_prefix="ha", base_topic="gym/mats")
    cfg = cfg.model_copy(update={"device_id": "mat-7"})
    rig = rigs(cfg)
    w = watchers(broker.port, ["ha/#", "gym/#"])
    msg = w.wait_topic("ha/device/mat-7/config")
    comps = validate_device_discovery(msg.topic, json.loads(msg.payload), "ha")
    assert comps["reps"]["state_topic"] == "gym/mats/mat-7/state"
    assert comps["tare"]["command_topic"] == "gym/mats/mat-7/cmd/tare"
    assert w.wait_topic("gym/mats/mat-7/availability").payload == b"online"
    assert rig.sink.status()["connected"]


def test_home_assistant_birth_gets_discovery_again(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port, discovery_delay_max_s=0.4))
    rig.hub.publish_state(state_at(1.0, "plank", None))
    w = watchers(broker.port, ["homeassistant/device/#", f"{rig.base}/state"])
    w.wait_topic(DISCOVERY)
    w.wait_topic(f"{rig.base}/state")
    before = len(w.on(DISCOVERY))

    w.publish("homeassistant/status", "offline")  # Home Assistant's last will: nothing to do
    w.publish("homeassistant/status", "online")  # its birth: discovery and state again
    w.wait_for(lambda ms: len([m for m in ms if m.topic == DISCOVERY]) > before, timeout=5)
    again = w.on(DISCOVERY)[-1]
    assert not again.retain  # a live re-send, not the retained copy
    validate_device_discovery(again.topic, json.loads(again.payload), "homeassistant")
    assert len(w.on(DISCOVERY)) == before + 1
    w.wait_for(lambda ms: len([m for m in ms if m.topic == f"{rig.base}/state"]) >= 2)


def test_remove_command_clears_the_device_out_of_home_assistant(
    mosquitto, watchers, rigs, tmp_path
) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port, discovery_delay_max_s=0.2))
    w = watchers(broker.port, ["homeassistant/#"])
    w.wait_topic(DISCOVERY)

    w.publish(f"{rig.base}/cmd/remove_discovery", "")
    w.wait_topic(DISCOVERY, lambda m: m.payload == b"")

    # Nothing retained is left for a Home Assistant that starts later ...
    late = watchers(broker.port, ["homeassistant/device/#", f"{rig.base}/availability"])
    late.wait_topic(f"{rig.base}/availability")
    assert late.on(DISCOVERY) == []
    # ... and its birth does not bring the device back while this daemon runs.
    n = len(w.on(DISCOVERY))
    w.publish("homeassistant/status", "online")
    time.sleep(3 * rig.cfg.mqtt.discovery_delay_max_s)  # past any reply it could send
    assert len(w.on(DISCOVERY)) == n
    assert rig.sink.status()["connected"]


def test_clearing_a_retired_mat_leaves_nothing_retained(
    mosquitto, watchers, rigs, tmp_path
) -> None:
    from matd.sinks.mqtt import clear_home_assistant

    broker = mosquitto()
    cfg = sink_config(tmp_path, broker.port)
    rig = rigs(cfg)
    feed(rig.hub, pushup_set(reps=2))
    w = watchers(broker.port, ["homeassistant/#", "matd/#"])
    w.wait_topic(f"{rig.base}/set/last")
    rig.stop()  # the mat is retired: matd no longer runs for it

    assert clear_home_assistant(cfg, timeout=5.0)
    late = watchers(broker.port, ["homeassistant/#", "matd/#"])
    late.publish("matd/probe", "x")  # a round trip: retained messages came before it
    late.wait_topic("matd/probe")
    assert [m.topic for m in late.messages] == ["matd/probe"]
