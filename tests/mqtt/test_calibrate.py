"""The per-person calibration from MQTT: `…/cmd/calibrate` to `matd run` on a virtual mat
whose person holds a plank (`matd simulate --pty --scenario calibrate`), the result on
`…/event` and in `<state_dir>/person.json`; and Home Assistant's "Calibrate form" button."""

from __future__ import annotations

import json
import signal

import pytest

from matd.controls import Control
from matd.sim.scenarios import scenario_source

from .daemonkit import run_daemon
from .ha_schema import validate_device_discovery
from .mqttkit import sink_config, wait_until

SEED = 4  # a simulated person whose plank the mat measures within 0.002 of the truth
BASE = "matd/mat-d"


def plank_truth(seed: int) -> float:
    _, truth = scenario_source("calibrate", seed)
    (plank,) = truth["sets"]
    return float(plank["baseline_u"])


def test_calibrate_command_reaches_the_reader(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    rig = rigs(sink_config(tmp_path, broker.port))
    wait_until(lambda: rig.sink.status()["connected"])
    w = watchers(broker.port, ["matd/mat-1/availability"])
    w.wait_topic("matd/mat-1/availability", lambda m: m.payload == b"online")
    w.publish("matd/mat-1/cmd/calibrate", "PRESS")
    got: list[Control] = []
    wait_until(lambda: got.extend(rig.controls.drain()) or len(got) >= 1)
    assert got == [Control("calibrate")]
    assert rig.sink.status()["bad_commands"] == 0


def test_discovery_has_a_calibrate_button(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    rigs(sink_config(tmp_path, broker.port))
    w = watchers(broker.port, ["homeassistant/#"])
    msg = w.wait_topic("homeassistant/device/mat-1/config")
    comps = validate_device_discovery(msg.topic, json.loads(msg.payload), "homeassistant")
    button = comps["calibrate"]
    assert button["platform"] == "button"
    assert button["name"] == "Calibrate form"
    assert button["command_topic"] == "matd/mat-1/cmd/calibrate"
    assert button["unique_id"] == "matd_mat-1_calibrate"
    # Its outcome is an event the workout entity knows.
    assert {"calibration_done", "calibration_failed"} <= set(comps["workout"]["event_types"])


@pytest.mark.slow
def test_calibrate_over_mqtt_on_a_plank_saves_the_person(
    mosquitto, watchers, processes, tmp_path
) -> None:
    broker = mosquitto()
    state = tmp_path / "state"
    w = watchers(broker.port, [f"{BASE}/availability", f"{BASE}/event"])
    sim = processes("simulate", "--pty", "--scenario", "calibrate", "--seed", str(SEED))
    assert sim.stdout is not None
    mat = sim.stdout.readline().strip()
    assert mat.startswith("/dev/"), mat
    daemon = run_daemon(processes, broker, mat, state)
    w.wait_topic(f"{BASE}/availability", lambda m: m.payload == b"online", timeout=20)

    # Pressed while the person is still getting onto the mat: it waits for the plank.
    w.publish(f"{BASE}/cmd/calibrate", "PRESS")
    done = w.wait_topic(
        f"{BASE}/event",
        lambda m: m.json()["event_type"] in ("calibration_done", "calibration_failed"),
        timeout=45,
    ).json()
    assert done["event_type"] == "calibration_done", done
    assert done["knees"] is False
    assert isinstance(done["seq"], int) and isinstance(done["ts"], str)
    started = [m.json() for m in w.on(f"{BASE}/event") if m.json()["event_type"] == "set_started"]
    assert [s["set_id"] for s in started] == [done["set_id"]]
    assert done["baseline_u"] == pytest.approx(plank_truth(SEED), abs=0.02)

    person = state / "person.json"
    wait_until(person.exists, timeout=5, what="person.json after calibration_done")
    assert json.loads(person.read_text()) == {"toes": done["baseline_u"]}

    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(10) == 0
    assert daemon.stderr is not None
    log = daemon.stderr.read()
    assert f"calibration saved to {person}" in log
