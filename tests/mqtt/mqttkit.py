"""Test kit: a real Mosquitto, a real paho subscriber, and the sink behind a real Hub.

`mosquitto(...)` starts a broker on a free port with its own config folder: optional
users (a mosquitto_passwd file), an ACL, a TLS listener (a test CA made with trustme,
and optionally a client certificate required). It can be stopped and started again on
the same port, for the broker-comes-and-goes tests.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import trustme
from paho.mqtt.enums import CallbackAPIVersion

from matd.config import Config, load_config
from matd.controls import Controls
from matd.hub import Hub
from matd.sinks.mqtt import MqttSink

Payload = dict[str, Any]

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def _ephemeral_range() -> tuple[int, int]:
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A free port *below* the kernel's ephemeral range. A broker restarted on a port from
    that range can find it taken by a client's outgoing connection, even by the sink's own
    reconnect to that very port (a TCP self-connect), for as long as the client waits."""
    lo, _ = _ephemeral_range()
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, lo - 12000), lo)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class TlsFiles:
    ca: trustme.CA
    ca_file: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_tls_files(folder: Path, name: str = "test-ca") -> TlsFiles:
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name=name)
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("matd-client@example.org")
    files = TlsFiles(
        ca=ca,
        ca_file=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=folder / "server.key",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
    )
    ca.cert_pem.write_to_path(str(files.ca_file))
    server.private_key_pem.write_to_path(str(files.server_key))
    with open(files.server_cert, "wb") as fh:
        for blob in server.cert_chain_pems:
            fh.write(blob.bytes())
    client.private_key_pem.write_to_path(str(files.client_key))
    with open(files.client_cert, "wb") as fh:
        for blob in client.cert_chain_pems:
            fh.write(blob.bytes())
    return files


@dataclass
class Broker:
    folder: Path
    port: int
    users: dict[str, str] = field(default_factory=dict)
    acl: str | None = None
    tls: TlsFiles | None = None
    require_client_cert: bool = False
    persistence: bool = False
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "mosquitto.log"

    def write_config(self) -> Path:
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.folder}/",
            # Started as root, Mosquitto would switch to its own user and lose the files.
            "user root",
            f"log_dest file {self.log_path}",
            "log_type all",
            "connection_messages true",
        ]
        if self.users:
            pw = self.folder / "passwd"
            pw.write_text("")
            for user, password in self.users.items():
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", str(pw), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {pw}"]
        else:
            lines.append("allow_anonymous true")
        if self.acl is not None:
            acl = self.folder / "acl"
            acl.write_text(self.acl)
            lines.append(f"acl_file {acl}")
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.ca_file}",
                f"certfile {self.tls.server_cert}",
                f"keyfile {self.tls.server_key}",
                f"require_certificate {'true' if self.require_client_cert else 'false'}",
            ]
        conf = self.folder / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self) -> None:
        # A restart on the same port can find it briefly held (an old connection's socket,
        # or an outgoing connection that drew it as its ephemeral port): try again a while.
        for attempt in range(40):
            try:
                self._start_once()
                return
            except RuntimeError as exc:
                if "Address already in use" not in str(exc) or attempt == 39:
                    raise
                self.proc = None
                time.sleep(0.5)

    def _start_once(self) -> None:
        assert self.proc is None, "already running"
        conf = self.write_config()
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited: {err}\n{self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    qos: int
    at: float

    def json(self) -> Any:
        return json.loads(self.payload)


class Watcher:
    """A real MQTT client that records everything on the topics it watches."""

    def __init__(
        self,
        port: int,
        topics: list[str],
        *,
        username: str | None = None,
        password: str | None = None,
        tls: TlsFiles | None = None,
        session: str | None = None,
    ) -> None:
        """`session`: a persistent session under that client id, so that what is
        published while this watcher reconnects is kept for it (needs a broker with
        persistence, to outlive a broker restart)."""
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=session or f"watcher-{os.urandom(3).hex()}",
            clean_session=session is None,
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        if username:
            self.client.username_pw_set(username, password)
        if tls is not None:
            self.client.tls_set(ca_certs=str(tls.ca_file))
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        host = "localhost" if tls is not None else "127.0.0.1"
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._subscribed.wait(5), "watcher could not subscribe"

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(
                Received(msg.topic, bytes(msg.payload), bool(msg.retain), msg.qos, time.monotonic())
            )
            self._cond.notify_all()

    def count(self, topic: str) -> int:
        return len(self.on(topic))

    def wait_count(self, topic: str, n: int, timeout: float = 10.0) -> list[Received]:
        self.wait_for(lambda ms: len([m for m in ms if m.topic == topic]) >= n, timeout)
        return self.on(topic)

    def wait_events(self, topic: str, n: int, timeout: float = 10.0) -> list[Received]:
        """Waits for `n` distinct events (by `seq`): QoS 1 may deliver one twice, so a
        plain count can be reached while the last event is still on its way."""

        def distinct(ms: list[Received]) -> int:
            return len({m.json()["seq"] for m in ms if m.topic == topic})

        self.wait_for(lambda ms: distinct(ms) >= n, timeout)
        return self.on(topic)

    def on(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "timed out; got:\n"
                        + "\n".join(f"{m.topic} {m.payload[:120]!r}" for m in self.messages[-30:])
                    )
                self._cond.wait(left)
            return list(self.messages)

    def wait_topic(
        self, topic: str, pred: Callable[[Received], bool] = lambda m: True, timeout: float = 10
    ) -> Received:
        msgs = self.wait_for(lambda ms: any(m.topic == topic and pred(m) for m in ms), timeout)
        return [m for m in msgs if m.topic == topic and pred(m)][-1]

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def sink_config(tmp_path: Path, port: int, **mqtt_over: Any) -> Config:
    mqtt_cfg: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "reconnect_min_s": 0.2,
        "reconnect_max_s": 1.0,
        "discovery_delay_max_s": 0.4,
        "verify_timeout_s": 2.0,
    }
    mqtt_cfg.update(mqtt_over)
    return load_config(
        environ={},
        overrides={
            "device_id": "mat-1",
            "state_dir": str(tmp_path / "state"),
            "http": {"enabled": False},
            "mqtt": mqtt_cfg,
        },
    )


@dataclass
class Rig:
    """The sink behind a real Hub, as the daemon runs it."""

    cfg: Config
    sink: MqttSink
    hub: Hub
    controls: Controls

    @property
    def base(self) -> str:
        return self.sink.topics.base

    def stop(self) -> None:
        self.hub.stop()


def wait_until(pred: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or pred}")
        time.sleep(0.02)


Step = tuple[str, dict[str, Any]]  # ("event" | "state", payload)


def _ts(t: float) -> str:
    return f"2026-01-01T10:{int(t) // 60:02d}:{t % 60:06.3f}Z"


def state_at(t: float, phase: str, set_id: int | None, reps: int = 0, sag: bool = False) -> Payload:
    return {
        "phase": phase,
        "reps": reps,
        "partial_reps": 0,
        "sag": sag,
        "hands_share": 0.69 if phase in ("plank", "set") else None,
        "cop": {"x_mm": 300.0, "y_mm": 900.0 - reps} if phase != "idle" else None,
        "load": 715.0 if phase != "idle" else 0.0,
        "set_id": set_id,
        "ts": _ts(t),
        "t": t,
        "link_up": True,
    }


def pushup_set(set_id: int = 1, t0: float = 10.0, reps: int = 6, sag_from: int = 4) -> list[Step]:
    """A realistic set: plank, set_started, reps, a sag from rep `sag_from` that ends at
    the next rep, set_ended; with the states the detector would hand out between."""

    def ev(event_type: str, t: float, **fields: Any) -> Step:
        return (
            "event",
            {"event_type": event_type, "t": t, "ts": _ts(t), "set_id": set_id, **fields},
        )

    steps: list[Step] = [("state", state_at(t0 - 1.0, "plank", None))]
    t = t0
    steps.append(ev("set_started", t, knees=False))
    steps.append(("state", state_at(t, "set", set_id)))
    sag_at = None
    for n in range(1, reps + 1):
        t += 1.8
        if n == sag_from:
            sag_at = t - 0.9
            steps.append(ev("sag_started", sag_at, depth=0.021))
            steps.append(("state", state_at(sag_at, "set", set_id, n - 1, sag=True)))
        steps.append(ev("rep", t, n=n, depth=0.07, partial=False, duration_s=1.8))
        steps.append(("state", state_at(t, "set", set_id, n, sag=sag_at is not None)))
        if sag_at is not None and n == sag_from + 1:
            steps.append(
                ev("sag_ended", t + 0.1, duration_s=round(t + 0.1 - sag_at, 3), max_depth=0.03)
            )
            steps.append(("state", state_at(t + 0.1, "set", set_id, n)))
            sag_at = None
    t += 1.5
    steps.append(
        ev(
            "set_ended",
            t,
            kind="pushup",
            reps=reps,
            partial_reps=0,
            duration_s=round(t - t0, 3),
            sag_episodes=1,
            sag_seconds=1.9,
            baseline_u=0.668,
            balance=0.51,
        )
    )
    steps.append(("state", state_at(t, "idle", None)))
    return steps


def feed(hub: Hub, steps: list[Step]) -> None:
    for kind, payload in steps:
        if kind == "event":
            hub.publish_event(payload)
        else:
            hub.publish_state(payload)


def events_of(steps: list[Step]) -> list[dict[str, Any]]:
    return [p for k, p in steps if k == "event"]
