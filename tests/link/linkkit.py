"""Helpers for the link tests: virtual mats in subprocesses and in threads."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from matd.native import NativeMissing
from matd.sim.device import VirtualMat, serve_pty, serve_tcp
from matd.sim.source import Geometry
from matd.wire.decoder import new_decoder
from matd.wire.stream import StreamDecoder

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 30.0  # a cold `python -m matd` on a busy 2-core machine


def compiled_or_reference() -> Callable[[], StreamDecoder]:
    try:
        new_decoder("compiled")
    except NativeMissing:
        return lambda: new_decoder("reference")
    return new_decoder


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def matd_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_matd(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matd", *args],
        cwd=ROOT,
        env=matd_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class SimProcess:
    """`python -m matd simulate ...` in a subprocess; `where` is its first stdout line."""

    def __init__(self, *args: str, log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "matd", "simulate", *args],
            cwd=ROOT,
            env=matd_env(),
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], STARTUP_S)
        if not ready:
            self.stop()
            raise AssertionError(f"matd simulate printed nothing: {log_path.read_text()}")
        self.where = self.proc.stdout.readline().decode().strip()
        self.ready_at = time.monotonic()
        if not self.where:
            self.stop()
            raise AssertionError(f"matd simulate failed: {log_path.read_text()}")

    def stop(self) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()
        return code


SMALL = Geometry(rows=8, cols=16)


class DeviceThread:
    """A VirtualMat served in a thread of the test process, on a pty or a TCP port."""

    def __init__(
        self,
        mat: VirtualMat,
        *,
        tcp: bool = False,
        port: int = 0,
        link_path: str | None = None,
    ) -> None:
        self.mat = mat
        self.stop_event = threading.Event()
        self._ready = threading.Event()
        self.where: str = ""
        self.port = 0

        def on_ready(where: object) -> None:
            self.where = str(where)
            if isinstance(where, int):
                self.port = where
            self._ready.set()

        if tcp:
            self.thread = threading.Thread(
                target=serve_tcp,
                args=(mat,),
                kwargs={"stop": self.stop_event, "on_ready": on_ready, "port": port},
                daemon=True,
            )
        else:
            self.thread = threading.Thread(
                target=serve_pty,
                args=(mat,),
                kwargs={"stop": self.stop_event, "on_ready": on_ready, "link_path": link_path},
                daemon=True,
            )
        self.thread.start()
        assert self._ready.wait(10), "the virtual mat did not come up"

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)
