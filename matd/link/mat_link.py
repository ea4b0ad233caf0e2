"""The serial link to one mat: a reader thread that owns the port, reads bytes, decodes
them and hands every message on. It knows bytes and packets, nothing of push-ups.

Unplug and replug are routine: when the port errors or vanishes the link closes it and
retries with a growing backoff (up to cfg.reconnect_max_s), logging one WARNING when an
outage starts and one INFO when the mat is back, never one line per retry.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import serial
from serial.tools import list_ports

from matd.config import MatConfig
from matd.link.port import (
    PORT_ERRORS,
    check_port,
    is_device_path,
    open_port,
    read_some,
    still_there,
)
from matd.link.probe import PROBE_TIMEOUT_S, find_mat, rank_ports
from matd.wire.decoder import new_decoder
from matd.wire.messages import BAD_REASONS, Command, Frame, Hello, Message, pack
from matd.wire.stream import StreamDecoder, WireStats

log = logging.getLogger(__name__)

BACKOFF_MIN_S = 0.05
VANISH_CHECK_S = 0.5  # how often a device path is checked for still naming our tty
RATE_WINDOW_S = 2.0  # frames_per_s is measured over this much recent time
REPROBE_S = 10.0  # with no port configured, the same unanswering ports are re-asked this often
CALLBACK_ERROR_LOG_S = 10.0


def _add_stats(total: WireStats, part: WireStats) -> WireStats:
    bad = dict.fromkeys(BAD_REASONS, 0)
    for counts in (total.bad, part.bad):
        for reason, n in counts.items():
            bad[reason] = bad.get(reason, 0) + n
    return WireStats(
        bytes=total.bytes + part.bytes,
        packets=total.packets + part.packets,
        frames=total.frames + part.frames,
        bad_packets=total.bad_packets + part.bad_packets,
        lost_frames=total.lost_frames + part.lost_frames,
        bad=bad,
    )


class MatLink:
    """One mat's port, read by its own thread.

    `on_message` is called from the reader thread for every decoded message (HELLO,
    frames, LOG, ACK), in order. `port` is a device path or a pyserial URL; None means
    find the mat by probing the USB serial ports on every (re)connect.

    Each connection gets a fresh decoder from `decoder_factory` (so its sequence starts
    over, and a packet cut off by an unplug is not mistaken for a corrupt one); `stats`
    sums them all. After (re)connecting the link skips to the first 0x00, so a packet
    whose start it missed is not counted as bad either (see `skipped_bytes`).

    `on_bytes` (optional) sees the bytes given to the decoder, in order: `matd record`
    uses it. `on_link` (optional) is called with True when the mat is heard after
    (re)connecting and with False when the port is lost."""

    def __init__(
        self,
        port: str | None,
        cfg: MatConfig,
        on_message: Callable[[Message], None],
        decoder_factory: Callable[[], StreamDecoder] = new_decoder,
        *,
        on_bytes: Callable[[bytes], None] | None = None,
        on_link: Callable[[bool], None] | None = None,
        probe_timeout: float = PROBE_TIMEOUT_S,
    ) -> None:
        if port is not None:
            check_port(port)
        self.port = port
        self.cfg = cfg
        self.on_message = on_message
        self._decoder_factory = decoder_factory
        self._on_bytes = on_bytes
        self._on_link = on_link
        self._probe_timeout = probe_timeout
        # Made now, so a missing compiled decoder fails at construction, not in the thread.
        self._decoder = decoder_factory()
        self._fresh_decoder = True
        self._earlier_stats = WireStats()
        self._stats_lock = threading.Lock()
        self._port_lock = threading.Lock()  # guards _serial against send() from other threads
        self._serial: serial.SerialBase | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = False
        self._hello: Hello | None = None
        self._outages = 0
        self._lost_at: float | None = None
        self._warned_down = False
        self._frame_times: deque[float] = deque(maxlen=4096)
        self._last_frame_at: float | None = None
        self._last_callback_log = -CALLBACK_ERROR_LOG_S
        self._last_probe: tuple[list[str] | None, float] = (None, 0.0)
        self.port_in_use: str | None = (
            None  # the path or URL open now (found by probing, or `port`)
        )
        self.skipped_bytes = 0
        self.callback_errors = 0

    # ------------------------------------------------------------ what others read

    @property
    def connected(self) -> bool:
        """The port is open and the mat has been heard since it was opened."""
        return self._connected

    @property
    def hello(self) -> Hello | None:
        """The latest HELLO: the mat's geometry, pitch, rate, encoding and identity."""
        return self._hello

    @property
    def outages(self) -> int:
        """How many times the link was lost after being up."""
        return self._outages

    @property
    def stats(self) -> WireStats:
        """Wire counters, cumulative across reconnects (a snapshot)."""
        with self._stats_lock:
            return _add_stats(self._earlier_stats, self._decoder.stats)

    @property
    def last_frame_at(self) -> float | None:
        """time.monotonic() when the latest frame arrived, None before the first."""
        return self._last_frame_at

    @property
    def frames_per_s(self) -> float:
        """Frames per second as they arrived over the last RATE_WINDOW_S (0 when none)."""
        now = time.monotonic()
        with self._stats_lock:
            first = last = None
            n = 0
            for t in reversed(self._frame_times):
                if now - t > RATE_WINDOW_S:
                    break
                last = t if last is None else last
                first = t
                n += 1
        if n < 2 or first is None or last is None or last <= first:
            return 0.0
        return (n - 1) / (last - first)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mat-link", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and close the port (what start() opened)."""
        self._stop.set()
        with self._port_lock:
            ser = self._serial
        cancel = getattr(ser, "cancel_read", None)
        if cancel is not None:
            with contextlib.suppress(*PORT_ERRORS):
                cancel()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._connected = False

    def send(self, command: Command) -> bool:
        """Write one command to the mat, from any thread. False if no port is open now or
        the write failed (the reader notices a port that went away)."""
        data = pack(command)
        with self._port_lock:
            if self._serial is None:
                return False
            try:
                self._serial.write(data)
            except PORT_ERRORS as exc:
                log.debug("mat link: could not send %r: %s", command, exc)
                return False
        return True

    # ------------------------------------------------------------ the reader thread

    def _run(self) -> None:
        backoff = BACKOFF_MIN_S
        while not self._stop.is_set():
            port, reason = self._choose_port()
            if port is not None:
                try:
                    ser = open_port(port, self.cfg)
                except PORT_ERRORS as exc:
                    reason = f"cannot open {port}: {exc}"
                else:
                    reason, heard = self._session(port, ser)
                    if reason is None:
                        break
                    if heard:
                        backoff = BACKOFF_MIN_S
            self._went_down(reason or "no port")
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.cfg.reconnect_max_s)
        self._connected = False

    def _choose_port(self) -> tuple[str | None, str | None]:
        if self.port is not None:
            return self.port, None
        candidates = rank_ports(list_ports.comports(), self.cfg.usb_vid, self.cfg.usb_pid)
        asked, at = self._last_probe
        # Ports that stayed silent are not re-asked every second: only when the set of
        # ports changes (a mat was plugged in) or every REPROBE_S.
        if candidates == asked and time.monotonic() - at < REPROBE_S:
            return None, "no mat found on the serial ports"
        found = find_mat(self.cfg, self._probe_timeout, self._stop)
        if found is None:
            self._last_probe = (candidates, time.monotonic())
            return None, f"no mat found on the serial ports ({len(candidates)} probed)"
        self._last_probe = (None, 0.0)
        return found.port, None

    def _next_decoder(self) -> StreamDecoder:
        with self._stats_lock:
            if not self._fresh_decoder:
                self._earlier_stats = _add_stats(self._earlier_stats, self._decoder.stats)
                self._decoder = self._decoder_factory()
            self._fresh_decoder = False
            return self._decoder

    def _session(self, port: str, ser: serial.SerialBase) -> tuple[str | None, bool]:
        """Read one open port until it fails (returns why) or the link stops (None)."""
        decoder = self._next_decoder()
        heard = False
        synced = False
        with self._port_lock:
            self._serial = ser
            self.port_in_use = port
        try:
            with self._port_lock:
                ser.write(pack(Command.get_info()) + pack(Command.start()))
            watch_path = is_device_path(port)
            next_check = time.monotonic() + VANISH_CHECK_S
            while not self._stop.is_set():
                data = read_some(ser)
                if data:
                    if not heard:
                        heard = True
                        self._went_up(port)
                    if not synced:
                        # Joined mid-stream: what precedes the first 0x00 is the tail of a
                        # packet whose start we never saw.
                        at = data.find(0)
                        if at < 0:
                            self.skipped_bytes += len(data)
                            continue
                        self.skipped_bytes += at
                        data = data[at:]
                        synced = True
                    if self._on_bytes is not None:
                        self._call(self._on_bytes, data)
                    self._dispatch(decoder.feed(data))
                if watch_path and time.monotonic() >= next_check:
                    next_check = time.monotonic() + VANISH_CHECK_S
                    if not still_there(port, ser):
                        return f"{port} is gone", heard
            return None, heard
        except PORT_ERRORS as exc:
            return str(exc) or type(exc).__name__, heard
        finally:
            with self._port_lock:
                self._serial = None
                with contextlib.suppress(*PORT_ERRORS):
                    ser.close()

    def _dispatch(self, messages: list[Message]) -> None:
        for msg in messages:
            if isinstance(msg, Frame):
                now = time.monotonic()
                with self._stats_lock:
                    self._frame_times.append(now)
                self._last_frame_at = now
            elif isinstance(msg, Hello):
                self._hello = msg
            self._call(self.on_message, msg)

    def _call(self, handler: Callable[[Any], None], arg: object) -> None:
        try:
            handler(arg)
        except Exception:
            # A bug downstream must not kill the reader: it is counted, and logged at
            # most once every CALLBACK_ERROR_LOG_S.
            self.callback_errors += 1
            now = time.monotonic()
            if now - self._last_callback_log >= CALLBACK_ERROR_LOG_S:
                self._last_callback_log = now
                log.exception("mat link: handler failed (%d so far)", self.callback_errors)

    def _went_up(self, port: str) -> None:
        self._connected = True
        self._warned_down = False
        if self._lost_at is not None:
            log.info("mat link back after %.1f s", time.monotonic() - self._lost_at)
            self._lost_at = None
        else:
            log.info("mat link up on %s", port)
        if self._on_link is not None:
            self._on_link(True)

    def _went_down(self, reason: str) -> None:
        if self._connected:
            self._connected = False
            self._outages += 1
            self._lost_at = time.monotonic()
            log.warning("mat link lost: %s", reason)
            if self._on_link is not None:
                self._on_link(False)
        elif not self._warned_down and self._lost_at is None:
            self._warned_down = True
            log.warning("mat link down: %s (retrying)", reason)
        else:
            log.debug("mat link retry: %s", reason)
