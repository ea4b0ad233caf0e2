"""Passwords, ACLs and TLS against a Mosquitto configured for them.

The CA and certificates are made by the test (trustme); the password file by
mosquitto_passwd. Failures must be loud: in the log and in the sink's status.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from .mqttkit import events_of, feed, make_tls_files, pushup_set, sink_config, wait_until

BASE = "matd/mat-1"
# matd may not publish events; everything else of its own it may.
ACL_NO_EVENTS = f"""
user matd
topic readwrite {BASE}/availability
topic readwrite {BASE}/state
topic readwrite {BASE}/set/last
topic readwrite {BASE}/health
topic readwrite {BASE}/sag_threshold
topic read {BASE}/event
topic read {BASE}/cmd/#
topic readwrite homeassistant/#

user ha
topic read #
topic write homeassistant/status
topic write matd/+/cmd/#
"""
ACL_ALL = f"""
user matd
topic readwrite {BASE}/#
topic readwrite homeassistant/#

user ha
topic read #
topic write homeassistant/status
topic write matd/+/cmd/#
"""
USERS = {"matd": "correct horse", "ha": "battery staple"}


def password_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mqtt-password"
    path.write_text(text + "\n")  # as an editor leaves it
    path.chmod(0o600)
    return str(path)


def test_right_credentials_over_tls_work(mosquitto, watchers, rigs, tmp_path) -> None:
    tls = make_tls_files(tmp_path / "pki")
    broker = mosquitto(users=USERS, acl=ACL_ALL, tls=tls)
    ha = watchers(broker.port, ["matd/#"], username="ha", password=USERS["ha"], tls=tls)
    cfg = sink_config(
        tmp_path,
        broker.port,
        host="localhost",  # the name on the server certificate
        username="matd",
        password_file=password_file(tmp_path, USERS["matd"]),
        tls=True,
        ca_file=str(tls.ca_file),
    )
    rig = rigs(cfg)
    assert ha.wait_topic(f"{BASE}/availability").payload == b"online"
    steps = pushup_set(reps=3)
    feed(rig.hub, steps)
    got = ha.wait_count(f"{BASE}/event", len(events_of(steps)))
    assert [m.json()["event_type"] for m in got] == [e["event_type"] for e in events_of(steps)]
    status = rig.sink.status()
    assert status["connected"] and status["last_error"] is None
    assert status["publish_denied"] == 0


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_a_wrong_password_is_reported_not_silent(
    protocol, mosquitto, rigs, tmp_path, caplog
) -> None:
    broker = mosquitto(users=USERS, acl=ACL_ALL)
    cfg = sink_config(tmp_path, broker.port, username="matd", password="wrong", protocol=protocol)
    with caplog.at_level(logging.ERROR, logger="matd.sinks.mqtt"):
        rig = rigs(cfg)
        wait_until(lambda: rig.sink.status()["last_error"] is not None)
    status = rig.sink.status()
    assert not status["connected"]
    error = status["last_error"].lower()
    assert "refused" in error and ("not authori" in error or "bad user name" in error), error
    assert "'matd'" in status["last_error"]
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("refused the connection as user 'matd'" in m for m in logged)
    # It keeps trying (the password file may be fixed, the broker's users changed)
    # but says it once, not at every attempt.
    steps = pushup_set(reps=2)
    feed(rig.hub, steps)
    wait_until(lambda: rig.sink.status()["queued_events"] == len(events_of(steps)))
    assert len([m for m in logged if "refused" in m]) == 1


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_a_topic_the_acl_denies_is_reported_in_log_and_health(
    protocol, mosquitto, watchers, rigs, tmp_path, caplog
) -> None:
    broker = mosquitto(users=USERS, acl=ACL_NO_EVENTS)
    ha = watchers(broker.port, ["matd/#"], username="ha", password=USERS["ha"])
    cfg = sink_config(
        tmp_path, broker.port, username="matd", password=USERS["matd"], protocol=protocol
    )
    with caplog.at_level(logging.ERROR, logger="matd.sinks.mqtt"):
        rig = rigs(cfg)
        ha.wait_topic(f"{BASE}/availability", lambda m: m.payload == b"online")
        feed(rig.hub, pushup_set(reps=2))
        wait_until(lambda: rig.sink.status()["publish_denied"] >= 1, timeout=15)
    status = rig.sink.status()
    assert status["connected"]
    assert status["denied_topics"] == [f"{BASE}/event"]
    assert f"denied publishing to {BASE}/event" in status["last_error"]
    assert any(f"denied publishing to {BASE}/event" in r.getMessage() for r in caplog.records)
    # The health topic, which the ACL allows, tells whoever watches the daemon.
    health = ha.wait_topic(f"{BASE}/health", lambda m: m.json()["mqtt"]["publish_denied"] >= 1)
    assert health.json()["mqtt"]["denied_topics"] == [f"{BASE}/event"]
    assert ha.count(f"{BASE}/event") == 0


def test_a_server_certificate_from_another_ca_is_refused(mosquitto, rigs, tmp_path, caplog) -> None:
    broker_pki = make_tls_files(tmp_path / "broker-pki", "broker-ca")
    other_pki = make_tls_files(tmp_path / "other-pki", "some-other-ca")
    broker = mosquitto(tls=broker_pki)
    cfg = sink_config(
        tmp_path, broker.port, host="localhost", tls=True, ca_file=str(other_pki.ca_file)
    )
    with caplog.at_level(logging.ERROR, logger="matd.sinks.mqtt"):
        rig = rigs(cfg)
        wait_until(lambda: "certificate" in (rig.sink.status()["last_error"] or ""))
    status = rig.sink.status()
    assert not status["connected"]
    assert "certificate refused" in status["last_error"]
    assert any("certificate refused" in r.getMessage() for r in caplog.records)


def test_tls_verification_can_be_turned_off(mosquitto, rigs, tmp_path, caplog) -> None:
    broker_pki = make_tls_files(tmp_path / "broker-pki", "broker-ca")
    broker = mosquitto(tls=broker_pki)
    cfg = sink_config(tmp_path, broker.port, host="127.0.0.1", tls=True, tls_verify=False)
    with caplog.at_level(logging.WARNING, logger="matd.sinks.mqtt"):
        rig = rigs(cfg)
        wait_until(lambda: rig.sink.status()["connected"])
    assert any("NOT verified" in r.getMessage() for r in caplog.records)


def test_a_client_certificate_logs_in_where_the_broker_requires_one(
    mosquitto, rigs, tmp_path
) -> None:
    pki = make_tls_files(tmp_path / "pki")
    broker = mosquitto(tls=pki, require_client_cert=True)
    with_cert = sink_config(
        tmp_path / "a",
        broker.port,
        host="localhost",
        tls=True,
        ca_file=str(pki.ca_file),
        certfile=str(pki.client_cert),
        keyfile=str(pki.client_key),
    )
    without = sink_config(
        tmp_path / "b", broker.port, host="localhost", tls=True, ca_file=str(pki.ca_file)
    )
    good = rigs(with_cert)
    bad = rigs(without)
    wait_until(lambda: good.sink.status()["connected"])
    wait_until(lambda: bad.sink.status()["last_error"] is not None)
    assert not bad.sink.status()["connected"]
    assert "closed the connection" in bad.sink.status()["last_error"]
    assert good.sink.status()["last_error"] is None
