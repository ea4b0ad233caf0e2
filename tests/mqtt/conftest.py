"""Fixtures: a real Mosquitto per test, real paho watchers, and the sink behind a real Hub."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from matd.config import Config
from matd.controls import Controls
from matd.hub import Hub
from matd.sinks.mqtt import MqttSink

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
