"""The whole daemon as a process: `matd run` on a virtual mat (a pty), MQTT to Mosquitto."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .mqttkit import Broker

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATD_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def processes() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def spawn(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "matd", *args],
            cwd=REPO,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield spawn
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def virtual_mat(processes, scenario: str = "empty") -> str:
    sim = processes("simulate", "--pty", "--scenario", scenario)
    assert sim.stdout is not None
    path = sim.stdout.readline().strip()
    assert path.startswith("/dev/"), path
    return path


def run_daemon(processes, broker: Broker, mat: str, state_dir: Path) -> subprocess.Popen[str]:
    return processes(
        "run",
        "--port", mat,
        "--no-http",
        "--mqtt-host", "127.0.0.1",
        "--mqtt-port", str(broker.port),
        "--device-id", "mat-d",
        "--state-dir", str(state_dir),
    )  # fmt: skip


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
