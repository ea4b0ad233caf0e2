"""`matd run --remove-discovery`: the one-shot that retires a mat from Home Assistant,
run as a process against a real Mosquitto, with flags only (no config file)."""

from __future__ import annotations

from .daemonkit import run_matd
from .mqttkit import feed, free_port, pushup_set, sink_config

DISCOVERY = "homeassistant/device/mat-1/config"


def remove_discovery(port: int, *extra: str):
    return run_matd(
        "run", "--remove-discovery",
        "--mqtt-host", "127.0.0.1",
        "--mqtt-port", str(port),
        "--device-id", "mat-1",
        *extra,
    )  # fmt: skip


def test_remove_discovery_clears_everything_retained_and_exits_0(
    mosquitto, watchers, rigs, tmp_path
) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port))
    feed(rig.hub, pushup_set(reps=2))
    w = watchers(broker.port, ["homeassistant/#", "matd/#"])
    w.wait_topic(DISCOVERY)
    w.wait_topic(f"{rig.base}/set/last")
    rig.stop()  # the mat is retired: its daemon no longer runs

    done = remove_discovery(broker.port)
    assert done.returncode == 0, done.stderr
    assert "removed from Home Assistant" in done.stderr
    assert done.stdout == ""
    # Home Assistant saw the empty payload that deletes the device ...
    w.wait_topic(DISCOVERY, lambda m: m.payload == b"")
    # ... and a subscriber arriving now finds nothing retained of this mat.
    late = watchers(broker.port, ["homeassistant/#", "matd/#"])
    late.publish("matd/probe", "x")  # a round trip: retained messages came before it
    late.wait_topic("matd/probe")
    assert [m.topic for m in late.messages] == ["matd/probe"]


def test_remove_discovery_without_a_broker_exits_1_and_says_why(tmp_path) -> None:
    port = free_port()  # nothing listens there
    done = remove_discovery(port)
    assert done.returncode == 1
    assert f"cannot reach 127.0.0.1:{port}" in done.stderr


def test_remove_discovery_with_mqtt_off_is_a_usage_error() -> None:
    done = remove_discovery(free_port(), "--no-mqtt")
    assert done.returncode == 2
    assert "--remove-discovery needs MQTT" in done.stderr
    assert "mqtt.enabled" in done.stderr
