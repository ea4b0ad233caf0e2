"""The virtual mat behaves like the firmware: boot greeting, frames on its own clock,
an answer to every command."""

from __future__ import annotations

import io
import itertools
import socket
import struct
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import serial

from matd.sim.device import VirtualMat, write_recording
from matd.sim.patterns import pattern_source
from matd.wire.messages import (
    PROTOCOL_VERSION,
    Ack,
    AckStatus,
    Command,
    Frame,
    Hello,
    Message,
    MsgType,
    pack,
)
from matd.wire.stream import StreamDecoder

from .linkkit import SMALL, DeviceThread

DONE, UNKNOWN, BAD = AckStatus.DONE, AckStatus.UNKNOWN_COMMAND, AckStatus.BAD_ARGUMENT


class Host:
    """A bare host on the pty: writes packets, reads and decodes what the mat sends, and
    walks through it with a cursor."""

    def __init__(self, path: str) -> None:
        self.port = serial.Serial(path, timeout=0.05)
        self.decoder = StreamDecoder()
        self.received: list[Message] = []
        self.cursor = 0

    def _read(self) -> None:
        self.received += self.decoder.feed(self.port.read(self.port.in_waiting or 1))

    def send(self, packet: Command | Message | bytes) -> None:
        self.port.write(packet if isinstance(packet, bytes) else pack(packet))

    def next(self, wanted: Callable[[Message], bool], timeout: float = 10.0) -> list[Message]:
        """What arrives from the cursor up to the first message wanted (included)."""
        deadline = time.monotonic() + timeout
        checked = self.cursor
        while True:
            for i in range(checked, len(self.received)):
                if wanted(self.received[i]):
                    got = self.received[self.cursor : i + 1]
                    self.cursor = i + 1
                    return got
            checked = len(self.received)
            if time.monotonic() > deadline:
                raise AssertionError(f"the mat did not answer: {self.received[-5:]}")
            self._read()

    def ask(self, packet: Command | Message | bytes, answer: Message) -> list[Message]:
        self.send(packet)
        return self.next(lambda m: m == answer)

    def frames(self, n: int) -> list[Frame]:
        out: list[Frame] = []
        while len(out) < n:
            out += frames_in(self.next(lambda m: isinstance(m, Frame)))
        return out

    def hello(self) -> Hello:
        got = self.next(lambda m: isinstance(m, Hello))[-1]
        assert isinstance(got, Hello)
        return got

    def read_for(self, seconds: float) -> list[Message]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read()
        got = self.received[self.cursor :]
        self.cursor = len(self.received)
        return got

    def close(self) -> None:
        self.port.close()


@pytest.fixture
def host(devices: Callable[..., DeviceThread]) -> Iterator[tuple[Host, VirtualMat]]:
    dev = devices()
    h = Host(dev.where)
    h.frames(3)
    yield h, dev.mat
    h.close()


def frames_in(msgs: list[Message]) -> list[Frame]:
    return [m for m in msgs if isinstance(m, Frame)]


def test_get_info_is_answered_with_ack_then_hello(host: tuple[Host, VirtualMat]) -> None:
    h, mat = host
    h.ask(Command.get_info(), Ack(MsgType.GET_INFO, DONE))
    hello = h.hello()
    assert hello == mat.hello()
    assert (hello.rows, hello.cols, hello.rate_hz, hello.encoding) == (8, 16, 50, 0)
    assert (hello.board, hello.firmware) == ("matd-sim", "0.1.0")


def test_set_rate_changes_the_frame_spacing_and_rejects_bad_rates(
    host: tuple[Host, VirtualMat],
) -> None:
    h, mat = host
    h.ask(Command.set_rate(0), Ack(MsgType.SET_RATE, BAD))
    h.ask(Command.set_rate(1001), Ack(MsgType.SET_RATE, BAD))
    # A SET_RATE whose argument is one byte short is a bad argument too.
    h.ask(pack(bytes([PROTOCOL_VERSION, MsgType.SET_RATE, 200])), Ack(MsgType.SET_RATE, BAD))
    assert mat.rate_hz == 50
    before = h.frames(5)
    assert {b.device_time_us - a.device_time_us for a, b in itertools.pairwise(before)} == {20000}

    h.ask(Command.set_rate(200), Ack(MsgType.SET_RATE, DONE))
    after = h.frames(40)
    # Measured on the mat's own clock: 5 ms between scans now, not 20 ms.
    assert {b.device_time_us - a.device_time_us for a, b in itertools.pairwise(after)} == {5000}
    assert all(b.seq == a.seq + 1 for a, b in itertools.pairwise(after))
    h.ask(Command.get_info(), Ack(MsgType.GET_INFO, DONE))
    assert h.hello().rate_hz == 200


def test_stop_stops_the_frames_and_start_resumes_them(host: tuple[Host, VirtualMat]) -> None:
    h, _mat = host
    h.ask(Command.stop(), Ack(MsgType.STOP, DONE))
    last = frames_in(h.received[: h.cursor])[-1]
    assert frames_in(h.read_for(0.3)) == []
    h.ask(Command.start(), Ack(MsgType.START, DONE))
    resumed = h.frames(3)
    # A stopped mat does not scan, so no sequence number is skipped.
    assert resumed[0].seq == last.seq + 1


def test_set_encoding_switches_to_sparse_frames_and_back(host: tuple[Host, VirtualMat]) -> None:
    h, _mat = host
    h.ask(Command.set_encoding(2), Ack(MsgType.SET_ENCODING, BAD))
    h.ask(Command.set_encoding(1), Ack(MsgType.SET_ENCODING, DONE))
    sparse = h.frames(3)
    assert all(f.sparse and f.cells.shape == (8, 16) for f in sparse)
    assert any(int(f.cells.max()) > 100 for f in sparse), "the blob is in the sparse frames"
    h.ask(Command.set_encoding(0), Ack(MsgType.SET_ENCODING, DONE))
    assert not any(f.sparse for f in h.frames(3))


def test_unknown_and_misdirected_packets_get_ack_unknown(host: tuple[Host, VirtualMat]) -> None:
    h, mat = host
    h.ask(pack(bytes([PROTOCOL_VERSION, 0x86])), Ack(0x86, UNKNOWN))
    # A device-to-host message sent to the device is not a command it knows.
    h.ask(Ack(MsgType.STOP, DONE), Ack(MsgType.ACK, UNKNOWN))
    # A packet with a broken CRC gets no answer; the mat counts it and carries on.
    broken = bytearray(pack(Command.stop()))
    broken[1] ^= 0x40
    h.send(bytes(broken))
    answered = h.ask(Command.get_info(), Ack(MsgType.GET_INFO, DONE))
    assert Ack(MsgType.STOP, DONE) not in answered
    stats = mat.command_stats
    assert stats["bad"]["crc"] == 1  # type: ignore[index]
    assert frames_in(h.read_for(0.1)), "still streaming"


def _recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        assert chunk, "connection closed"
        data += chunk
    return data


def test_each_tcp_client_boots_the_mat_and_a_second_one_is_refused(
    devices: Callable[..., DeviceThread],
) -> None:
    dev = devices(tcp=True)
    greeting = b"\x00" + pack(dev.mat.hello())
    for boot in (1, 2):
        with socket.create_connection(("127.0.0.1", dev.port), timeout=10) as conn:
            assert _recv_exactly(conn, len(greeting)) == greeting
            decoder = StreamDecoder()
            frames: list[Frame] = []
            while len(frames) < 3:
                frames += [m for m in decoder.feed(conn.recv(65536)) if isinstance(m, Frame)]
            assert [f.seq for f in frames[:3]] == [0, 1, 2]
            assert frames[0].device_time_us == 0
            if boot == 1:
                with socket.create_connection(("127.0.0.1", dev.port), timeout=10) as extra:
                    assert extra.recv(100) == b"", "a second host must be turned away"
        assert decoder.stats.bad_packets == 0
    deadline = time.monotonic() + 10
    while dev.mat.counters.boots < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dev.mat.counters.boots == 2


# ---------------------------------------------------------------- the device's logic alone


def test_a_recording_holds_exactly_seconds_times_rate_frames_and_the_clock_wraps() -> None:
    mat = VirtualMat(pattern_source("hands-and-toes", 3, SMALL), rate_hz=40, t0_us=2**32 - 50_000)
    buf = io.BytesIO()
    assert write_recording(mat, buf, 2.5) == 100
    data = buf.getvalue()
    assert data.startswith(b"\x00" + pack(mat.hello()))
    decoder = StreamDecoder()
    frames = [m for m in decoder.feed(data) if isinstance(m, Frame)]
    assert decoder.stats.bad_packets == 0 and decoder.stats.lost_frames == 0
    assert [f.seq for f in frames] == list(range(100))
    times = [f.device_time_us for f in frames]
    assert times[:3] == [2**32 - 50_000, 2**32 - 25_000, 0]
    assert {(b - a) & 0xFFFFFFFF for a, b in itertools.pairwise(times)} == {25_000}


def test_the_scan_schedule_does_not_drift() -> None:
    mat = VirtualMat(pattern_source("empty", 0, SMALL), rate_hz=3)
    mat.boot(1000.0)
    for _ in range(30_000):
        mat.skip_scan()
    # 30000 scans at 3 Hz from t = 1000 s: exactly 10000 s later, not a sum of rounded steps.
    assert mat.next_scan_at() == pytest.approx(11000.0, abs=1e-9)
    frame = StreamDecoder().feed(mat.scan())[0]
    assert isinstance(frame, Frame)
    assert frame.device_time_us == 10_000_000_000 & 0xFFFFFFFF


def test_a_mat_far_behind_resumes_from_now_without_skipping_sequence_numbers() -> None:
    mat = VirtualMat(pattern_source("empty", 0, SMALL))
    mat.boot(0.0)
    mat.scan()
    assert mat.resume_if_behind(5.0)
    assert mat.next_scan_at() == 5.0
    frame = StreamDecoder().feed(mat.scan())[0]
    assert isinstance(frame, Frame) and frame.seq == 1 and frame.device_time_us == 5_000_000


def test_the_rendered_cells_are_what_the_frames_carry() -> None:
    source = pattern_source("moving-blob", 5, SMALL)
    twin = pattern_source("moving-blob", 5, SMALL)
    mat = VirtualMat(source, rate_hz=10)
    mat.boot(0.0)
    for k in range(5):
        frame = StreamDecoder().feed(mat.scan())[0]
        assert isinstance(frame, Frame)
        np.testing.assert_array_equal(frame.cells, twin.render(k / 10))


def test_commands_decode_to_the_answers_the_firmware_gives() -> None:
    mat = VirtualMat(pattern_source("empty", 0, SMALL))
    mat.boot(0.0)
    answers = StreamDecoder().feed(
        mat.receive(
            pack(Command.set_rate(20))
            + pack(Command.set_encoding(1))
            + pack(Command(MsgType.SET_ENCODING, b"\x01\x00"))
            + pack(bytes([PROTOCOL_VERSION, 0xFF]))
            + pack(Command.get_info()),
            0.5,
        )
    )
    assert answers == [
        Ack(MsgType.SET_RATE, DONE),
        Ack(MsgType.SET_ENCODING, DONE),
        Ack(MsgType.SET_ENCODING, BAD),
        Ack(0xFF, UNKNOWN),
        Ack(MsgType.GET_INFO, DONE),
        mat.hello(),
    ]
    hello = answers[-1]
    assert isinstance(hello, Hello) and (hello.rate_hz, hello.encoding) == (20, 1)
    assert struct.unpack("<H", Command.set_rate(20).arg) == (20,)
