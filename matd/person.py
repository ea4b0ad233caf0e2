"""The saved per-person good-form baseline: JSON `{"toes": u, "knees": u}`.

Written by the daemon when a calibration (`…/cmd/calibrate`, the Home Assistant button)
succeeds and by `matd calibrate`; read at start so every set on that support starts from
it. Where: `detector.calibration_file` if configured, else `<state_dir>/person.json`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from matd.config import Config

log = logging.getLogger(__name__)

PERSON_FILE = "person.json"
SUPPORTS = ("toes", "knees")


def person_file(cfg: Config) -> Path:
    """Where the calibration is kept for this configuration."""
    configured = cfg.detector.calibration_file
    return Path(configured) if configured else Path(cfg.state_dir) / PERSON_FILE


def support_key(knees: bool) -> str:
    return "knees" if knees else "toes"


def parse_person_baseline(text: str) -> dict[str, float]:
    """The file's baselines by support. Raises ValueError for anything but a JSON object
    whose `toes` / `knees` (each optional) are numbers strictly between 0 and 1; other
    keys are ignored."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    out: dict[str, float] = {}
    for key in SUPPORTS:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key!r} is not a number")
        if not 0.0 < float(value) < 1.0:
            raise ValueError(f"{key!r} = {value} is not a hands' share in (0, 1)")
        out[key] = float(value)
    return out


def load_person_baseline(path: Path) -> dict[str, float] | None:
    """The saved baselines, or None when there is no usable file (logged, never raised)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.info("no per-person calibration at %s: per-set baselines", path)
        return None
    except OSError as exc:
        log.warning("calibration file %s unreadable (%s): per-set baselines", path, exc)
        return None
    try:
        baseline = parse_person_baseline(text)
    except ValueError as exc:
        log.warning("calibration file %s not used (%s): per-set baselines", path, exc)
        return None
    log.info("per-person calibration from %s: %s", path, baseline)
    return baseline


def write_person_baseline(path: Path, baseline: Mapping[str, float]) -> None:
    """Write atomically (a temporary file in the same folder, then os.replace), so a
    reader never sees half a file. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: round(float(baseline[k]), 4) for k in SUPPORTS if k in baseline}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide it from other readers
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_calibration(
    path: Path, knees: bool, baseline_u: float, known: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Save one support's new baseline, keeping the other one: from the file as it is
    now, else from `known` (what was loaded at start). Returns what was written."""
    try:
        merged = parse_person_baseline(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        merged = {}
    for key, value in (known or {}).items():
        if key in SUPPORTS:
            merged.setdefault(key, value)
    merged[support_key(knees)] = baseline_u
    write_person_baseline(path, merged)
    return merged
