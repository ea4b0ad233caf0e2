"""The MQTT sink: live state, events, health and Home Assistant discovery on a broker.

Threads and who does what:
- The hub calls on_state / on_event / on_health from this sink's hub worker; they only
  record what arrived and wake the publisher.
- paho's network thread (loop_start) runs the callbacks; they only record facts
  (connected, acked, a command) and wake the publisher. paho holds its own locks while
  it calls back, so the publisher never holds ours while it calls into paho.
- The publisher thread does every publish, so the order of events on the wire is the
  order they happened.

A broker that comes and goes: paho reconnects with capped exponential backoff and never
gives up. Events wait in a bounded queue while the broker is away; an event handed to
paho stays with paho until the broker acknowledges it, and paho re-sends it after a
reconnect before anything newer goes out (the publisher waits for the SUBACK of the new
session, which comes after paho's re-sends). What overflows is counted, logged and shown
in health.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import socket
import ssl
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from matd.config import Config, ConfigError, MqttConfig
from matd.controls import Controls
from matd.sinks.ha_discovery import (
    MatTopics,
    build_discovery,
    discovery_topic,
    ha_status_topic,
)

log = logging.getLogger(__name__)

Payload = dict[str, Any]

# At most 10 state messages a second (CONTRACT.md).
STATE_MIN_INTERVAL_S = 0.1
# Health on change is still held to one a second: link flaps must not flood the broker.
HEALTH_MIN_INTERVAL_S = 1.0
# Events handed to paho and not yet acknowledged by the broker.
EVENT_WINDOW = 32
# How long stop() lets queued events drain before it says offline.
STOP_FLUSH_S = 0.5
# Keys that change all the time and so are no reason to publish again.
_STATE_VOLATILE = ("ts", "t")
_HEALTH_VOLATILE = ("uptime_s", "frames_per_s", "ts", "t")
COMMANDS = ("tare", "end_set", "sag_threshold", "calibrate", "remove_discovery")


def read_password(cfg: MqttConfig) -> str | None:
    """The broker password, from the config or from its own file (first line)."""
    if cfg.password_file:
        try:
            text = Path(cfg.password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"config key 'mqtt.password_file': cannot read {cfg.password_file}: {exc.strerror}"
            ) from None
        lines = text.splitlines()
        return lines[0] if lines else ""
    return cfg.password


def make_tls_context(cfg: MqttConfig) -> ssl.SSLContext:
    """TLS to the broker: verification on unless turned off, client certificate if set."""
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cfg.ca_file)
        if cfg.certfile:
            ctx.load_cert_chain(cfg.certfile, cfg.keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"config key 'mqtt' TLS files: {exc}") from None
    if not cfg.tls_verify:
        log.warning("MQTT TLS: the broker's certificate is NOT verified (mqtt.tls_verify=false)")
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def default_client_id(device_id: str) -> str:
    # Two daemons with one id would kick each other off the broker in a loop.
    return f"matd-{device_id}-{os.urandom(3).hex()}"


class SequenceNumbers:
    """The per-device event sequence number, strictly increasing across restarts.

    The file holds a bound no number handed out has passed. Numbers are reserved in
    blocks, so the file is written once per block rather than once per event; after a
    crash the next run starts past the reserved block (a gap, never a repeat). A clean
    stop writes the exact last number, so a restart continues without a gap.
    """

    BLOCK = 64

    def __init__(self, state_dir: str) -> None:
        self.path = Path(state_dir) / "mqtt_seq"
        self._lock = threading.Lock()
        self._persist = True
        try:
            stored = int(self.path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            stored = 0
        except (OSError, ValueError) as exc:
            # Without a readable file, wall-clock milliseconds still exceed any number a
            # previous run with a lost file could have reached at one event a millisecond.
            log.warning("event sequence file %s unusable (%s): using the clock", self.path, exc)
            stored = int(time.time() * 1000)
        self.last = stored
        self._reserved = stored
        self._reserve(stored + self.BLOCK)

    def _write(self, value: int) -> None:
        if not self._persist:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            with open(tmp, "w", encoding="ascii") as fh:
                fh.write(f"{value}\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("cannot persist the event sequence in %s: %s", self.path, exc)
            self._persist = False

    def _reserve(self, bound: int) -> None:
        self._write(bound)
        self._reserved = bound

    def next(self) -> int:
        with self._lock:
            self.last += 1
            if self.last > self._reserved:
                self._reserve(self.last + self.BLOCK)
            return self.last

    def close(self) -> None:
        with self._lock:
            self._write(self.last)
            self._reserved = self.last


def _without(payload: Payload, keys: tuple[str, ...]) -> Payload:
    return {k: v for k, v in payload.items() if k not in keys}


def _health_signature(payload: Payload) -> Payload:
    return _without(payload, _HEALTH_VOLATILE)


def _dumps(payload: Any) -> str:
    # allow_nan=False: NaN is not JSON, and a consumer's parser would choke on it.
    return json.dumps(payload, separators=(",", ":"), allow_nan=False, default=str)


def _reason_text(rc: ReasonCode | int | MQTTErrorCode) -> str:
    if isinstance(rc, ReasonCode):
        return rc.getName()
    if isinstance(rc, MQTTErrorCode):
        return mqtt.error_string(rc)
    return str(rc)


class MqttSink:
    """Publishes the mat on MQTT per CONTRACT.md and takes its commands from there."""

    name = "mqtt"

    def __init__(
        self,
        cfg: Config,
        controls: Controls,
        version: str,
        health_extra: Callable[[], Payload] | None = None,
    ) -> None:
        self.cfg = cfg
        self.mcfg = cfg.mqtt
        self.controls = controls
        self.version = version
        self.health_extra = health_extra
        self.device_id = cfg.device_id
        self.topics = MatTopics.for_device(self.mcfg.base_topic, cfg.device_id)
        self.discovery_topic = discovery_topic(self.mcfg.discovery_prefix, cfg.device_id)
        self.ha_status_topic = ha_status_topic(self.mcfg.discovery_prefix)
        self.client_id = self.mcfg.client_id or default_client_id(cfg.device_id)
        self._password = read_password(self.mcfg)
        self._tls = make_tls_context(self.mcfg) if self.mcfg.tls else None
        self._seq = SequenceNumbers(cfg.state_dir)
        self._client = self._make_client()

        self._cond = threading.Condition()
        self._stopping = False
        self._started = False
        self._publisher: threading.Thread | None = None
        # Connection, as paho reports it.
        self._connected = False
        self._ready = False  # connected and subscribed: paho's re-sends are out
        self._subscribe_mid: int | None = None
        self._hello_due = False  # availability, discovery and retained state to (re)send
        self._discovery_due_at: float | None = None
        self._discovery_removed = False
        self._remove_discovery_due = False
        # Events.
        self._pending: deque[Payload] = deque()
        self._inflight: OrderedDict[int, Payload] = OrderedDict()
        self._qos1_topics: dict[int, str] = {}  # mid -> topic of other QoS 1 publishes
        self._acks: deque[tuple[int, ReasonCode]] = deque()
        # Retained state.
        self._state: Payload | None = None
        self._state_sent_sig: Payload | None = None
        self._state_sent_at = 0.0
        self._last_set: Payload | None = None
        self._last_set_dirty = False
        self._health: Payload = {}
        self._health_sent_at = -math.inf
        self._health_dirty = False
        self._sag_threshold = cfg.detector.sag_threshold_u
        self._sag_threshold_dirty = False
        # Publish verification: topic -> when a publish on it went out unconfirmed.
        self._echo_topics: set[str] = set()
        self._echo_wait: dict[str, float] = {}
        # Counters and the last problem, for status() and health.
        self._last_error: str | None = None
        self._last_error_ts: str | None = None
        self._publish_denied = 0
        self._denied_topics: set[str] = set()
        self._dropped_events = 0
        self._events_sent = 0
        self._bad_commands = 0
        self._connects = 0
        self._probe_running = False
        self._refused = False  # the last CONNACK said no (its reason is already told)

    # ---- paho client -------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        protocol = mqtt.MQTTv5 if self.mcfg.protocol == "5" else mqtt.MQTTv311
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=protocol,
            reconnect_on_failure=True,
        )
        if self.mcfg.username is not None:
            client.username_pw_set(self.mcfg.username, self._password)
        if self._tls is not None:
            client.tls_set_context(self._tls)
        client.will_set(self.topics.availability, "offline", qos=1, retain=True)
        client.reconnect_delay_set(
            min_delay=self.mcfg.reconnect_min_s,  # type: ignore[arg-type]
            max_delay=self.mcfg.reconnect_max_s,  # type: ignore[arg-type]
        )
        # The publisher bounds what it hands over; paho must never hold messages back
        # in its own "queued" state, which it re-sends out of order after a reconnect.
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    # ---- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; a broker that is down now is fine."""
        if self._started:
            return
        self._started = True
        self._publisher = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self._publisher.start()
        props = None
        if self.mcfg.protocol == "5":
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 0
        self._client.connect_async(
            self.mcfg.host,
            self.mcfg.port,
            keepalive=self.mcfg.keepalive_s,
            clean_start=True if self.mcfg.protocol == "5" else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=props,
        )
        self._client.loop_start()
        log.info(
            "MQTT: connecting to %s:%d as %s (MQTT %s%s)",
            self.mcfg.host,
            self.mcfg.port,
            self.client_id,
            self.mcfg.protocol,
            ", TLS" if self._tls else "",
        )

    def stop(self) -> None:
        """Publish `offline` first, then disconnect; never waits long on a dead broker."""
        if not self._started:
            return
        with self._cond:
            # Let what is queued go out first while the broker is there, briefly.
            deadline = time.monotonic() + STOP_FLUSH_S
            while self._ready and (self._pending or self._inflight):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            self._stopping = True
            connected = self._connected
            self._cond.notify_all()
        if self._publisher is not None:
            self._publisher.join(1.0)
        self._seq.close()
        if connected:
            try:
                info = self._client.publish(self.topics.availability, "offline", qos=1, retain=True)
                info.wait_for_publish(timeout=1.0)
            except (RuntimeError, ValueError) as exc:
                log.warning("MQTT: could not publish offline: %s", exc)
        self._client.disconnect()
        # loop_stop joins paho's thread, which may sit in a connect attempt; bound it.
        stopper = threading.Thread(target=self._client.loop_stop, daemon=True)
        stopper.start()
        stopper.join(1.0)
        self._started = False
        with self._cond:
            left = len(self._pending) + len(self._inflight)
        if left:
            log.warning("MQTT: %d events not delivered at shutdown", left)

    # ---- from the hub ------------------------------------------------------------

    def on_state(self, state: Payload) -> None:
        with self._cond:
            self._state = state
            self._cond.notify_all()

    def _state_changed_locked(self) -> bool:
        return self._state is not None and _without(self._state, _STATE_VOLATILE) != (
            self._state_sent_sig
        )

    def on_event(self, event: Payload) -> None:
        ev = dict(event)
        ev["seq"] = self._seq.next()
        with self._cond:
            if ev.get("event_type") == "set_ended":
                self._last_set = ev
                self._last_set_dirty = True
            if len(self._pending) >= self.mcfg.event_queue_max:
                lost = self._pending.popleft()
                self._dropped_events += 1
                self._health_dirty = True
                log.warning(
                    "MQTT: event queue full (%d): dropped %s seq %s",
                    self.mcfg.event_queue_max,
                    lost.get("event_type"),
                    lost.get("seq"),
                )
            self._pending.append(ev)
            self._cond.notify_all()

    def on_health(self, health: Payload) -> None:
        with self._cond:
            if _health_signature(health) != _health_signature(self._health):
                self._health_dirty = True
            self._health = dict(health)
            self._cond.notify_all()

    # ---- for the daemon's health and HTTP API ------------------------------------

    def status(self) -> Payload:
        with self._cond:
            return self._status_locked()

    def _status_locked(self) -> Payload:
        return {
            "connected": self._connected,
            "broker": f"{self.mcfg.host}:{self.mcfg.port}",
            "client_id": self.client_id,
            "last_error": self._last_error,
            "last_error_ts": self._last_error_ts,
            "publish_denied": self._publish_denied,
            "denied_topics": sorted(self._denied_topics),
            "queued_events": len(self._pending) + len(self._inflight),
            "dropped_events": self._dropped_events,
            "events_sent": self._events_sent,
            "bad_commands": self._bad_commands,
            "connects": self._connects,
            "last_seq": self._seq.last,
        }

    def remove_discovery(self) -> None:
        """Clear the device out of Home Assistant and send no more discovery this run."""
        with self._cond:
            self._remove_discovery_due = True
            self._discovery_due_at = None
            self._cond.notify_all()

    # ---- paho callbacks (paho's thread; record and wake the publisher) -----------

    def _set_error(self, message: str, level: int = logging.ERROR, quiet: bool = False) -> None:
        """Caller holds the lock. Logs a problem once, not at every retry."""
        if message != self._last_error and not quiet:
            log.log(level, "MQTT: %s", message)
        else:
            log.debug("MQTT: %s", message)
        self._last_error = message
        self._last_error_ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._health_dirty = True

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            with self._cond:
                self._refused = True
                who = f" as user {self.mcfg.username!r}" if self.mcfg.username else ""
                self._set_error(
                    f"broker {self.mcfg.host}:{self.mcfg.port} refused the connection{who}: "
                    f"{_reason_text(reason_code)}"
                )
            return
        echo = self._echo_list()
        subs = [(t, 1) for t in (*self._needed_subscriptions(), *echo)]
        with self._cond:
            self._connected = True
            self._ready = False
            self._connects += 1
            self._echo_topics = set(echo)
            self._echo_wait.clear()
            log.info(
                "MQTT: %s %s:%d",
                "reconnected to" if self._connects > 1 else "connected to",
                self.mcfg.host,
                self.mcfg.port,
            )
            self._health_dirty = True
        # Subscribing here is paho's documented place; the SUBACK comes after paho has
        # re-sent what the last session left unacknowledged, and only then do we publish.
        result, mid = client.subscribe(subs)
        with self._cond:
            if result == MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._subscribe_mid = mid
            else:
                self._ready = True
                self._hello_due = True
                self._cond.notify_all()

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Any,
    ) -> None:
        with self._cond:
            if mid != self._subscribe_mid:
                return
            needed = self._needed_subscriptions()
            topics = [*needed, *self._echo_list()]
            refused = [t for t, rc in zip(topics, reason_codes, strict=False) if rc.is_failure]
            self._echo_topics.difference_update(refused)
            if any(t in needed for t in refused):
                self._set_error(
                    "broker refused the subscription to "
                    + ", ".join(t for t in refused if t in needed)
                    + ": commands or Home Assistant restarts will be missed"
                )
            if any(t not in needed for t in refused):
                log.info(
                    "MQTT: cannot read back %s; publishes there are not verified",
                    ", ".join(t for t in refused if t not in needed),
                )
            self._ready = True
            self._hello_due = True
            self._cond.notify_all()

    def _needed_subscriptions(self) -> list[str]:
        return [self.topics.cmd_wildcard, self.ha_status_topic]

    def _echo_list(self) -> list[str]:
        """Own topics read back to check the broker took what was published there
        (in subscription order: the SUBACK answers each in turn)."""
        if not self.mcfg.verify_publish:
            return []
        t = self.topics
        own = [t.availability, t.state, t.event, t.set_last, t.health, t.sag_threshold]
        if self.mcfg.discovery:
            own.append(self.discovery_topic)
        return own

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        # paho gives no reason; find it out of paho's thread so backoff and stop() don't wait.
        with self._cond:
            if self._probe_running or self._stopping:
                return
            self._probe_running = True
        threading.Thread(target=self._probe_broker, name="mqtt-probe", daemon=True).start()

    def _probe_broker(self) -> None:
        try:
            level, problem = self._connect_problem()
        finally:
            with self._cond:
                self._probe_running = False
        with self._cond:
            if not self._connected and not self._stopping:
                self._set_error(problem, level)

    def _connect_problem(self) -> tuple[int, str]:
        """Why a connect failed, and how loud to say it (a broker away is a warning;
        a certificate refused is a configuration error)."""
        where = f"{self.mcfg.host}:{self.mcfg.port}"
        try:
            sock = socket.create_connection((self.mcfg.host, self.mcfg.port), timeout=2.0)
        except OSError as exc:
            return logging.WARNING, f"broker {where} unreachable: {exc.strerror or exc}"
        try:
            if self._tls is not None:
                try:
                    tls_sock = self._tls.wrap_socket(sock, server_hostname=self.mcfg.host)
                    tls_sock.close()
                except ssl.SSLCertVerificationError as exc:
                    return (
                        logging.ERROR,
                        f"TLS: broker {where} certificate refused: {exc.verify_message}",
                    )
                except (ssl.SSLError, OSError) as exc:
                    return logging.ERROR, f"TLS handshake with broker {where} failed: {exc}"
            return logging.ERROR, f"cannot connect to broker {where}: it takes TCP, not MQTT"
        finally:
            sock.close()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        with self._cond:
            was_connected = self._connected
            self._connected = False
            self._ready = False
            self._echo_wait.clear()
            if self._stopping:
                return
            refused, self._refused = self._refused, False
            if not was_connected and not refused:
                # Closed after TCP (and TLS) but before the CONNACK: with TLS 1.3 this is
                # how a broker turns away a client certificate it does not accept.
                hint = " (a client certificate it does not accept?)" if self._tls else ""
                self._set_error(
                    f"broker {self.mcfg.host}:{self.mcfg.port} closed the connection "
                    f"before accepting it: {_reason_text(reason_code)}{hint}"
                )
            if was_connected:
                # paho reports a dropped connection as "Unspecified error".
                why = _reason_text(reason_code)
                why = "connection lost" if why == "Unspecified error" else why
                self._set_error(
                    f"lost the broker {self.mcfg.host}:{self.mcfg.port}: {why}; reconnecting",
                    logging.WARNING,
                )
            self._cond.notify_all()

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        # Called with paho's message lock held: record only.
        with self._cond:
            self._acks.append((mid, reason_code))
            self._cond.notify_all()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        if topic == self.ha_status_topic:
            self._on_ha_status(msg.payload)
            return
        if topic.startswith(self.topics.base + "/cmd/"):
            self._on_command(topic.rsplit("/", 1)[1], msg)
            return
        if not msg.retain:
            with self._cond:
                self._echo_wait.pop(topic, None)

    def _on_ha_status(self, payload: bytes | bytearray) -> None:
        if payload.strip().lower() != b"online":
            return
        with self._cond:
            if not self.mcfg.discovery or self._discovery_removed:
                return
            top = self.mcfg.discovery_delay_max_s
            # Many devices answer the same birth: a random delay spreads their replies.
            delay = random.uniform(top / 2, top)
            self._discovery_due_at = time.monotonic() + delay
            self._cond.notify_all()
        log.info("MQTT: Home Assistant is online: discovery again in %.1f s", delay)

    def _bad_command(self, name: str, why: str) -> None:
        log.warning("MQTT: command %s ignored: %s", name, why)
        with self._cond:
            self._bad_commands += 1
            self._health_dirty = True
            self._cond.notify_all()

    def _on_command(self, name: str, msg: mqtt.MQTTMessage) -> None:
        if msg.retain:
            # A retained command would be replayed at every reconnect: re-tare, re-end...
            self._bad_command(name, "retained commands are not taken (publish without retain)")
            return
        if name == "tare":
            self.controls.tare()
            log.info("MQTT: tare requested")
        elif name == "end_set":
            self.controls.end_set()
            log.info("MQTT: end of set requested")
        elif name == "calibrate":
            self.controls.calibrate()
            log.info("MQTT: calibration requested: hold a good plank")
        elif name == "sag_threshold":
            try:
                text = msg.payload.decode("utf-8").strip()
                value = float(text)
            except (UnicodeDecodeError, ValueError):
                self._bad_command(name, f"not a number: {msg.payload[:40]!r}")
                return
            if not math.isfinite(value):
                self._bad_command(name, f"not a finite number: {text[:40]!r}")
                return
            try:
                self.controls.set_sag_threshold(value)
            except ValueError as exc:
                self._bad_command(name, str(exc))
                return
            log.info("MQTT: sag threshold set to %g u", value)
            with self._cond:
                self._sag_threshold = value
                self._sag_threshold_dirty = True
                self._cond.notify_all()
        elif name == "remove_discovery":
            log.info("MQTT: removing the device from Home Assistant on request")
            self.remove_discovery()
        else:
            self._bad_command(name, f"unknown command (known: {', '.join(COMMANDS)})")

    # ---- the publisher thread ----------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    work = self._collect_locked(time.monotonic())
                    if work is not None:
                        break
                    self._cond.wait(self._next_wakeup_locked(time.monotonic()))
            try:
                self._do(work)
            except Exception:  # the publisher must outlive any one bad payload
                log.exception("MQTT: publishing failed")

    def _next_wakeup_locked(self, now: float) -> float | None:
        due: list[float] = []
        if self._ready:
            if self._state_changed_locked():
                due.append(self._state_sent_at + STATE_MIN_INTERVAL_S)
            due.append(self._health_sent_at + self.mcfg.health_interval_s)
            if self._health_dirty:
                due.append(self._health_sent_at + HEALTH_MIN_INTERVAL_S)
            if self._discovery_due_at is not None:
                due.append(self._discovery_due_at)
            if self._echo_wait:
                due.append(min(self._echo_wait.values()) + self.mcfg.verify_timeout_s)
        if not due:
            return None
        return max(0.005, min(due) - now)

    def _collect_locked(self, now: float) -> dict[str, Any] | None:
        """What to publish now, taken under the lock; None when there is nothing."""
        work: dict[str, Any] = {}
        self._process_acks_locked()
        self._check_echoes_locked(now)
        if self._remove_discovery_due and self._ready:
            self._remove_discovery_due = False
            self._discovery_removed = True
            work["remove_discovery"] = True
        if not self._ready:
            return work or None
        if self._hello_due:
            self._hello_due = False
            work["hello"] = True
            work["discovery"] = self.mcfg.discovery and not self._discovery_removed
            self._state_sent_sig = None  # retained state goes out again in full
            self._health_dirty = True
            self._last_set_dirty = self._last_set is not None
            self._sag_threshold_dirty = True
        if self._discovery_due_at is not None and now >= self._discovery_due_at:
            self._discovery_due_at = None
            if not self._discovery_removed:
                work["discovery"] = True
                # Home Assistant asks for retained state again after it has (re)started.
                self._state_sent_sig = None
                self._last_set_dirty = self._last_set is not None
                self._sag_threshold_dirty = True
                work["availability"] = True
        room = EVENT_WINDOW - len(self._inflight)
        if room > 0 and self._pending:
            batch: list[Payload] = []
            while self._pending and len(batch) < room:
                batch.append(self._pending.popleft())
            work["events"] = batch
        if self._last_set_dirty and not self._pending and self._last_set is not None:
            self._last_set_dirty = False
            work["set_last"] = self._last_set
        if (
            self._state is not None
            and now >= self._state_sent_at + STATE_MIN_INTERVAL_S
            and self._state_changed_locked()
        ):
            work["state"] = self._state
            self._state_sent_sig = _without(self._state, _STATE_VOLATILE)
            self._state_sent_at = now
        if self._sag_threshold_dirty:
            self._sag_threshold_dirty = False
            work["sag_threshold"] = self._sag_threshold
        since = now - self._health_sent_at
        if since >= self.mcfg.health_interval_s or (
            self._health_dirty and since >= HEALTH_MIN_INTERVAL_S
        ):
            work["health"] = True
            self._health_sent_at = now
            self._health_dirty = False
        return work or None

    def _health_payload(self) -> Payload:
        # health_extra is the daemon's: call it without holding our lock.
        extra: Payload = {}
        if self.health_extra is not None:
            try:
                extra = self.health_extra()
            except Exception:
                log.exception("MQTT: health_extra failed")
        with self._cond:
            health = dict(self._health)
            health.setdefault("version", self.version)
            health.update(extra)
            health["mqtt"] = self._status_locked()
        return health

    def _process_acks_locked(self) -> None:
        while self._acks:
            mid, rc = self._acks.popleft()
            ev = self._inflight.pop(mid, None)
            topic = self.topics.event if ev is not None else self._qos1_topics.pop(mid, None)
            if ev is not None:
                self._events_sent += 1
            if rc.is_failure and topic is not None:
                # MQTT 5 says so in the PUBACK; 3.1.1 brokers drop silently (see echoes).
                self._echo_wait.pop(topic, None)
                self._denied(topic, _reason_text(rc))

    def _denied(self, topic: str, why: str) -> None:
        self._publish_denied += 1
        known = topic in self._denied_topics
        self._denied_topics.add(topic)
        self._set_error(f"broker denied publishing to {topic}: {why}", quiet=known)

    def _check_echoes_locked(self, now: float) -> None:
        if not self._ready:
            return
        late = [t for t, at in self._echo_wait.items() if now - at >= self.mcfg.verify_timeout_s]
        for topic in late:
            del self._echo_wait[topic]
            self._denied(
                topic,
                f"not seen back within {self.mcfg.verify_timeout_s:g} s (ACL denies it?)",
            )

    def _publish(self, topic: str, payload: str | bytes, qos: int, retain: bool) -> int | None:
        """Publish without holding the lock; returns the mid if paho took it."""
        armed = False
        if payload not in (b"", ""):
            with self._cond:
                # Armed before publishing: the echo can beat publish() back to us.
                if self._ready and topic in self._echo_topics and topic not in self._echo_wait:
                    self._echo_wait[topic] = time.monotonic()
                    armed = True
        try:
            info = self._client.publish(topic, payload, qos=qos, retain=retain)
        except ValueError as exc:
            log.error("MQTT: cannot publish to %s: %s", topic, exc)
            info = None
        if info is None or info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            if armed:
                with self._cond:
                    self._echo_wait.pop(topic, None)
            if info is None:
                return None
            if info.rc != MQTTErrorCode.MQTT_ERR_NO_CONN:
                log.warning("MQTT: publish to %s failed: %s", topic, mqtt.error_string(info.rc))
                return None
            if qos == 0:
                return None
            # Not connected, QoS 1: paho keeps it and sends it after the reconnect.
        if qos > 0 and topic != self.topics.event:
            with self._cond:
                self._qos1_topics[info.mid] = topic
        return info.mid

    def _do(self, work: dict[str, Any]) -> None:
        t = self.topics
        if work.get("remove_discovery"):
            # An empty retained payload removes the device and all its entities.
            self._publish(self.discovery_topic, b"", qos=1, retain=True)
        if work.get("discovery"):
            self._publish(self.discovery_topic, _dumps(self._discovery_payload()), 1, True)
        if work.get("hello") or work.get("availability"):
            self._publish(t.availability, "online", qos=1, retain=True)
        for ev in work.get("events", ()):
            try:
                body = _dumps(ev)
            except ValueError as exc:
                log.error("MQTT: event %s not JSON-able (%s): dropped", ev.get("event_type"), exc)
                with self._cond:
                    self._dropped_events += 1
                continue
            mid = self._publish(t.event, body, qos=1, retain=False)
            with self._cond:
                if mid is None:
                    self._dropped_events += 1
                    self._health_dirty = True
                else:
                    self._inflight[mid] = ev
        if "set_last" in work:
            self._publish(t.set_last, _dumps(work["set_last"]), qos=1, retain=True)
        if "state" in work:
            self._publish(t.state, _dumps(work["state"]), qos=0, retain=True)
        if "sag_threshold" in work:
            self._publish(t.sag_threshold, f"{work['sag_threshold']:g}", qos=1, retain=True)
        if work.get("health"):
            self._publish(t.health, _dumps(self._health_payload()), qos=0, retain=True)

    def _discovery_payload(self) -> Payload:
        http = self.cfg.http
        url = None
        if http.enabled:
            host = socket.gethostname() if http.host in ("0.0.0.0", "::", "") else http.host
            url = f"http://{host}:{http.port}/"
        return build_discovery(
            device_id=self.device_id,
            topics=self.topics,
            version=self.version,
            health_interval_s=self.mcfg.health_interval_s,
            configuration_url=url,
        )


def clear_home_assistant(cfg: Config, timeout: float = 5.0) -> bool:
    """Remove this mat from Home Assistant and clear its retained topics, then disconnect.

    For `matd` to call when the device is retired (a flag of `matd run`, or a command).
    Returns True when the broker acknowledged every empty payload.
    """
    mcfg = cfg.mqtt
    topics = MatTopics.for_device(mcfg.base_topic, cfg.device_id)
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=default_client_id(cfg.device_id),
        protocol=mqtt.MQTTv5 if mcfg.protocol == "5" else mqtt.MQTTv311,
    )
    if mcfg.username is not None:
        client.username_pw_set(mcfg.username, read_password(mcfg))
    if mcfg.tls:
        client.tls_set_context(make_tls_context(mcfg))
    try:
        client.connect(mcfg.host, mcfg.port, keepalive=mcfg.keepalive_s)
    except OSError as exc:
        log.error("MQTT: cannot reach %s:%d: %s", mcfg.host, mcfg.port, exc)
        return False
    client.loop_start()
    try:
        targets = [
            discovery_topic(mcfg.discovery_prefix, cfg.device_id),
            topics.state,
            topics.set_last,
            topics.health,
            topics.sag_threshold,
            topics.availability,
        ]
        infos = [client.publish(topic, b"", qos=1, retain=True) for topic in targets]
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(timeout=max(0.0, deadline - time.monotonic()))
        ok = all(info.is_published() for info in infos)
        if ok:
            log.info("MQTT: device %s removed from Home Assistant", cfg.device_id)
        else:
            log.error("MQTT: the broker did not acknowledge the removal in %.0f s", timeout)
        return ok
    except RuntimeError as exc:
        log.error("MQTT: removal failed: %s", exc)
        return False
    finally:
        client.disconnect()
        client.loop_stop()
