"""Scores the detector on a corpus of recordings with ground truth (`matd eval DIR`).

A case is `NAME.bin` (wire bytes) beside `NAME.json` (truth, docs/simulator.md). The
detector sees only the bytes; the truth is read here and nowhere else.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matd.config import Config
from matd.detector import Event
from matd.offline import replay

# A detected sag counts for a true episode if it starts this soon before its onset
# (the u filter and the onset's definition may disagree by a frame or two).
SAG_EARLY_S = 0.3


@dataclass
class DetectedSet:
    set_id: int
    start_t: float
    end_t: float
    knees: bool
    reps: int
    kind: str
    sags: list[float] = field(default_factory=list)  # sag_started times


@dataclass
class CaseScore:
    name: str
    truth_sets: int = 0
    found_sets: int = 0
    false_sets: int = 0
    expect_no_set: bool = False
    rep_sets: int = 0
    exact_reps: int = 0
    rep_errors: list[int] = field(default_factory=list)
    sag_true: int = 0
    sag_detected: int = 0
    sag_matched_true: int = 0
    sag_matched_detected: int = 0
    sag_latency: list[float] = field(default_factory=list)
    good_form_sets: int = 0
    good_form_sets_with_sag: int = 0
    notes: list[str] = field(default_factory=list)


def detected_sets(events: Iterable[Event]) -> list[DetectedSet]:
    open_sets: dict[int, DetectedSet] = {}
    done: list[DetectedSet] = []
    for ev in events:
        kind, sid = ev["event_type"], ev["set_id"]
        if kind == "set_started":
            open_sets[sid] = DetectedSet(sid, ev["t"], ev["t"], ev["knees"], 0, "")
        elif kind == "sag_started" and sid in open_sets:
            open_sets[sid].sags.append(ev["t"])
        elif kind == "set_ended" and sid in open_sets:
            s = open_sets.pop(sid)
            s.end_t = ev["t"]
            s.start_t = s.end_t - ev["duration_s"] if ev["duration_s"] else s.start_t
            s.reps = ev["reps"]
            s.kind = ev["kind"]
            done.append(s)
    return done


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def score_case(name: str, truth: dict[str, Any], events: list[Event]) -> CaseScore:
    sc = CaseScore(name=name, expect_no_set=bool(truth.get("expect_no_set")))
    found = detected_sets(events)
    truth_sets = truth.get("sets", [])
    sc.truth_sets = len(truth_sets)
    used: set[int] = set()
    for ts in truth_sets:
        t0, t1 = ts["start_t"], ts["end_t"]
        best, best_ov = None, 0.0
        for i, ds in enumerate(found):
            if i in used:
                continue
            ov = _overlap(t0, t1 + 2.0, ds.start_t, ds.end_t)
            if ov > best_ov:
                best, best_ov = i, ov
        true_sags = ts.get("sag_episodes", [])
        sc.sag_true += len(true_sags)
        if not true_sags:
            sc.good_form_sets += 1
        if best is None:
            sc.notes.append(f"missed set at {t0:.1f}-{t1:.1f}")
            continue
        used.add(best)
        ds = found[best]
        sc.found_sets += 1
        n_true = len(ts.get("reps", []))
        sc.rep_sets += 1
        sc.rep_errors.append(ds.reps - n_true)
        if ds.reps == n_true:
            sc.exact_reps += 1
        else:
            sc.notes.append(f"set at {t0:.1f}: {ds.reps} reps, truth {n_true}")
        sc.sag_detected += len(ds.sags)
        if not true_sags and ds.sags:
            sc.good_form_sets_with_sag += 1
        matched_det: set[int] = set()
        for ep in true_sags:
            hit = None
            for j, st in enumerate(ds.sags):
                if j not in matched_det and ep["onset_t"] - SAG_EARLY_S <= st <= ep["end_t"]:
                    hit = j
                    break
            if hit is None:
                sc.notes.append(f"missed sag at {ep['onset_t']:.1f}")
                continue
            matched_det.add(hit)
            sc.sag_matched_true += 1
            sc.sag_latency.append(ds.sags[hit] - ep["onset_t"])
        sc.sag_matched_detected += len(matched_det)
        for j, st in enumerate(ds.sags):
            if j not in matched_det:
                sc.notes.append(f"false sag at {st:.1f}")
    for i, ds in enumerate(found):
        if i not in used:
            sc.false_sets += 1
            sc.sag_detected += len(ds.sags)
            sc.notes.append(f"false set at {ds.start_t:.1f}-{ds.end_t:.1f}")
    return sc


def _run_case(args: tuple[str, str, dict[str, Any], str | None]) -> CaseScore:
    bin_path, json_path, cfg_data, degrade = args
    cfg = Config.model_validate(cfg_data)
    truth = json.loads(Path(json_path).read_text())
    result = replay(bin_path, cfg, degrade=degrade)
    return score_case(Path(bin_path).stem, truth, result.events)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q * (len(s) - 1))))
    return s[k]


def summarise(scores: list[CaseScore]) -> dict[str, Any]:
    truth_sets = sum(s.truth_sets for s in scores)
    found = sum(s.found_sets for s in scores)
    false = sum(s.false_sets for s in scores)
    detected = found + false
    rep_sets = sum(s.rep_sets for s in scores)
    exact = sum(s.exact_reps for s in scores)
    errors = [e for s in scores for e in s.rep_errors]
    sag_true = sum(s.sag_true for s in scores)
    sag_det = sum(s.sag_detected for s in scores)
    tp_true = sum(s.sag_matched_true for s in scores)
    tp_det = sum(s.sag_matched_detected for s in scores)
    precision = tp_det / sag_det if sag_det else 1.0
    recall = tp_true / sag_true if sag_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    lat = [x for s in scores for x in s.sag_latency]
    no_set_cases = [s for s in scores if s.expect_no_set]
    return {
        "cases": len(scores),
        "truth_sets": truth_sets,
        "sets_found": found,
        "sets_found_rate": found / truth_sets if truth_sets else 1.0,
        "false_sets": false,
        "false_set_rate": false / detected if detected else 0.0,
        "exact_rep_rate": exact / rep_sets if rep_sets else 1.0,
        "rep_count_mae": statistics.fmean(abs(e) for e in errors) if errors else 0.0,
        "rep_count_bias": statistics.fmean(errors) if errors else 0.0,
        "sag_episodes": sag_true,
        "sag_precision": precision,
        "sag_recall": recall,
        "sag_f1": f1,
        "sag_latency_p50_s": _pct(lat, 0.5),
        "sag_latency_p90_s": _pct(lat, 0.9),
        "good_form_sets": sum(s.good_form_sets for s in scores),
        "good_form_sets_with_sag": sum(s.good_form_sets_with_sag for s in scores),
        "no_set_cases": len(no_set_cases),
        "no_set_cases_with_a_set": sum(1 for s in no_set_cases if s.false_sets),
    }


def evaluate(
    directory: str | Path, cfg: Config, *, jobs: int = 1, degrade: str | None = None
) -> tuple[dict[str, Any], list[CaseScore]]:
    root = Path(directory)
    cases = sorted(p for p in root.glob("*.bin") if p.with_suffix(".json").exists())
    if not cases:
        raise FileNotFoundError(f"no cases (NAME.bin with NAME.json) in {root}")
    args = [(str(p), str(p.with_suffix(".json")), cfg.model_dump(), degrade) for p in cases]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            scores = list(pool.map(_run_case, args))
    else:
        scores = [_run_case(a) for a in args]
    return summarise(scores), scores
