"""Fixtures: a real Mosquitto per test, real paho watchers, and the sink behind a real Hub."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from matd.config import Config
from matd.controls import Controls
from matd.hub import Hub
from matd.sinks.mqtt import MqttSink

from .daemonkit import spawn_matd
from .mqttkit import Broker, Rig, TlsFiles, Watcher, free_port


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    brokers: list[Broker] = []

    def make(
        *,
        users: dict[str, str] | None = None,
        acl: str | None = None,
        tls: TlsFiles | None = None,
        require_client_cert: bool = False,
        persistence: bool = False,
        start: bool = True,
    ) -> Broker:
        folder = tmp_path / f"broker{len(brokers)}"
        folder.mkdir()
        broker = Broker(
            folder=folder,
            port=free_port(),
            users=users or {},
            acl=acl,
            tls=tls,
            require_client_cert=require_client_cert,
            persistence=persistence,
        )
        brokers.append(broker)
        if start:
            broker.start()
        return broker

    yield make
    for b in brokers:
        b.stop()


@pytest.fixture
def watchers() -> Iterator[Callable[..., Watcher]]:
    made: list[Watcher] = []

    def make(port: int, topics: list[str], **kw: Any) -> Watcher:
        w = Watcher(port, topics, **kw)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


@pytest.fixture
def rigs() -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(cfg: Config, health_extra: Callable[[], dict[str, Any]] | None = None) -> Rig:
        controls = Controls()
        sink = MqttSink(cfg, controls, "0.1.0-test", health_extra=health_extra)
        hub = Hub()
        hub.add(sink)
        hub.start()
        rig = Rig(cfg, sink, hub, controls)
        made.append(rig)
        return rig

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def processes() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """`processes("run", ...)` starts `python -m matd run ...`; all are killed at the end."""
    started: list[subprocess.Popen[str]] = []

    def spawn(*args: str) -> subprocess.Popen[str]:
        proc = spawn_matd(*args)
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
