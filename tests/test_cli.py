"""The command line's promises: a missing build says so in one line; bad configuration
exits 2 naming the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BLOCK_NATIVE = (
    "import sys; sys.modules['matd._wire'] = None; sys.modules['matd._kernels'] = None; "
    "from matd.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_missing_compiled_modules_are_one_clear_line(tmp_path: Path) -> None:
    recording = tmp_path / "empty.bin"
    recording.write_bytes(b"\x00")
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_NATIVE, "replay", str(recording)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "matd._wire" in lines[0] and "pip install ." in lines[0]
    assert "Traceback" not in done.stderr


def test_unknown_config_key_exits_2_and_names_it(tmp_path: Path) -> None:
    cfg = tmp_path / "matd.toml"
    cfg.write_text('[mqtt]\nhots = "broker"\n')
    done = subprocess.run(
        [sys.executable, "-m", "matd", "run", "--config", str(cfg), "--no-mqtt"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "mqtt.hots" in done.stderr and "unknown key" in done.stderr


def test_bad_environment_value_exits_2_and_names_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "matd", "run", "--no-mqtt"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MATD_HTTP_PORT": "eighty"},
    )
    assert done.returncode == 2
    assert "http.port" in done.stderr
