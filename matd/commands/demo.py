"""`matd demo`: the daemon on a built-in simulated mat whose person does push-up sets in
a loop. The virtual mat runs on a real pty inside this process, so the daemon reads it
through the same link, decoder and pipeline as a real mat."""

from __future__ import annotations

import argparse
import logging
import queue
import threading

from matd.commands.common import add_daemon_flags, config_from_args
from matd.commands.simulate import default_scenario, resolve_source
from matd.config import ConfigError
from matd.sim.device import VirtualMat, serve_pty

log = logging.getLogger("matd.demo")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="the daemon on a simulated mat doing push-up sets in a loop")
    add_daemon_flags(p)
    p.add_argument("--scenario", help="what the simulated person does (default: demo)")
    p.add_argument("--seed", type=int, default=1, help="seed of the simulated person")
    p.add_argument("--seconds", type=float, help="stop after this long")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from matd.daemon import Daemon

    if args.port:
        raise ConfigError("--port: the demo brings its own simulated mat; use `matd run`")
    # MQTT only when a broker was asked for: a fresh machine has none, and the demo
    # should not fill the terminal with reconnect attempts.
    wants_mqtt = args.mqtt_host is not None or args.mqtt_port is not None
    if not wants_mqtt:
        args.no_mqtt = True
    source = resolve_source(args.scenario or default_scenario(), args.seed)
    mat = VirtualMat(source)
    stop = threading.Event()
    where: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=serve_pty,
        kwargs={"mat": mat, "stop": stop, "on_ready": where.put},
        name="virtual-mat",
        daemon=True,
    ).start()
    path = where.get(timeout=10)
    args.port = path
    cfg = config_from_args(args)
    log.info("demo: a simulated mat on %s", path)
    daemon = Daemon(cfg, console=True, keep_tare=False, keep_person=False)
    if args.seconds is not None:
        threading.Timer(args.seconds, daemon.request_stop).start()
    try:
        return daemon.run_forever()
    finally:
        stop.set()
