"""`matd run`: the daemon on a real mat (serial in; MQTT and HTTP out)."""

from __future__ import annotations

import argparse
import logging

from matd.commands.common import add_daemon_flags, config_from_args

log = logging.getLogger("matd")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="the daemon: the mat in, MQTT and HTTP out")
    add_daemon_flags(p)
    p.add_argument("--console", action="store_true", help="also print events on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from matd.daemon import Daemon

    cfg = config_from_args(args)
    daemon = Daemon(cfg, console=args.console)
    log.info(
        "matd starting: device %s, mat %s, mqtt %s",
        cfg.device_id,
        cfg.mat.port or "(probing USB)",
        f"{cfg.mqtt.host}:{cfg.mqtt.port}" if cfg.mqtt.enabled else "off",
    )
    return daemon.run_forever()
