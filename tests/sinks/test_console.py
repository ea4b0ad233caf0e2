"""The console sink's lines: what a person at the terminal reads for each event."""

from __future__ import annotations

from matd.sinks.console import describe


def test_a_rep_line_gives_its_number_depth_and_time() -> None:
    line = describe(
        {
            "event_type": "rep",
            "set_id": 1,
            "n": 7,
            "depth": 0.071,
            "partial": True,
            "duration_s": 1.4,
        }
    )
    assert line.split() == ["rep", "7", "(partial)", "depth", "0.071", "u", "1.4", "s"]


def test_a_rep_counted_from_the_load_says_so_instead_of_a_depth_u_never_showed() -> None:
    line = describe(
        {
            "event_type": "rep",
            "set_id": 1,
            "n": 8,
            "depth": 0.05,
            "partial": False,
            "duration_s": 1.6,
            "by_load": True,
        }
    )
    assert "rep 8" in line and "seen in the load" in line and "depth" not in line
