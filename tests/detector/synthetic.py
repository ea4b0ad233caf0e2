"""Hand-built detector input: contacts placed by geometry, loads split by a u trajectory.

This feeds the detector directly (no sensor, no kernels) so its logic can be checked
against exactly known u values; the physical simulator covers the rest end to end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from matd.features import Contact, Features

RATE = 50.0


def contact(
    x: float,
    y: float,
    load: float,
    area: float,
    length: float,
    width: float,
    angle: float = 0.0,
    cop_shift: float = 0.0,
    centre_shift: float = 0.0,
) -> Contact:
    """`cop_shift` moves the CoP along `angle`; `centre_shift` moves the patch's centre with
    it (on a real grid, cells at the light edge drop below the floor as the load rolls)."""
    c, s = math.cos(angle), math.sin(angle)
    sl, sw = (length / 4) ** 2, (width / 4) ** 2
    sxx = c * c * sl + s * s * sw
    syy = s * s * sl + c * c * sw
    sxy = c * s * (sl - sw)
    return Contact(
        cells=max(1, round(area / 6.25)),
        area_cm2=area,
        load_n=load,
        centroid=(x + centre_shift * c, y + centre_shift * s),
        cop=(x + cop_shift * c, y + cop_shift * s),
        bbox=(x - length / 2, x + length / 2, y - width / 2, y + width / 2),
        cov=(sxx, sxy, syy),
        peak_kpa=40.0,
    )


def pushup_frames(
    u_of_t: Callable[[float], float],
    duration: float,
    *,
    weight: float = 700.0,
    length_mm: float = 1300.0,
    facing: float = 1.0,
    angle_deg: float = 0.0,
    knees: bool = False,
    t0: float = 100.0,
    centre: tuple[float, float] = (1000.0, 400.0),
    hand_shift: Callable[[float], float] = lambda t: 0.0,
    centre_follows: float = 0.0,
    heave_of: Callable[[float], float] | None = None,
) -> Iterator[Features]:
    """Hands and toes (or knees) around `centre`, the hands toward `facing` (+1 or -1).
    `hand_shift` (mm, toward the wrists) moves each palm's CoP, and `centre_follows` of it
    moves the palm's centre too. The load heaves with the acceleration of `heave_of` (the
    body's height; by default u itself)."""
    a = math.radians(angle_deg)
    ax, ay = facing * math.cos(a), facing * math.sin(a)
    px, py = -ay, ax  # the person's left
    hx, hy = centre[0] + ax * length_mm / 2, centre[1] + ay * length_mm / 2
    sx, sy = centre[0] - ax * length_mm / 2, centre[1] - ay * length_mm / 2
    n = int(duration * RATE)
    for i in range(n):
        t = i / RATE
        u = u_of_t(t)
        # Lowering and raising the body takes vertical force: the load heaves with u's
        # acceleration (a real rep's signature, which breathing does not have).
        h = 1.0 / RATE
        # (u grows as the body goes down: its acceleration toward the palms takes load off)
        y = heave_of or u_of_t
        heave = 1.0 - 0.25 * (y(t + h) - 2 * y(t) + y(max(t - h, 0.0))) / (h * h)
        w = weight * heave
        hands, support = w * u, w * (1 - u)
        # A palm's own CoP moves toward the wrist (the feet) when the hips sag.
        shift = -facing * hand_shift(t)
        follow = centre_follows * shift
        h1 = contact(hx + px * 220, hy + py * 220, hands / 2, 100, 120, 90, a, shift, follow)
        h2 = contact(hx - px * 220, hy - py * 220, hands / 2, 100, 120, 90, a, shift, follow)
        if knees:
            s1 = contact(
                sx + px * 120 - ax * 150, sy + py * 120 - ay * 150, support / 2, 180, 350, 80, a
            )
            s2 = contact(
                sx - px * 120 - ax * 150, sy - py * 120 - ay * 150, support / 2, 180, 350, 80, a
            )
        else:
            s1 = contact(sx + px * 80, sy + py * 80, support / 2, 20, 50, 40, a)
            s2 = contact(sx - px * 80, sy - py * 80, support / 2, 20, 50, 40, a)
        cs = [h1, h2, s1, s2]
        total = sum(c.load_n for c in cs)
        cop = (
            sum(c.cop[0] * c.load_n for c in cs) / total,
            sum(c.cop[1] * c.load_n for c in cs) / total,
        )
        yield Features(t=t0 + t, load_n=total, cop=cop, contacts=cs)


def empty_frames(duration: float, t0: float) -> Iterator[Features]:
    for i in range(int(duration * RATE)):
        yield Features(t=t0 + i / RATE, load_n=0.0, cop=None, contacts=[])


def rep_u(
    top: float,
    depth: float,
    reps: int,
    period: float,
    start: float,
    sag: Callable[[float], float] = lambda t: 0.0,
) -> Callable[[float], float]:
    """u: plank until `start`, then `reps` cosine-shaped reps of `period` s, then plank."""

    def u(t: float) -> float:
        base = top - sag(t)
        k = (t - start) / period
        if 0 <= k < reps:
            return base + depth * 0.5 * (1 - math.cos(2 * math.pi * (k % 1)))
        return base

    return u
