"""A broker that comes and goes: nothing of a set is lost, nothing comes out of order."""

from __future__ import annotations

import logging
import time

from .mqttkit import events_of, feed, pushup_set, sink_config, wait_until

DISCOVERY = "homeassistant/device/mat-1/config"


def test_broker_gone_ten_seconds_mid_set_loses_nothing(
    mosquitto, watchers, rigs, tmp_path, caplog
) -> None:
    # Persistence lets the watcher's own session (and so what is published while it
    # reconnects) outlive the broker restart, like a consumer with a persistent session.
    broker = mosquitto(persistence=True)
    w = watchers(broker.port, ["matd/#", "homeassistant/#"], session="consumer")
    rig = rigs(sink_config(tmp_path, broker.port))
    w.wait_topic("matd/mat-1/availability", lambda m: m.payload == b"online")
    steps = pushup_set(reps=8, sag_from=4)
    sent = events_of(steps)
    first, middle, last = steps[:6], steps[6:16], steps[16:]

    feed(rig.hub, first)
    w.wait_count("matd/mat-1/event", len(events_of(first)))
    wait_until(lambda: rig.sink.status()["queued_events"] == 0, what="acks of the first part")
    broker.stop()
    wait_until(lambda: not rig.sink.status()["connected"], what="the sink to notice")
    with caplog.at_level(logging.WARNING, logger="matd.sinks.mqtt"):
        feed(rig.hub, middle)  # raised while the broker is away
        time.sleep(10)
        status = rig.sink.status()
        assert status["queued_events"] == len(events_of(middle))
        assert not status["connected"]
        assert "unreachable" in status["last_error"] or "lost" in status["last_error"]
    assert any("lost the broker" in r.getMessage() for r in caplog.records)

    restarted_at = time.monotonic()
    broker.start()
    feed(rig.hub, last)
    got = w.wait_events("matd/mat-1/event", len(sent), timeout=15)
    events = [m.json() for m in got]
    # The broker may deliver again what its persistent session for the watcher had in
    # flight at the restart (QoS 1); first arrivals must be in order.
    first_arrivals = list(dict.fromkeys(e["seq"] for e in events))
    assert first_arrivals == sorted(first_arrivals), "events out of order"
    unique = list({e["seq"]: e for e in events}.values())  # QoS 1 may repeat one
    assert [{k: v for k, v in e.items() if k != "seq"} for e in unique] == sent

    # Discovery and availability are published again on the new connection.
    def live_after(topic: str):
        return lambda m: m.topic == topic and m.at >= restarted_at and not m.retain

    w.wait_topic(DISCOVERY, live_after(DISCOVERY))
    w.wait_topic(
        "matd/mat-1/availability", lambda m: live_after(m.topic)(m) and m.payload == b"online"
    )
    wait_until(lambda: rig.sink.status()["queued_events"] == 0, what="the last PUBACK")
    status = rig.sink.status()
    assert status["connected"] and status["connects"] == 2
    assert status["dropped_events"] == 0
    final_state = steps[-1][1]
    w.wait_topic("matd/mat-1/state", lambda m: m.json() == final_state)


def test_broker_down_at_start_is_fine_and_events_wait(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto(start=False)
    rig = rigs(sink_config(tmp_path, broker.port))
    steps = pushup_set(reps=3)
    feed(rig.hub, steps)  # the daemon keeps detecting meanwhile
    wait_until(lambda: rig.sink.status()["queued_events"] == len(events_of(steps)))
    wait_until(lambda: "unreachable" in (rig.sink.status()["last_error"] or ""))
    assert "refused" in rig.sink.status()["last_error"].lower()

    broker.start()
    w = watchers(broker.port, ["matd/mat-1/set/last", DISCOVERY, "matd/mat-1/availability"])
    last = w.wait_topic("matd/mat-1/set/last", timeout=15)
    assert {k: v for k, v in last.json().items() if k != "seq"} == events_of(steps)[-1]
    w.wait_topic(DISCOVERY)
    assert w.wait_topic("matd/mat-1/availability").payload == b"online"
    wait_until(lambda: rig.sink.status()["queued_events"] == 0)
    assert rig.sink.status()["events_sent"] == len(events_of(steps))


def test_overflow_while_away_is_counted_and_shown_in_health(
    mosquitto, watchers, rigs, tmp_path, caplog
) -> None:
    broker = mosquitto(persistence=True)
    w = watchers(broker.port, ["matd/mat-1/event", "matd/mat-1/health"], session="consumer")
    broker.stop()
    rig = rigs(sink_config(tmp_path, broker.port, event_queue_max=4))
    steps = pushup_set(reps=6)
    sent = events_of(steps)
    with caplog.at_level(logging.WARNING, logger="matd.sinks.mqtt"):
        feed(rig.hub, steps)
        wait_until(lambda: rig.sink.status()["dropped_events"] == len(sent) - 4)
    assert sum("event queue full" in r.getMessage() for r in caplog.records) == len(sent) - 4

    broker.start()
    # The newest four made it, in order; the rest is counted, in health too.
    got = [m.json() for m in w.wait_events("matd/mat-1/event", 4, timeout=15)]
    unique = list({e["seq"]: e for e in got}.values())  # QoS 1 may repeat one
    assert [{k: v for k, v in e.items() if k != "seq"} for e in unique] == sent[-4:]
    health = w.wait_topic(
        "matd/mat-1/health", lambda m: m.json()["mqtt"]["dropped_events"] == len(sent) - 4
    )
    assert health.json()["mqtt"]["connected"] is True


def test_stop_says_offline_before_leaving(mosquitto, watchers, rigs, tmp_path) -> None:
    broker = mosquitto()
    w = watchers(broker.port, ["matd/mat-1/availability", "matd/mat-1/event"])
    rig = rigs(sink_config(tmp_path, broker.port))
    w.wait_topic("matd/mat-1/availability", lambda m: m.payload == b"online")
    rig.hub.publish_event({"event_type": "set_started", "t": 1.0, "ts": None, "set_id": 1})
    rig.stop()
    # The queued event went out before offline, and offline is retained.
    w.wait_topic("matd/mat-1/availability", lambda m: m.payload == b"offline")
    assert w.count("matd/mat-1/event") == 1
    late = watchers(broker.port, ["matd/mat-1/availability"])
    assert late.wait_topic("matd/mat-1/availability").payload == b"offline"
