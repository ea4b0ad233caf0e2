"""Per-cell calibration: raw ADC counts in, pressure in kPa out, and the state behind it.

The calibrator owns what it takes to read a cell: its empty-mat baseline (tracked
slowly while the mat is empty, on the frames' device time), its noise floor, and
whether it is dead or stuck. It decides itself when the mat is empty, and only then
learns, so a person lying still is never absorbed into the baseline.

- Start: the first WARMUP_FRAMES frames are averaged into a provisional baseline (the
  mat is assumed empty at power-up; `tare()` redoes this on demand).
- Empty: at most STRAY_CELLS cells clearly loaded (above EMPTY_CLEAR_KPA), or a total
  load under EMPTY_LOAD_N. A body always loads many cells; one or two lone cells are
  a noise spike or a cell going bad, and their baseline is left alone.
- Readings far below the baseline on an empty mat mean the baseline was taken under
  a load (a person on the mat at power-up); those cells are re-zeroed at once.
- Dead: a cell that reads 0 for a whole HEALTH_WINDOW_S of empty mat while its
  neighbours show noise. Stuck: one that reads above stuck_fraction·full scale on the
  empty mat (at the provisional baseline, or for a whole window). Both are masked and,
  inside a loaded area, filled from their loaded neighbours so a bad cell does not
  split a palm in two. Cells come back when they behave again.
"""

from __future__ import annotations

import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matd.config import CalibrationConfig
from matd.geometry import Geometry
from matd.kernels import Kernels, get
from matd.wire.messages import Frame, Hello

WARMUP_FRAMES = 25  # half a second at 50 Hz: enough samples for a first noise estimate
EMPTY_CLEAR_KPA = 3.0  # well above drift (tens of counts ≈ 0.5 kPa), well below any contact
STRAY_CELLS = 2
EMPTY_LOAD_N = 2.0  # about 200 g: a phone, not a person
SNAP_FLOORS = 2.0  # this many noise floors below the baseline is not noise
HEALTH_WINDOW_S = 5.0
DEAD_NEIGHBOUR_STD = 0.5  # counts: noise this size would lift a live cell above 0
MAX_STEP_S = 1.0  # a gap in the stream teaches the baseline at most this much time
SAVE_FORMAT = 1


def geometry_of(source: Hello | Geometry | Frame) -> Geometry:
    """The grid from a HELLO, a Geometry, or (lacking both) a frame at the reference pitch."""
    if isinstance(source, Geometry):
        return source
    if isinstance(source, Hello):
        return Geometry(
            source.rows, source.cols, source.row_pitch_um, source.col_pitch_um, source.adc_bits
        )
    if isinstance(source, Frame):
        return Geometry(source.rows, source.cols)
    raise TypeError(f"no mat geometry in {type(source).__name__}")


def neighbour_table(
    cells: npt.NDArray[np.intp], usable: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """For each flat cell index, the flat indices of its 8 neighbours that are `usable`.

    Unusable or off-grid neighbours point at index rows·cols, a slot past the grid
    that always holds 0. Returns (table (m, 8), number of usable neighbours (m,))."""
    rows, cols = usable.shape
    sentinel = rows * cols
    r, c = np.divmod(cells, cols)
    table = np.full((cells.size, 8), sentinel, dtype=np.intp)
    k = 0
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == 0 and dc == 0:
                continue
            nr, nc = r + dr, c + dc
            inside = (nr >= 0) & (nr < rows) & (nc >= 0) & (nc < cols)
            idx = np.where(inside, nr * cols + nc, sentinel)
            ok = inside & usable.ravel()[np.minimum(idx, sentinel - 1)]
            table[:, k] = np.where(ok, idx, sentinel)
            k += 1
    return table, (table != sentinel).sum(axis=1)


class Calibrator:
    """Turns each raw frame into kPa and keeps the per-cell state that takes.

    `process()` returns a buffer the calibrator reuses: it is valid until the next call."""

    def __init__(
        self,
        geometry: Hello | Geometry | Frame,
        cfg: CalibrationConfig | None = None,
        kernels: Kernels | None = None,
    ) -> None:
        self.geometry = geometry_of(geometry)
        self.cfg = cfg or CalibrationConfig.model_validate({})
        self.kernels = kernels if kernels is not None else get("compiled")
        rows, cols = self.geometry.rows, self.geometry.cols
        n = rows * cols
        self.full_scale = float(self.geometry.full_scale)
        self._stuck_counts = self.cfg.stuck_fraction * self.full_scale
        self._var0 = (self.cfg.min_noise_counts / self.cfg.noise_sigmas) ** 2
        rp, cp = self.geometry.row_pitch_um / 1000.0, self.geometry.col_pitch_um / 1000.0
        self._newtons_per_kpa = rp * cp * 1e-3

        self.baseline = np.zeros((rows, cols), dtype=np.float32)
        self.var = np.full((rows, cols), self._var0, dtype=np.float32)
        self.floor = np.empty((rows, cols), dtype=np.float32)
        self.mask = np.zeros((rows, cols), dtype=np.uint8)
        self.dead = np.zeros((rows, cols), dtype=bool)
        self.stuck = np.zeros((rows, cols), dtype=bool)
        # One slot past the grid stays 0: masked cells' neighbour tables point there.
        self._flat = np.zeros(n + 1, dtype=np.float32)
        self.pressure = self._flat[:n].reshape(rows, cols)
        self._clear = np.empty((rows, cols), dtype=bool)
        self._low = np.empty((rows, cols), dtype=bool)
        self._diff = np.empty((rows, cols), dtype=np.float32)
        self._snap = np.empty((rows, cols), dtype=np.float32)
        self._win_max = np.zeros((rows, cols), dtype=np.uint16)
        self._win_min = np.zeros((rows, cols), dtype=np.uint16)
        self._win_start: float | None = None
        self._masked = np.empty(0, dtype=np.intp)
        self._fill_table = np.empty((0, 8), dtype=np.intp)
        self._fill_usable = np.empty(0, dtype=np.intp)
        self._dead_idx = np.empty(0, dtype=np.intp)
        self._warm = 0
        self._last_t: float | None = None
        self._n_clear = 0
        self.tracking = False
        self._refresh_floor()

    # ------------------------------------------------------------- public

    @property
    def dead_cells(self) -> int:
        return int(self._dead_idx.size)

    @property
    def stuck_cells(self) -> int:
        return int(np.count_nonzero(self.stuck))

    @property
    def warming_up(self) -> bool:
        return self._warm < WARMUP_FRAMES

    def process(self, raw: npt.NDArray[np.uint16], t: float) -> npt.NDArray[np.float32]:
        """Calibrate one frame scanned at device time `t` (seconds); returns kPa."""
        raw = self._checked(raw)
        warming = self._warm < WARMUP_FRAMES
        if warming:
            self._warm_up(raw)
        self.kernels.calibrate(
            raw,
            self.baseline,
            self.floor,
            self.mask,
            self.full_scale,
            self.cfg.p_half_kpa,
            self.pressure,
            self.cfg.response_clip,
        )
        if self._masked.size:
            self._fill_masked()
        if warming:
            self.tracking = True
        else:
            self.tracking = self._looks_empty()
            if self.tracking:
                self._track(raw, t)
            else:
                self._win_start = None
        if self._dead_idx.size:
            self._revive(raw)
        self._last_t = t
        return self.pressure

    def tare(self) -> None:
        """Re-zero: the next frames become the empty-mat baseline."""
        self._warm = 0
        self._win_start = None

    def save(self, path: str | Path) -> None:
        """Write the baseline, noise and bad cells (npz), atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    format=SAVE_FORMAT,
                    rows=self.geometry.rows,
                    cols=self.geometry.cols,
                    full_scale=self.full_scale,
                    baseline=self.baseline,
                    var=self.var,
                    dead=self.dead,
                    stuck=self.stuck,
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, path: str | Path) -> None:
        """Take up a saved baseline (skipping the provisional one). Raises ValueError when
        the file is not a baseline of this mat's grid, OSError when it cannot be read."""
        try:
            with np.load(path) as saved:
                fields = {k: saved[k] for k in saved.files}
        except (ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path}: not a saved baseline ({exc})") from None
        needed = {"format", "rows", "cols", "full_scale", "baseline", "var", "dead", "stuck"}
        if not needed <= fields.keys() or int(fields["format"]) != SAVE_FORMAT:
            raise ValueError(f"{path}: not a saved baseline of format {SAVE_FORMAT}")
        grid = (int(fields["rows"]), int(fields["cols"]), float(fields["full_scale"]))
        ours = (self.geometry.rows, self.geometry.cols, self.full_scale)
        if grid != ours:
            raise ValueError(
                f"{path}: baseline of a {grid[0]}x{grid[1]} mat (full scale {grid[2]:g}), "
                f"this one is {ours[0]}x{ours[1]} (full scale {ours[2]:g})"
            )
        self.baseline[...] = fields["baseline"]
        self.var[...] = fields["var"]
        self._warm = WARMUP_FRAMES
        self._win_start = None
        self._refresh_floor()
        self._set_bad_cells(fields["dead"].astype(bool), fields["stuck"].astype(bool))

    # ------------------------------------------------------------- per frame

    def _checked(self, raw: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint16]:
        if raw.shape != self.baseline.shape:
            rows, cols = self.baseline.shape
            raise ValueError(f"frame is {raw.shape}, the calibrator's mat is {rows}x{cols}")
        if raw.dtype != np.uint16 or not raw.flags.c_contiguous:
            raw = np.ascontiguousarray(raw, dtype=np.uint16)
        return raw

    def _warm_up(self, raw: npt.NDArray[np.uint16]) -> None:
        # alpha = 1/(n+1) makes the tracker a running mean and population variance.
        self.kernels.track_baseline(raw, self.baseline, self.var, 1.0 / (self._warm + 1))
        self._warm += 1
        if self._warm == WARMUP_FRAMES:
            self._refresh_floor()
            self._set_bad_cells(self.dead, self.baseline > self._stuck_counts)

    def _looks_empty(self) -> bool:
        np.greater(self.pressure, EMPTY_CLEAR_KPA, out=self._clear)
        self._n_clear = int(np.count_nonzero(self._clear))
        if self._n_clear <= STRAY_CELLS:
            return True
        if self._n_clear * EMPTY_CLEAR_KPA * self._newtons_per_kpa >= EMPTY_LOAD_N:
            return False  # the clear cells alone already outweigh "tiny"
        load = float(self.pressure.sum(dtype=np.float64)) * self._newtons_per_kpa
        return load < EMPTY_LOAD_N

    def _track(self, raw: npt.NDArray[np.uint16], t: float) -> None:
        step = 0.0 if self._last_t is None else min(max(t - self._last_t, 0.0), MAX_STEP_S)
        alpha = -math.expm1(-step / self.cfg.baseline_tau_s)
        stray = np.flatnonzero(self._clear) if self._n_clear else None
        if stray is not None:
            keep_b, keep_v = self.baseline.ravel()[stray], self.var.ravel()[stray]
        self.kernels.track_baseline(raw, self.baseline, self.var, alpha)
        if stray is not None:
            self.baseline.ravel()[stray] = keep_b
            self.var.ravel()[stray] = keep_v
        self._snap_down(raw)
        self._refresh_floor()
        self._watch_cells(raw, t)

    def _snap_down(self, raw: npt.NDArray[np.uint16]) -> None:
        np.subtract(raw, self.baseline, out=self._diff)
        np.add(self._diff, self._snap, out=self._diff)
        np.less(self._diff, 0.0, out=self._low)
        if self._low.any():
            self.baseline[self._low] = raw[self._low]
            self.var[self._low] = self._var0

    def _refresh_floor(self) -> None:
        np.sqrt(self.var, out=self.floor)
        self.floor *= self.cfg.noise_sigmas
        np.maximum(self.floor, self.cfg.min_noise_counts, out=self.floor)
        np.multiply(self.floor, SNAP_FLOORS, out=self._snap)

    def _fill_masked(self) -> None:
        near = self._flat[self._fill_table]
        loaded = np.count_nonzero(near, axis=1)
        # Filled only when most usable neighbours carry load: inside a palm, not at its rim.
        fill = (loaded >= 2) & (2 * loaded > self._fill_usable)
        if fill.any():
            self._flat[self._masked[fill]] = near[fill].sum(axis=1) / loaded[fill]

    def _revive(self, raw: npt.NDArray[np.uint16]) -> None:
        alive = raw.ravel()[self._dead_idx] > 0
        if alive.any():
            dead = self.dead.copy()
            dead.ravel()[self._dead_idx[alive]] = False
            self._set_bad_cells(dead, self.stuck)

    # ------------------------------------------------------------- cell health

    def _watch_cells(self, raw: npt.NDArray[np.uint16], t: float) -> None:
        if self._win_start is None or t < self._win_start:
            self._win_start = t
            self._win_max[...] = raw
            self._win_min[...] = raw
            return
        np.maximum(self._win_max, raw, out=self._win_max)
        np.minimum(self._win_min, raw, out=self._win_min)
        if t - self._win_start >= HEALTH_WINDOW_S:
            self._judge_cells(raw)
            self._win_start = None

    def _judge_cells(self, raw: npt.NDArray[np.uint16]) -> None:
        high = self._win_max > self._stuck_counts
        stuck = (self._win_min > self._stuck_counts) | (self.stuck & high)
        freed = self.stuck & ~stuck
        if freed.any():
            self.baseline[freed] = raw[freed]
            self.var[freed] = self._var0
        dead = self.dead & ~stuck
        silent = np.flatnonzero((self._win_max == 0) & ~dead & ~stuck)
        if silent.size:
            usable = (self.mask == 0) & ~stuck
            table, count = neighbour_table(silent, usable)
            std = np.append(np.sqrt(self.var.ravel()), np.float32(0.0))[table]
            noise = std.sum(axis=1) / np.maximum(count, 1)
            dead.ravel()[silent[(count > 0) & (noise > DEAD_NEIGHBOUR_STD)]] = True
        if not (np.array_equal(dead, self.dead) and np.array_equal(stuck, self.stuck)):
            self._set_bad_cells(dead, stuck)

    def _set_bad_cells(self, dead: npt.NDArray[np.bool_], stuck: npt.NDArray[np.bool_]) -> None:
        self.dead[...] = dead
        self.stuck[...] = stuck
        bad = dead | stuck
        self.mask[...] = bad
        self._dead_idx = np.flatnonzero(dead)
        self._masked = np.flatnonzero(bad)
        self._fill_table, self._fill_usable = neighbour_table(self._masked, ~bad)
