"""Contact shapes and how their force lands on the cell grid.

Every contact (a palm, the toes, a knee and shin, a bag, a paw) is a handful of Gaussian
pads in its own frame. A Gaussian integrates over a rectangular cell exactly (a product of
two differences of the normal CDF), so each cell receives the force that really falls on its
area and a contact's centre of pressure moves smoothly below the cell pitch. The spread of a
pad also stands for the mat's foam top layer, which spreads a load before it reaches the
sensor; the renderer adds that spread in quadrature.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from matd.sim.source import Geometry

FloatArray = npt.NDArray[np.float64]

# Pads are (along, across, weight, spread) in mm, `along` the contact's forward axis.
Pad = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True, eq=False)
class Template:
    """A contact's pressure shape: Gaussian pads in its own frame (mm).

    `a` runs along the contact's forward axis (fingers, toes, head), `b` across it, left
    positive. Weights sum to 1: a pad carries that share of the contact's force."""

    name: str
    a: FloatArray
    b: FloatArray
    weight: FloatArray
    sigma: FloatArray

    @property
    def cop(self) -> tuple[float, float]:
        """The contact's own centre of pressure in its frame."""
        return float(self.weight @ self.a), float(self.weight @ self.b)

    def area_mm2(self) -> float:
        """Contact area as the participation ratio (∫p)² / ∫p² of the pressure shape."""
        return 1.0 / _self_overlap(self.a, self.b, self.weight, self.sigma)

    def mean_kpa(self, force_n: float) -> float:
        """Pressure-weighted mean pressure under `force_n` newtons (∫p² / ∫p)."""
        return force_n / self.area_mm2() * 1000.0

    def scaled(self, k: float) -> Template:
        return Template(self.name, self.a * k, self.b * k, self.weight, self.sigma * k)

    def mirrored(self) -> Template:
        """The other side's contact: a left hand from a right hand."""
        return Template(self.name, self.a, -self.b, self.weight, self.sigma)

    def extent_mm(self) -> float:
        """Radius around the origin that holds all pads with 2.5 spreads of margin."""
        return float(np.max(np.hypot(self.a, self.b) + 2.5 * self.sigma))


def _self_overlap(a: FloatArray, b: FloatArray, w: FloatArray, s: FloatArray) -> float:
    """∫p² dA for a mixture of isotropic Gaussians with weights w (∫p dA = 1)."""
    var = s[:, None] ** 2 + s[None, :] ** 2
    d2 = (a[:, None] - a[None, :]) ** 2 + (b[:, None] - b[None, :]) ** 2
    g = np.exp(-d2 / (2.0 * var)) / (2.0 * math.pi * var)
    return float(w @ g @ w)


def make_template(
    name: str,
    pads: Sequence[Pad],
    *,
    area_mm2: float | None = None,
    centre: bool = True,
) -> Template:
    """Builds a template from pads, optionally scaled to a contact area and centred on its CoP."""
    arr = np.asarray(pads, dtype=np.float64)
    a, b, w, s = arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2] / arr[:, 2].sum(), arr[:, 3].copy()
    t = Template(name, a, b, w, s)
    if area_mm2 is not None:
        t = t.scaled(math.sqrt(area_mm2 / t.area_mm2()))
    if centre:
        ca, cb = t.cop
        t = Template(name, t.a - ca, t.b - cb, t.weight, t.sigma)
    return t


# ---------------------------------------------------------------- the shapes of a body


def palm(area_mm2: float) -> Template:
    """A right palm pressing in a push-up: heel, metacarpal heads, finger pads, thumb.

    The thumb is on the +b side (left of a right hand whose fingers point forward); mirror it
    for the left hand. The heel (wrist end) is at low `a`."""
    pads: list[Pad] = [
        (25, 20, 0.17, 17),  # thenar side of the heel
        (25, -22, 0.15, 17),  # hypothenar side of the heel
        (60, 0, 0.05, 20),  # the hollow of the palm, lightly loaded
        (55, 30, 0.07, 15),  # thenar eminence
        (100, -30, 0.07, 11),  # metacarpal heads, little finger to index
        (104, -10, 0.08, 11),
        (104, 10, 0.08, 11),
        (98, 28, 0.07, 11),
        (150, -32, 0.03, 8),  # finger pads
        (166, -11, 0.035, 8),
        (169, 10, 0.035, 8),
        (158, 29, 0.03, 8),
        (82, 50, 0.04, 9),  # thumb pad
    ]
    return make_template("palm", pads, area_mm2=area_mm2)


def toes(area_mm2: float) -> Template:
    """The toes of one foot in a push-up: big toe, the next toes, the little ones."""
    pads: list[Pad] = [(0, 10, 0.5, 9), (-4, -10, 0.32, 8), (-10, -26, 0.18, 7)]
    return make_template("toes", pads, area_mm2=area_mm2)


def foot(length_mm: float) -> Template:
    """A right foot standing flat: heel, outer midfoot, metatarsal heads, toes (+b medial)."""
    k = length_mm
    pads: list[Pad] = [
        (0.12 * k, 0.0, 0.33, 0.075 * k),
        (0.40 * k, -0.13 * k, 0.08, 0.06 * k),
        (0.72 * k, -0.15 * k, 0.12, 0.05 * k),
        (0.74 * k, -0.01 * k, 0.15, 0.05 * k),
        (0.72 * k, 0.14 * k, 0.14, 0.05 * k),
        (0.92 * k, 0.12 * k, 0.11, 0.04 * k),
        (0.88 * k, -0.08 * k, 0.07, 0.035 * k),
    ]
    return make_template("foot", pads)


def _line(a0: float, a1: float, b: float, weight: float, sigma: float, taper: float) -> list[Pad]:
    """Pads every ~35 mm from a0 to a1 sharing `weight`, tapering toward a1 (a limb lying on
    the mat touches it along a line, not in spots)."""
    n = max(2, round(abs(a1 - a0) / 35.0) + 1)
    raw = [1.0 - taper * i / (n - 1) for i in range(n)]
    total = sum(raw)
    return [(a0 + (a1 - a0) * i / (n - 1), b, weight * w / total, sigma) for i, w in enumerate(raw)]


def knee_shin(shin_mm: float, *, instep_down: bool) -> Template:
    """A knee with the shin behind it (toward -a), and the instep when the foot lies flat.

    The origin is the knee itself, not the contact's CoP, so a pose places the knee."""
    s = shin_mm
    pads: list[Pad] = [(0.0, 0.0, 0.4, 16)]
    if instep_down:
        pads += _line(-40.0, -0.85 * s, 0.0, 0.42, 15, 0.6)
        pads += [(-s - 40, 0.0, 0.12, 18), (-s - 100, 0.0, 0.06, 13)]
    else:
        pads += _line(-40.0, -0.35 * s, 0.0, 0.3, 15, 0.5)
    return make_template("knee", pads, centre=False)


def calf_heel(shin_mm: float) -> Template:
    """A leg stretched out in a long sit: back of the thigh, calf, heel (heel toward +a).

    The origin is the back of the knee."""
    s = shin_mm
    pads: list[Pad] = [
        (-0.25 * s, 0.0, 0.2, 30),
        (0.35 * s, 0.0, 0.38, 24),
        (1.05 * s, 0.0, 0.42, 16),
    ]
    return make_template("calf", pads, centre=False)


def seat() -> Template:
    """Buttocks sitting: sitting bones, gluteal tissue, back of the thighs (thighs toward +a)."""
    pads: list[Pad] = [
        (0, 55, 0.22, 24),
        (0, -55, 0.22, 24),
        (-25, 90, 0.12, 42),
        (-25, -90, 0.12, 42),
        (-60, 0, 0.08, 25),
        (130, 80, 0.12, 40),
        (130, -80, 0.12, 40),
    ]
    return make_template("seat", pads, centre=False)


def lying_body(height_mm: float, *, prone: bool, length_scale: float = 1.0) -> Template:
    """A body lying along +a (head at +a); the origin is the hips (half the height)."""
    h = height_mm
    # (distance from the top of the head as a fraction of height, across, weight, spread)
    if prone:
        parts = [
            (0.06, 0.0, 0.04, 0.025),
            (0.22, 0.06, 0.09, 0.035),
            (0.22, -0.06, 0.09, 0.035),
            (0.26, 0.0, 0.08, 0.035),
            (0.38, 0.0, 0.08, 0.04),
            (0.48, 0.08, 0.09, 0.035),
            (0.48, -0.08, 0.09, 0.035),
            (0.62, 0.07, 0.07, 0.03),
            (0.62, -0.07, 0.07, 0.03),
            (0.73, 0.07, 0.05, 0.022),
            (0.73, -0.07, 0.05, 0.022),
            (0.83, 0.07, 0.03, 0.025),
            (0.83, -0.07, 0.03, 0.025),
            (0.97, 0.08, 0.025, 0.018),
            (0.97, -0.08, 0.025, 0.018),
        ]
    else:
        parts = [
            (0.07, 0.0, 0.06, 0.03),
            (0.20, 0.08, 0.09, 0.035),
            (0.20, -0.08, 0.09, 0.035),
            (0.27, 0.0, 0.08, 0.035),
            (0.45, 0.0, 0.1, 0.04),
            (0.48, 0.06, 0.1, 0.04),
            (0.48, -0.06, 0.1, 0.04),
            (0.62, 0.07, 0.06, 0.035),
            (0.62, -0.07, 0.06, 0.035),
            (0.80, 0.07, 0.05, 0.03),
            (0.80, -0.07, 0.05, 0.03),
            (0.96, 0.07, 0.04, 0.018),
            (0.96, -0.07, 0.04, 0.018),
            (0.40, 0.2, 0.02, 0.02),
            (0.40, -0.2, 0.02, 0.02),
        ]
    # Spreads are 0.7 of the segment's half-width: a body on a firm mat touches it in patches.
    pads = [((0.5 - f) * h * length_scale, b * h, w, 0.7 * s * h) for f, b, w, s in parts]
    # Thighs and shins touch along their length between those patches.
    for side in (1.0, -1.0):
        a0, a1 = (0.5 - 0.55) * h * length_scale, (0.5 - 0.9) * h * length_scale
        pads += _line(a0, a1, side * 0.07 * h, 0.05, 0.016 * h, 0.4)
    return make_template("prone" if prone else "supine", pads, centre=False)


def head(area_mm2: float) -> Template:
    """A forehead resting on the mat (child's pose)."""
    return make_template("head", [(0, 0, 1.0, 15)], area_mm2=area_mm2)


# ---------------------------------------------------------------- things that are not people


def rect_lattice(
    name: str, length_mm: float, width_mm: float, edge_boost: float, jitter: FloatArray | None
) -> Template:
    """A flat base pressing evenly (with heavier edges when rigid), as a lattice of pads."""
    nx = max(2, round(length_mm / 35.0))
    ny = max(2, round(width_mm / 35.0))
    xs = np.linspace(
        -length_mm / 2 + length_mm / (2 * nx), length_mm / 2 - length_mm / (2 * nx), nx
    )
    ys = np.linspace(-width_mm / 2 + width_mm / (2 * ny), width_mm / 2 - width_mm / (2 * ny), ny)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    w = np.ones_like(gx)
    w[0, :] *= edge_boost
    w[-1, :] *= edge_boost
    w[:, 0] *= edge_boost
    w[:, -1] *= edge_boost
    if jitter is not None:
        w *= jitter.reshape(w.shape)
    spread = 0.55 * min(length_mm / nx, width_mm / ny)
    pads = [
        (float(x), float(y), float(v), spread)
        for x, y, v in zip(gx.ravel(), gy.ravel(), w.ravel(), strict=True)
    ]
    return make_template(name, pads, centre=False)


def ring(name: str, diameter_mm: float, n: int = 10) -> Template:
    """The rim of a round base (a kettlebell, a pot): pads around a circle."""
    r = 0.4 * diameter_mm
    pads: list[Pad] = [
        (
            r * math.cos(2 * math.pi * i / n),
            r * math.sin(2 * math.pi * i / n),
            1.0,
            0.09 * diameter_mm,
        )
        for i in range(n)
    ]
    pads.append((0.0, 0.0, 0.6, 0.2 * diameter_mm))
    return make_template(name, pads, centre=False)


def disc(name: str, area_mm2: float) -> Template:
    """One small round contact: a paw, a bottle's base."""
    return make_template(name, [(0, 0, 1.0, 10)], area_mm2=area_mm2)


# ---------------------------------------------------------------- a contact placed on the mat


@dataclass(frozen=True, slots=True)
class ContactState:
    """One contact on the mat at one instant: its shape, where, which way, how hard.

    `shift_mm` moves the contact's own centre of pressure (world frame, mm) by shifting load
    between its pads (a hand rolling toward the wrist), not by moving the contact."""

    template: Template
    x_mm: float
    y_mm: float
    heading: float
    force_n: float
    shift_mm: tuple[float, float] = (0.0, 0.0)


def pads_on_mat(c: ContactState) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The contact's pads in mat coordinates: x, y (mm), force (N), spread (mm)."""
    t = c.template
    ch, sh = math.cos(c.heading), math.sin(c.heading)
    x = c.x_mm + t.a * ch - t.b * sh
    y = c.y_mm + t.a * sh + t.b * ch
    w = t.weight
    dx, dy = c.shift_mm
    if dx or dy:
        w, x, y = _shift_cop(c, x, y, dx, dy)
    return x, y, w * c.force_n, t.sigma


def _shift_cop(
    c: ContactState, x: FloatArray, y: FloatArray, dx: float, dy: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Moves the contact's CoP by (dx, dy) mm, exactly.

    Load first moves between pads (a linear tilt, kept positive); whatever a small contact
    cannot absorb that way (toes have little room) is a slight roll of the whole contact."""
    t = c.template
    w = t.weight
    cx, cy = float(w @ x), float(w @ y)
    dist = math.hypot(dx, dy)
    ux, uy = dx / dist, dy / dist
    proj = (x - cx) * ux + (y - cy) * uy
    var = float(w @ proj**2)
    if var > 1e-9:
        tilted = np.maximum(w * (1.0 + (dist / var) * proj), 0.05 * w)
        tilted /= tilted.sum()
    else:
        tilted = w
    moved = float(tilted @ proj)
    rest = dist - moved
    return tilted, x + rest * ux, y + rest * uy


class PressureRenderer:
    """Integrates contacts' pressure over each cell of a mat with the given geometry."""

    def __init__(self, geometry: Geometry, foam_sigma_mm: float = 4.0) -> None:
        self.geometry = geometry
        self.foam_sigma_mm = foam_sigma_mm
        self.col_pitch_mm = geometry.col_pitch_um / 1000.0
        self.row_pitch_mm = geometry.row_pitch_um / 1000.0
        self.x_edges = np.arange(geometry.cols + 1, dtype=np.float64) * self.col_pitch_mm
        self.y_edges = np.arange(geometry.rows + 1, dtype=np.float64) * self.row_pitch_mm
        self.length_mm = float(self.x_edges[-1])
        self.width_mm = float(self.y_edges[-1])
        self.cell_area_m2 = self.col_pitch_mm * self.row_pitch_mm * 1e-6

    def force_map(self, contacts: Sequence[ContactState]) -> FloatArray:
        """Newtons on each cell (rows × cols). Force off the mat's edges is lost to the floor."""
        g = self.geometry
        live = [c for c in contacts if c.force_n > 0.0]
        if not live:
            return np.zeros((g.rows, g.cols))
        parts = [pads_on_mat(c) for c in live]
        x = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        f = np.concatenate([p[2] for p in parts])
        s = np.sqrt(np.concatenate([p[3] for p in parts]) ** 2 + self.foam_sigma_mm**2)
        along = np.diff(ndtr((self.x_edges[None, :] - x[:, None]) / s[:, None]), axis=1)
        across = np.diff(ndtr((self.y_edges[None, :] - y[:, None]) / s[:, None]), axis=1)
        out: FloatArray = (across * f[:, None]).T @ along
        return out

    def pressure_kpa(self, contacts: Sequence[ContactState]) -> FloatArray:
        """Mean pressure over each cell's area, kPa."""
        return self.force_map(contacts) / (self.cell_area_m2 * 1000.0)

    def on_mat_fraction(self, contact: ContactState) -> float:
        """How much of a contact's force lands on the mat (the rest is on the floor)."""
        if contact.force_n <= 0.0:
            return 0.0
        return float(self.force_map([contact]).sum() / contact.force_n)
