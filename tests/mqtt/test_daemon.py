"""The whole daemon as a process: `matd run` on a virtual mat (a pty), MQTT to Mosquitto."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from .daemonkit import run_daemon, virtual_mat


def test_sigkill_leaves_the_last_will(mosquitto, watchers, processes, tmp_path) -> None:
    broker = mosquitto()
    w = watchers(broker.port, ["matd/mat-d/availability", "matd/mat-d/health"])
    daemon = run_daemon(processes, broker, virtual_mat(processes), tmp_path / "state")
    w.wait_topic("matd/mat-d/availability", lambda m: m.payload == b"online", timeout=20)
    w.wait_topic("matd/mat-d/health", lambda m: m.json().get("link_up") is True, timeout=20)

    daemon.send_signal(signal.SIGKILL)
    daemon.wait(5)
    # Nothing of matd ran after the kill: this is the broker delivering the will.
    w.wait_topic("matd/mat-d/availability", lambda m: m.payload == b"offline", timeout=10)
    late = watchers(broker.port, ["matd/mat-d/availability"])
    assert late.wait_topic("matd/mat-d/availability").payload == b"offline"


def test_sigterm_says_offline_and_exits_within_two_seconds(
    mosquitto, watchers, processes, tmp_path
) -> None:
    broker = mosquitto()
    w = watchers(broker.port, ["matd/mat-d/availability"])
    daemon = run_daemon(processes, broker, virtual_mat(processes), tmp_path / "state")
    w.wait_topic("matd/mat-d/availability", lambda m: m.payload == b"online", timeout=20)
    online = len(w.on("matd/mat-d/availability"))

    daemon.send_signal(signal.SIGTERM)
    try:
        code = daemon.wait(2.0)
    except subprocess.TimeoutExpired:
        pytest.fail("matd did not exit within 2 s of SIGTERM")
    assert code == 0
    w.wait_topic("matd/mat-d/availability", lambda m: m.payload == b"offline", timeout=5)
    assert len(w.on("matd/mat-d/availability")) == online + 1
    # The daemon published offline itself and said goodbye: the broker saw a clean
    # DISCONNECT, not a dropped connection (which is when it would send the will).
    deadline = time.monotonic() + 5
    log = broker.log_text()
    while "disconnected." not in log and time.monotonic() < deadline:
        time.sleep(0.05)
        log = broker.log_text()
    matd_lines = [line for line in log.splitlines() if "matd-mat-d-" in line]
    offline_published = "'matd/mat-d/availability', ... (7 bytes))"  # b"offline"
    assert any("Received PUBLISH" in ln and offline_published in ln for ln in matd_lines)
    assert any(ln.rstrip().endswith("disconnected.") for ln in matd_lines)
    assert not any("closed its connection" in ln for ln in matd_lines)


@pytest.mark.slow
def test_a_simulated_set_flows_through_the_whole_daemon(
    mosquitto, watchers, processes, tmp_path
) -> None:
    """`matd demo` (the virtual mat on a pty, the real link, decoder, pipeline and hub)
    with a person doing a set that sags: about 30 s of mat time, in real time."""
    broker = mosquitto()
    w = watchers(broker.port, ["matd/mat-d/#"])
    daemon = processes(
        "demo",
        "--no-http",
        "--mqtt-host", "127.0.0.1",
        "--mqtt-port", str(broker.port),
        "--device-id", "mat-d",
        "--state-dir", str(tmp_path / "state"),
        "--scenario", "pushups_sag",
        "--seed", "2",
    )  # fmt: skip

    def sagged_set_ended(ms) -> bool:
        return any(
            m.topic == "matd/mat-d/event"
            and m.json()["event_type"] == "set_ended"
            and m.json()["sag_episodes"] >= 1
            for m in ms
        )

    w.wait_for(sagged_set_ended, timeout=90)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(5) == 0

    events = [m.json() for m in w.on("matd/mat-d/event")]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "every event once, in order"
    ended = next(e for e in events if e["event_type"] == "set_ended" and e["sag_episodes"])
    the_set = [e for e in events if e["set_id"] == ended["set_id"]]
    kinds = [e["event_type"] for e in the_set]
    assert kinds[0] == "set_started" and kinds[-1] == "set_ended"
    assert kinds.index("sag_started") < kinds.index("sag_ended")
    assert kinds.count("sag_started") == ended["sag_episodes"]
    reps = [e for e in the_set if e["event_type"] == "rep"]
    assert [r["n"] for r in reps] == list(range(1, len(reps) + 1))
    assert len(reps) >= 3
    assert ended["reps"] == len(reps)
    assert ended["partial_reps"] == sum(r["partial"] for r in reps)
    ts = [e["t"] for e in the_set]
    assert ts == sorted(ts)

    # The live state counted the same reps; set/last is that set_ended, retained.
    during = [m.json() for m in w.on("matd/mat-d/state") if m.json()["set_id"] == ended["set_id"]]
    assert "set" in {s["phase"] for s in during}
    assert max((s["reps"], s["partial_reps"]) for s in during) == (
        ended["reps"],
        ended["partial_reps"],
    )
    assert any(s["sag"] for s in during)
    late = watchers(broker.port, ["matd/mat-d/set/last", "matd/mat-d/availability"])
    late.wait_for(lambda ms: len(ms) == 2)
    assert late.on("matd/mat-d/set/last")[0].json() == ended
    assert late.on("matd/mat-d/availability")[0].payload == b"offline"
