"""Flags that `matd run` and `matd demo` share, mapped onto configuration keys."""

from __future__ import annotations

import argparse
from typing import Any

from matd.config import Config, load_config


def add_daemon_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="TOML configuration file")
    p.add_argument("--port", help="device path or pyserial URL of the mat (mat.port)")
    p.add_argument("--state-dir", metavar="DIR", help="history, token, tare (state_dir)")
    p.add_argument("--device-id", metavar="ID", help="this mat's id on MQTT (device_id)")
    p.add_argument("--http-host", help="address the web server listens on (http.host)")
    p.add_argument("--http-port", type=int, help="port of the web server (http.port)")
    p.add_argument("--no-http", action="store_true", help="no web server (http.enabled)")
    p.add_argument("--mqtt-host", help="MQTT broker host (mqtt.host)")
    p.add_argument("--mqtt-port", type=int, help="MQTT broker port (mqtt.port)")
    p.add_argument("--no-mqtt", action="store_true", help="no MQTT (mqtt.enabled)")


def config_from_args(args: argparse.Namespace, **defaults: Any) -> Config:
    over: dict[str, Any] = {}

    def put(section: str | None, key: str, value: Any) -> None:
        if value is None:
            return
        (over.setdefault(section, {}) if section else over)[key] = value

    for section, values in defaults.items():
        over[section] = dict(values)
    put("mat", "port", getattr(args, "port", None))
    put(None, "state_dir", args.state_dir)
    put(None, "device_id", args.device_id)
    put("http", "host", args.http_host)
    put("http", "port", args.http_port)
    put("mqtt", "host", args.mqtt_host)
    put("mqtt", "port", args.mqtt_port)
    if args.no_http:
        put("http", "enabled", False)
    if args.no_mqtt:
        put("mqtt", "enabled", False)
    return load_config(args.config, overrides=over)
