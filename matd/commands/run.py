"""`matd run`: the daemon on a real mat (serial in; MQTT and HTTP out).

`matd run --remove-discovery` is a one-shot instead: it takes this mat out of Home
Assistant (and clears its retained topics) on the configured broker, then exits."""

from __future__ import annotations

import argparse
import logging

from matd.commands.common import add_daemon_flags, config_from_args
from matd.config import Config, ConfigError

log = logging.getLogger("matd")

# Long enough for a broker across a slow Wi-Fi, short enough for a script to wait on.
REMOVE_DISCOVERY_TIMEOUT_S = 10.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="the daemon: the mat in, MQTT and HTTP out")
    add_daemon_flags(p)
    p.add_argument("--console", action="store_true", help="also print events on stdout")
    p.add_argument(
        "--remove-discovery",
        action="store_true",
        help="remove this mat from Home Assistant (empty retained discovery and state "
        "on the broker), then exit: 0 when the broker took it, 1 when not",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    if args.remove_discovery:
        return remove_discovery(cfg)

    from matd.daemon import Daemon

    daemon = Daemon(cfg, console=args.console)
    log.info(
        "matd starting: device %s, mat %s, mqtt %s",
        cfg.device_id,
        cfg.mat.port or "(probing USB)",
        f"{cfg.mqtt.host}:{cfg.mqtt.port}" if cfg.mqtt.enabled else "off",
    )
    return daemon.run_forever()


def remove_discovery(cfg: Config) -> int:
    """Needs only the broker's settings: no mat, no state folder, no running daemon."""
    from matd.sinks.mqtt import clear_home_assistant

    if not cfg.mqtt.enabled:
        raise ConfigError("--remove-discovery needs MQTT: mqtt.enabled is off (--no-mqtt)")
    log.info(
        "removing device %s from Home Assistant via %s:%d",
        cfg.device_id,
        cfg.mqtt.host,
        cfg.mqtt.port,
    )
    return 0 if clear_home_assistant(cfg, timeout=REMOVE_DISCOVERY_TIMEOUT_S) else 1
