"""Test kit for the daemon as a process: `python -m matd ...` from this checkout, and a
virtual mat on a real pty (`matd simulate --pty`) for it to read."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .mqttkit import Broker

REPO = Path(__file__).resolve().parents[2]

Spawn = Callable[..., subprocess.Popen[str]]


def matd_env() -> dict[str, str]:
    """This machine's environment without MATD_* settings, importing matd from here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATD_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def spawn_matd(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "matd", *args],
        cwd=REPO,
        env=matd_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_matd(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """A one-shot `matd` command, to its end."""
    return subprocess.run(
        [sys.executable, "-m", "matd", *args],
        cwd=REPO,
        env=matd_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def virtual_mat(processes: Spawn, scenario: str = "empty") -> str:
    sim = processes("simulate", "--pty", "--scenario", scenario)
    assert sim.stdout is not None
    path = sim.stdout.readline().strip()
    assert path.startswith("/dev/"), path
    return path


def run_daemon(
    processes: Spawn, broker: Broker, mat: str, state_dir: Path
) -> subprocess.Popen[str]:
    return processes(
        "run",
        "--port", mat,
        "--no-http",
        "--mqtt-host", "127.0.0.1",
        "--mqtt-port", str(broker.port),
        "--device-id", "mat-d",
        "--state-dir", str(state_dir),
    )  # fmt: skip
