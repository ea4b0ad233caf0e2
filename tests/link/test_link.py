"""The link against real virtual mats: every frame arrives, unplug and replug are
survived and logged once, commands go out from any thread."""

from __future__ import annotations

import itertools
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from matd.config import ConfigError, MatConfig
from matd.link import MatLink
from matd.sim.device import VirtualMat
from matd.sim.patterns import pattern_source
from matd.wire.messages import Ack, AckStatus, Command, Frame, Hello, Message, MsgType, pack
from matd.wire.stream import StreamDecoder

from .linkkit import SMALL, DeviceThread, SimProcess, wait_until

LINK_LOGGER = "matd.link.mat_link"


class Inbox:
    """What the link handed on, from its reader thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Message] = []
        self.link_changes: list[tuple[bool, float]] = []

    def __call__(self, msg: Message) -> None:
        with self.lock:
            self.messages.append(msg)

    def on_link(self, up: bool) -> None:
        self.link_changes.append((up, time.monotonic()))

    def frames(self) -> list[Frame]:
        with self.lock:
            return [m for m in self.messages if isinstance(m, Frame)]

    def of(self, kind: type) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if isinstance(m, kind)]


def consecutive(frames: list[Frame]) -> bool:
    return all((b.seq - a.seq) & 0xFFFFFFFF == 1 for a, b in itertools.pairwise(frames))


def test_every_frame_arrives_over_a_pty(
    simulators: Callable[..., SimProcess],
    decoder_factory: Callable[[], StreamDecoder],
    tmp_path: Path,
) -> None:
    sim = simulators("--pty", "--link", str(tmp_path / "mat"), "--scenario", "hands-and-toes")
    assert sim.where.startswith("/dev/pts/")
    assert os.readlink(tmp_path / "mat") == sim.where
    inbox = Inbox()
    link = MatLink(str(tmp_path / "mat"), MatConfig(), inbox, decoder_factory)
    link.start()
    try:
        wait_until(lambda: len(inbox.frames()) >= 100, 30, "100 frames")
        assert link.connected
        assert link.frames_per_s > 0
        assert link.last_frame_at is not None
    finally:
        link.stop()
    frames = inbox.frames()
    assert consecutive(frames), "a sequence number is missing"
    stats = link.stats
    assert stats.lost_frames == 0
    assert stats.bad_packets == 0
    assert stats.frames == len(frames)
    # The link asked for HELLO and took the geometry from it; the frames agree.
    hello = link.hello
    assert hello is not None
    assert (hello.rows, hello.cols, hello.row_pitch_um, hello.col_pitch_um) == (
        32,
        80,
        25000,
        25000,
    )
    assert all(f.cells.shape == (32, 80) for f in frames)
    # Device time is the mat's clock, one scan period (20 ms at 50 Hz) apart.
    assert {b.device_time_us - a.device_time_us for a, b in itertools.pairwise(frames)} == {20000}
    acks = inbox.of(Ack)
    assert Ack(MsgType.GET_INFO, AckStatus.DONE) in acks
    assert Ack(MsgType.START, AckStatus.DONE) in acks
    assert not link.connected


def test_unplug_and_replug_reconnects_and_logs_the_outage_once(
    simulators: Callable[..., SimProcess],
    decoder_factory: Callable[[], StreamDecoder],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LINK_LOGGER)
    port = tmp_path / "smartmat"
    first = simulators("--pty", "--link", str(port))
    inbox = Inbox()
    cfg = MatConfig(reconnect_max_s=1.0)
    link = MatLink(str(port), cfg, inbox, decoder_factory, on_link=inbox.on_link)
    link.start()
    try:
        wait_until(lambda: len(inbox.frames()) >= 20, 30, "frames from the first mat")

        # Unplug: the simulator goes, and with it the pty and the symlink.
        assert first.stop() == 0
        assert not port.exists() and not port.is_symlink()
        wait_until(lambda: not link.connected, 10, "the link to notice")
        before = len(inbox.frames())
        time.sleep(1.5)  # away long enough for several retries
        assert len(inbox.frames()) == before

        # Replug at the same path.
        second = simulators("--pty", "--link", str(port))
        wait_until(lambda: len(inbox.frames()) >= before + 20, 30, "frames from the second mat")
        assert link.connected
    finally:
        link.stop()

    ups = [t for up, t in inbox.link_changes if up]
    downs = [t for up, t in inbox.link_changes if not up]
    assert len(ups) == 2 and len(downs) == 1
    assert ups[1] - second.ready_at <= 2.0, "not back within 2 s of the port's return"
    assert link.outages == 1

    records = [r for r in caplog.records if r.name == LINK_LOGGER]
    lost = [r for r in records if "lost" in r.getMessage()]
    back = [r for r in records if "back" in r.getMessage()]
    assert [r.levelno for r in lost] == [logging.WARNING]
    assert [r.levelno for r in back] == [logging.INFO]
    assert "mat link back after" in back[0].getMessage()
    retries = [r for r in records if "retry" in r.getMessage()]
    assert len(retries) >= 2 and all(r.levelno == logging.DEBUG for r in retries)
    # Each connection's frames are complete; none were lost or corrupt across the replug.
    frames = inbox.frames()
    assert consecutive(frames[:before]) and consecutive(frames[before:])
    assert link.stats.lost_frames == 0
    assert link.stats.bad_packets == 0
    assert link.stats.frames == len(frames)


def test_tcp_peer_closing_is_an_outage_and_the_link_comes_back(
    devices: Callable[..., DeviceThread],
    decoder_factory: Callable[[], StreamDecoder],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LINK_LOGGER)
    first = devices(tcp=True)
    inbox = Inbox()
    link = MatLink(f"socket://127.0.0.1:{first.port}", MatConfig(), inbox, decoder_factory)
    link.start()
    try:
        wait_until(lambda: len(inbox.frames()) >= 20, 20, "frames over TCP")
        first.stop()
        wait_until(lambda: not link.connected, 10, "the link to notice the closed peer")
        before = len(inbox.frames())
        mat = VirtualMat(pattern_source("empty", 2, SMALL))
        # The same port again (create_server sets SO_REUSEADDR); the fixture stops it.
        devices(mat, tcp=True, port=first.port)
        wait_until(lambda: len(inbox.frames()) >= before + 20, 20, "frames again")
    finally:
        link.stop()
    frames = inbox.frames()
    # A new TCP client powers the virtual mat up afresh: sequence from 0 after the return.
    assert frames[before].seq == 0
    assert consecutive(frames[:before]) and consecutive(frames[before:])
    assert link.stats.lost_frames == 0 and link.stats.bad_packets == 0
    assert len(inbox.of(Hello)) >= 2
    messages = [r.getMessage() for r in caplog.records if r.name == LINK_LOGGER]
    assert sum("lost" in m for m in messages) == 1
    assert sum("back after" in m for m in messages) == 1


def test_send_from_another_thread_stops_and_restarts_the_stream(
    devices: Callable[..., DeviceThread], decoder_factory: Callable[[], StreamDecoder]
) -> None:
    dev = devices()
    inbox = Inbox()
    link = MatLink(dev.where, MatConfig(), inbox, decoder_factory)
    assert not link.send(Command.stop()), "nothing to send to before start()"
    link.start()
    try:
        wait_until(lambda: len(inbox.frames()) >= 5, 20, "frames")
        sent: list[bool] = []
        worker = threading.Thread(target=lambda: sent.append(link.send(Command.stop())))
        worker.start()
        worker.join()
        assert sent == [True]
        wait_until(
            lambda: Ack(MsgType.STOP, AckStatus.DONE) in inbox.of(Ack), 10, "STOP acknowledged"
        )
        stopped_at = len(inbox.frames())
        time.sleep(0.3)
        assert len(inbox.frames()) == stopped_at
        assert link.send(Command.start())
        wait_until(lambda: len(inbox.frames()) >= stopped_at + 5, 10, "frames after START")
    finally:
        link.stop()
    assert consecutive(inbox.frames())
    assert not link.send(Command.get_info()), "nothing to send to after stop()"


def test_joining_mid_packet_skips_to_the_next_delimiter(
    decoder_factory: Callable[[], StreamDecoder],
) -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    inbox = Inbox()
    link = MatLink(path, MatConfig(), inbox, decoder_factory)
    link.start()
    try:
        # The link speaks first (GET_INFO, START); after that its end is open and set up.
        poller = select.poll()
        poller.register(master, select.POLLIN)
        wait_until(lambda: poller.poll(0) == [(master, select.POLLIN)], 10, "the link's hello")
        asked = os.read(master, 100)
        assert asked == pack(Command.get_info()) + pack(Command.start())
        cells = pattern_source("hands-and-toes", 0, SMALL).render(0.0)
        frame = pack(Frame(7, 1000, cells))
        tail = frame[len(frame) // 2 :]  # the end of a packet whose start the host missed
        os.write(master, tail + pack(Frame(8, 21000, cells)) + pack(Frame(9, 41000, cells)))
        wait_until(lambda: len(inbox.frames()) >= 2, 10, "the two whole frames")
    finally:
        link.stop()
        os.close(master)
    assert [f.seq for f in inbox.frames()] == [8, 9]
    assert link.skipped_bytes == len(tail) - 1  # up to the packet's own 0x00
    assert link.stats.bad_packets == 0


def test_a_failing_message_handler_does_not_stop_the_reader(
    devices: Callable[..., DeviceThread], decoder_factory: Callable[[], StreamDecoder]
) -> None:
    dev = devices()
    seen: list[Message] = []

    def broken(msg: Message) -> None:
        seen.append(msg)
        raise RuntimeError("a bug downstream")

    link = MatLink(dev.where, MatConfig(), broken, decoder_factory)
    link.start()
    try:
        wait_until(lambda: sum(isinstance(m, Frame) for m in seen) >= 10, 20, "frames")
    finally:
        link.stop()
    assert link.callback_errors == len(seen)
    assert link.stats.frames >= 10


def test_a_port_url_pyserial_does_not_know_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"mat\.port"):
        MatLink("nosuch://mat", MatConfig(), lambda _m: None, StreamDecoder)


def test_a_missing_port_is_retried_and_reported_once(
    tmp_path: Path,
    decoder_factory: Callable[[], StreamDecoder],
    caplog: pytest.LogCaptureFixture,
    devices: Callable[..., DeviceThread],
) -> None:
    caplog.set_level(logging.DEBUG, logger=LINK_LOGGER)
    port = tmp_path / "not-yet"
    inbox = Inbox()
    link = MatLink(str(port), MatConfig(reconnect_max_s=0.2), inbox, decoder_factory)
    link.start()
    try:
        time.sleep(1.0)
        assert not link.connected
        devices(link_path=str(port))
        wait_until(lambda: len(inbox.frames()) >= 5, 20, "frames once the mat appears")
    finally:
        link.stop()
    messages = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LINK_LOGGER]
    warnings = [m for level, m in messages if level == logging.WARNING]
    assert len(warnings) == 1 and "mat link down" in warnings[0]
    assert sum("mat link up on" in m for _, m in messages) == 1
    assert link.outages == 0
