"""The tare baseline across a restart of the whole daemon: `matd run` on a virtual mat
(`matd simulate --pty`), a tare sent over MQTT, SIGTERM, and a second start that takes
the saved baseline up instead of warming up afresh."""

from __future__ import annotations

import signal

import numpy as np

from matd.calibrate import Calibrator
from matd.geometry import Geometry

from .daemonkit import run_daemon, virtual_mat
from .mqttkit import wait_until

HEALTH = "matd/mat-d/health"


def stop(daemon) -> str:
    """SIGTERM, a clean exit, and what the daemon logged."""
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(10) == 0
    return daemon.stderr.read()


def test_tare_is_saved_and_taken_up_at_the_next_start(
    mosquitto, watchers, processes, tmp_path
) -> None:
    broker = mosquitto()
    state = tmp_path / "state"
    tare = state / "tare.npz"
    w = watchers(broker.port, [HEALTH])

    first = run_daemon(processes, broker, virtual_mat(processes), state)
    w.wait_topic(HEALTH, lambda m: m.json().get("link_up") is True, timeout=20)
    health = w.wait_topic(HEALTH, lambda m: "tare_from_file" in m.json(), timeout=20).json()
    assert health["tare_from_file"] is False, "no tare saved yet: the mat warmed up"
    assert not tare.exists()

    w.publish("matd/mat-d/cmd/tare", "PRESS")
    # Saved as soon as the new baseline has settled (half a second of frames).
    wait_until(tare.exists, timeout=10, what="tare.npz after the tare command")
    log = stop(first)
    assert "tare requested" in log
    assert log.count(f"tare baseline saved to {tare}") == 2, "after the tare, and at the stop"

    # It is a baseline of the virtual mat's grid, with its cells' offsets in it.
    saved = Calibrator(Geometry())
    saved.load(tare)
    assert saved.baseline.shape == (32, 80)
    assert float(np.median(saved.baseline)) > 0.0

    w.messages.clear()
    second = run_daemon(processes, broker, virtual_mat(processes), state)
    w.wait_topic(HEALTH, lambda m: m.json().get("tare_from_file") is True, timeout=20)
    log = stop(second)
    assert f"tare baseline loaded from {tare}" in log
    assert "not used" not in log
