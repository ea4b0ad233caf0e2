"""`matd bench --quick` runs end to end and reports every row (timings are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matd.bench import format_report, run_bench
from matd.cli import main

ROWS = (
    "calibrate",
    "track_baseline",
    "moments",
    "contacts",
    "analyzer (whole frame)",
    "wire decode (5 s at 50 Hz)",
)
REPO = Path(__file__).resolve().parents[2]


def test_bench_quick_prints_every_row() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "matd", "bench", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "reference µs/frame" in done.stdout and "compiled µs/frame" in done.stdout
    for name in ROWS:
        row = next(line for line in lines if line.startswith(name))
        ratio = row.split()[-1]
        assert ratio.endswith("x") and float(ratio[:-1]) > 0
    assert any(line.startswith("analyzer:") and "frames/s compiled" in line for line in lines)
    assert any(line.startswith("peak memory:") for line in lines)


def test_bench_quick_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--frames", "3", "--repeats", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["kernel"] for row in report["rows"]] == list(ROWS)
    for row in report["rows"]:
        assert row["reference_us"] > 0 and row["compiled_us"] > 0 and row["speedup"] > 0
    assert set(report["analyzer_fps"]) == {"reference", "compiled"}
    assert report["peak_rss_mb"] > 0 and report["analyzer_heap_peak_kb"] > 0


def test_bench_refuses_zero_repeats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--repeats", "0"]) == 2
    assert "--repeats" in capsys.readouterr().err


def test_bench_without_the_compiled_wire_decoder_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matd._wire", None)  # makes `import matd._wire` fail
    report = run_bench(quick=True, frames=3, repeats=1)
    wire = report.rows[-1]
    assert wire.compiled_us is None and wire.reference_us is not None
    assert "matd._wire is not built" in wire.note
    assert all(row.compiled_us is not None for row in report.rows[:-1])
    assert "matd._wire is not built" in format_report(report)
