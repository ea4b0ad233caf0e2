"""`matd simulate`, `matd record` and `matd info` as a user runs them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from matd.wire.messages import Ack, AckStatus, Frame, Hello, Message, MsgType, pack
from matd.wire.stream import StreamDecoder

from .linkkit import SimProcess, run_matd


def decode(data: bytes) -> tuple[list[Message], StreamDecoder]:
    decoder = StreamDecoder()
    return decoder.feed(data), decoder


def test_record_then_replay_holds_every_frame_the_mat_sent(
    simulators: Callable[..., SimProcess], tmp_path: Path
) -> None:
    sim = simulators("--tcp", "0", "--scenario", "moving-blob", "--seed", "4")
    out = tmp_path / "session.mat"
    done = run_matd(
        "record", "--port", f"socket://127.0.0.1:{sim.where}", "--out", str(out), "--seconds", "1.5"
    )
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    # A TCP client powers the virtual mat up: the recording starts with its boot greeting.
    assert data[:1] == b"\x00"
    messages, decoder = decode(data)
    frames = [m for m in messages if isinstance(m, Frame)]
    assert decoder.stats.bad_packets == 0
    assert decoder.stats.lost_frames == 0
    assert len(frames) >= 10
    assert [f.seq for f in frames] == list(range(len(frames)))
    assert [f.device_time_us for f in frames] == [20000 * k for k in range(len(frames))]
    # Nothing added: besides frames, exactly what the mat said (boot HELLO, and its answers
    # to the GET_INFO and START that `record` sent).
    others = [m for m in messages if not isinstance(m, Frame)]
    assert isinstance(others[0], Hello)
    assert others[1:] == [Ack(MsgType.GET_INFO, AckStatus.DONE), others[0], Ack(MsgType.START, 0)]
    assert "frames, 0 bad packets, 0 lost frames" in done.stderr


def test_info_prints_the_hello_fields(simulators: Callable[..., SimProcess]) -> None:
    sim = simulators("--pty", "--rate", "20", "--encoding", "sparse", "--serial", "0xBEEF")
    text = run_matd("info", "--port", sim.where)
    assert text.returncode == 0, text.stderr
    lines = dict(line.split(None, 1) for line in text.stdout.splitlines())
    assert lines["port"] == sim.where
    assert lines["board"] == "matd-sim"
    assert lines["serial"] == "000000000000beef"
    assert lines["firmware"] == "0.1.0"
    assert lines["grid"] == "32 rows x 80 cols"
    assert lines["rate"] == "20 Hz"
    assert lines["encoding"] == "sparse"
    as_json = run_matd("info", "--port", sim.where, "--json")
    assert as_json.returncode == 0, as_json.stderr
    fields = json.loads(as_json.stdout)
    assert fields["rows"] == 32 and fields["cols"] == 80
    assert fields["row_pitch_um"] == 25000 and fields["col_pitch_um"] == 25000
    assert fields["adc_bits"] == 12 and fields["rate_hz"] == 20


def test_info_on_a_port_without_a_mat_fails_clearly(tmp_path: Path) -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    try:
        silent = run_matd("info", "--port", path, "--timeout", "0.5")
    finally:
        os.close(master)
    assert silent.returncode == 1
    assert f"no HELLO from {path} within 0.5 s" in silent.stderr
    missing = run_matd("info", "--port", str(tmp_path / "nothing"), "--timeout", "0.5")
    assert missing.returncode == 1 and "cannot open" in missing.stderr
    bad_url = run_matd("info", "--port", "nosuch://mat")
    assert bad_url.returncode == 2 and "mat.port" in bad_url.stderr


def test_simulate_into_a_file_writes_exactly_seconds_times_rate_frames(tmp_path: Path) -> None:
    out = tmp_path / "wrap.mat"
    done = run_matd(
        "simulate",
        "--out",
        str(out),
        "--seconds",
        "2",
        "--rate",
        "25",
        "--encoding",
        "sparse",
        "--scenario",
        "hands-and-toes",
        "--t0-us",
        str(2**32 - 100_000),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == str(out)
    data = out.read_bytes()
    messages, decoder = decode(data)
    hello = messages[0]
    assert isinstance(hello, Hello) and (hello.rate_hz, hello.encoding) == (25, 1)
    assert data.startswith(b"\x00" + pack(hello))
    frames = [m for m in messages if isinstance(m, Frame)]
    assert len(frames) == 50 and all(f.sparse for f in frames)
    assert decoder.stats.bad_packets == 0 and decoder.stats.lost_frames == 0
    # The device clock wraps at 2^32 µs, two scans in.
    assert [f.device_time_us for f in frames[:6]] == [
        2**32 - 100_000,
        2**32 - 60_000,
        2**32 - 20_000,
        20_000,
        60_000,
        100_000,
    ]


def test_simulate_usage_errors_exit_2(tmp_path: Path) -> None:
    out = str(tmp_path / "x")
    unknown = run_matd("simulate", "--out", out, "--seconds", "1", "--scenario", "yoga")
    assert unknown.returncode == 2
    assert "no scenario 'yoga'" in unknown.stderr and "hands-and-toes" in unknown.stderr
    no_length = run_matd("simulate", "--out", out)
    assert no_length.returncode == 2 and "--seconds" in no_length.stderr
    too_fast = run_matd("simulate", "--rate", "5000", "--seconds", "1")
    assert too_fast.returncode == 2 and "--rate" in too_fast.stderr


def test_simulate_on_a_pty_runs_for_the_seconds_given_and_cleans_up(
    simulators: Callable[..., SimProcess], tmp_path: Path
) -> None:
    link = tmp_path / "mat"
    sim = simulators("--pty", "--link", str(link), "--seconds", "0.5")
    assert os.readlink(link) == sim.where
    assert sim.proc.wait(timeout=30) == 0
    assert not link.is_symlink()


def test_record_with_nothing_arriving_fails(tmp_path: Path) -> None:
    done = run_matd(
        "record",
        "--port",
        str(tmp_path / "absent"),
        "--out",
        str(tmp_path / "r"),
        "--seconds",
        "0.5",
    )
    assert done.returncode == 1
    assert "nothing arrived" in done.stderr


def test_simulate_plays_the_push_up_models_scenarios_too(tmp_path: Path) -> None:
    from matd.commands.simulate import known_scenarios
    from matd.sim import scenarios
    from matd.sim.patterns import PATTERNS

    model_only = [n for n in scenarios.NAMES if n not in PATTERNS and n != "demo"]
    assert known_scenarios()[: len(PATTERNS)] == list(PATTERNS)
    assert set(model_only) <= set(known_scenarios())
    out = tmp_path / "model.mat"
    done = run_matd("simulate", "--out", str(out), "--seconds", "1", "--scenario", model_only[0])
    assert done.returncode == 0, done.stderr
    messages, decoder = decode(out.read_bytes())
    frames = [m for m in messages if isinstance(m, Frame)]
    assert len(frames) == 50 and decoder.stats.bad_packets == 0
    assert all(f.cells.shape == (32, 80) for f in frames)
