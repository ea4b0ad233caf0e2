"""The detector end to end on a small seeded corpus of simulated recordings: wire bytes in,
events out, scored against the simulator's ground truth by `matd eval`'s own scoring.

The full figures (200+200 cases) are in docs/accuracy.md; this holds the line on a sample
so a change that breaks detection fails here. The floors are below the measured figures by
the sample's noise, not by wishful thinking: see docs/accuracy.md for what they are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matd.config import load_config
from matd.evaluate import evaluate

CASES = 14


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "matd.sim.corpus",
            str(out),
            "--cases",
            str(CASES),
            "--seed",
            "7",
            "--split",
            "holdout",
            "--jobs",
            "2",
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_sets_are_found_and_nothing_else_is_a_set(corpus: Path) -> None:
    summary, scores = evaluate(corpus, load_config(environ={}), jobs=2)
    assert summary["cases"] == CASES
    assert summary["truth_sets"] > 0
    assert summary["sets_found_rate"] >= 0.85, [s.notes for s in scores]
    assert summary["no_set_cases_with_a_set"] == 0
    assert summary["false_set_rate"] <= 0.05


def test_reps_and_sags_are_mostly_right(corpus: Path) -> None:
    summary, scores = evaluate(corpus, load_config(environ={}), jobs=2)
    # Floors a little under what this corpus gives (everything right on 2026-11-26), so a
    # change that breaks detection fails here; docs/accuracy.md has the 200-case figures.
    assert summary["exact_rep_rate"] >= 0.85, [s.notes for s in scores]
    assert summary["rep_count_mae"] <= 0.3
    assert summary["sag_f1"] >= 0.85, [s.notes for s in scores]
    assert summary["good_form_sets_with_sag"] == 0, [s.notes for s in scores]
    # SIGNALS.md: sag_started within 0.6 s of the onset (0.46 s at p90 on this sample).
    assert summary["sag_latency_p90_s"] <= 0.8, [s.sag_latency for s in scores]


def test_reps_are_counted_when_the_load_never_heaves(corpus: Path) -> None:
    """`matd eval --degrade flat-load`: a recording whose total load stays flat (static
    balance alone) is counted by u; the heave is evidence, not a requirement."""
    summary, scores = evaluate(corpus, load_config(environ={}), jobs=2, degrade="flat-load")
    assert summary["sets_found_rate"] >= 0.85, [s.notes for s in scores]
    assert summary["exact_rep_rate"] >= 0.6, [s.notes for s in scores]
    assert summary["no_set_cases_with_a_set"] == 0


def test_sags_are_found_when_the_palms_show_nothing(corpus: Path) -> None:
    """`matd eval --degrade still-palms`: with no palm CoP shift, u alone finds the sags
    (later), and raises none in good form."""
    summary, scores = evaluate(corpus, load_config(environ={}), jobs=2, degrade="still-palms")
    assert summary["sag_recall"] >= 0.5, [s.notes for s in scores]
    assert summary["good_form_sets_with_sag"] == 0, [s.notes for s in scores]


def test_matd_eval_degrade_runs_from_the_command_line(corpus: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "matd",
            "eval",
            str(corpus),
            "--jobs",
            "2",
            "--degrade",
            "flat-load",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert '"exact_rep_rate"' in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "matd", "eval", str(corpus), "--degrade", "no-such-thing"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
