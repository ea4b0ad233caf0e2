"""From the contacts of one frame to the push-up pattern: which are the hands, which
the toes or knees, the body axis between them and u, the body-axis coordinate.

Nothing here assumes a direction: the person may face either end, lie off centre or
at an angle (SIGNALS.md allows up to 20° to the mat's long side). The split between
hands and support is searched among the contacts ordered along the mat, in both
orientations, and the candidate that fits the push-up anatomy best wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from matd.config import DetectorConfig
from matd.features import Contact

Point = tuple[float, float]

# How much larger a palm may measure once a set is under way (hysteresis).
HOLD_AREA_FACTOR = 1.25


@dataclass(frozen=True, slots=True)
class Pattern:
    """The push-up (or knee push-up) pattern found in one frame."""

    knees: bool
    hands: tuple[Contact, ...]  # one or two palms
    support: tuple[Contact, ...]  # toes or knees (with shins)
    hands_at: Point  # geometric centre of the palms, mm
    support_at: Point  # geometric centre of the toes or knees, mm
    hands_load: float
    support_load: float
    stray_load: float  # load on contacts that are neither hands nor support
    # The feet's tips behind a knee push-up's knees, too faint to count as support: their
    # load is the body's, so they stay in its CoP (see `PatternFinder.find`).
    feet: tuple[Contact, ...] = ()

    @property
    def hands_share(self) -> float:
        total = self.hands_load + self.support_load
        return self.hands_load / total if total > 0 else 0.0

    @property
    def cop(self) -> Point:
        """The centre of pressure of the palms and the support alone, mm."""
        return self.cop_with(None, 1.0)

    def cop_with(self, contact: Contact | None, factor: float) -> Point:
        """`cop` with one contact's load taken `factor` times (a part of it the mat lost)."""
        parts = self.hands + self.support + self.feet
        loads = [c.load_n * factor if c is contact else c.load_n for c in parts]
        load = sum(loads) or 1e-9
        return (
            sum(c.cop[0] * w for c, w in zip(parts, loads, strict=True)) / load,
            sum(c.cop[1] * w for c, w in zip(parts, loads, strict=True)) / load,
        )

    @property
    def length_mm(self) -> float:
        return math.dist(self.hands_at, self.support_at)

    @property
    def axis(self) -> Point:
        """Unit vector from the support toward the hands (the way the person faces)."""
        dx = self.hands_at[0] - self.support_at[0]
        dy = self.hands_at[1] - self.support_at[1]
        n = math.hypot(dx, dy) or 1.0
        return dx / n, dy / n

    def left_share(self) -> float | None:
        """The left hand's share of the hands' load (the person's left, prone)."""
        if len(self.hands) != 2:
            return None
        ax, ay = self.axis
        a, b = self.hands
        # Prone, facing `axis`: the person's left lies at +90° from the axis (z up).
        side_a = -ay * (a.centroid[0] - self.hands_at[0]) + ax * (a.centroid[1] - self.hands_at[1])
        left, right = (a, b) if side_a > 0 else (b, a)
        total = left.load_n + right.load_n
        return left.load_n / total if total > 0 else None


def _bbox_gap(a: Contact, b: Contact) -> float:
    ax0, ax1, ay0, ay1 = a.bbox
    bx0, bx1, by0, by1 = b.bbox
    gx = max(bx0 - ax1, ax0 - bx1, 0.0)
    gy = max(by0 - ay1, ay0 - by1, 0.0)
    return math.hypot(gx, gy)


def _combine(parts: list[Contact]) -> Contact:
    if len(parts) == 1:
        return parts[0]
    load = sum(c.load_n for c in parts) or 1e-9
    area = sum(c.area_cm2 for c in parts)
    cx = sum(c.centroid[0] * c.area_cm2 for c in parts) / area
    cy = sum(c.centroid[1] * c.area_cm2 for c in parts) / area
    px = sum(c.cop[0] * c.load_n for c in parts) / load
    py = sum(c.cop[1] * c.load_n for c in parts) / load
    sxx = sum(c.load_n * (c.cov[0] + (c.cop[0] - px) ** 2) for c in parts) / load
    syy = sum(c.load_n * (c.cov[2] + (c.cop[1] - py) ** 2) for c in parts) / load
    sxy = sum(c.load_n * (c.cov[1] + (c.cop[0] - px) * (c.cop[1] - py)) for c in parts) / load
    return Contact(
        cells=sum(c.cells for c in parts),
        area_cm2=area,
        load_n=sum(c.load_n for c in parts),
        centroid=(cx, cy),
        cop=(px, py),
        bbox=(
            min(c.bbox[0] for c in parts),
            max(c.bbox[1] for c in parts),
            min(c.bbox[2] for c in parts),
            max(c.bbox[3] for c in parts),
        ),
        cov=(sxx, sxy, syy),
        peak_kpa=max(c.peak_kpa for c in parts),
        at_edge=any(c.at_edge for c in parts),
    )


def merge_limbs(contacts: list[Contact], gap_mm: float) -> list[Contact]:
    """Join patches that lie closer than `gap_mm`: a palm's heel and its finger pads, or a
    contact split by a dead cell, are one limb for the pattern."""
    groups: list[list[Contact]] = []
    for c in contacts:
        near = [g for g in groups if any(_bbox_gap(c, m) <= gap_mm for m in g)]
        merged = [c]
        for g in near:
            merged += g
            groups.remove(g)
        groups.append(merged)
    return [_combine(g) for g in groups]


def _centre(contacts: tuple[Contact, ...]) -> Point:
    n = len(contacts)
    return (
        sum(c.centroid[0] for c in contacts) / n,
        sum(c.centroid[1] for c in contacts) / n,
    )


def _area_centre(contacts: tuple[Contact, ...]) -> Point:
    """The centre of all the contacts' cells together."""
    area = sum(c.area_cm2 for c in contacts)
    if area <= 0:
        return _centre(contacts)
    return (
        sum(c.centroid[0] * c.area_cm2 for c in contacts) / area,
        sum(c.centroid[1] * c.area_cm2 for c in contacts) / area,
    )


def _along(c: Contact, axis: Point) -> float:
    """The contact's extent along the axis, mm, from its pressure spread and bounding box."""
    ax, ay = axis
    sxx, sxy, syy = c.cov
    var = ax * ax * sxx + 2 * ax * ay * sxy + ay * ay * syy
    return 4.0 * math.sqrt(max(var, 0.0))


# A knee alone measures up to about this long along the body (its pressure smeared over the
# cells); a longer patch is a knee with its shin behind it.
KNEE_ALONE_MAX_MM = 220.0
# Support patches smaller than this share of the largest, in a knee push-up, are the feet's
# tips behind the knees: no part of where the body pivots.
KNEE_PATCH_SHARE = 0.5
# Where the feet rest behind the knees: up to a long shin and foot back, and a little
# wider than the knees on either side.
FEET_BEHIND_MM = 550.0
FEET_SIDE_MM = 120.0
# A piece split off a knee or a shin lies within a few cells of it.
KNEE_PIECE_GAP_MM = 80.0


def knee_patches(support: Sequence[Contact]) -> tuple[Contact, ...]:
    """The patches of a knee push-up's support that the body pivots on: the knees (and
    shins), not the faint tips of the feet behind them."""
    big = max(c.area_cm2 for c in support)
    return tuple(c for c in support if c.area_cm2 >= KNEE_PATCH_SHARE * big)


def knee_pieces(support: Sequence[Contact]) -> tuple[int, int]:
    """How many knee patches there are, and how many smaller pieces lie right by them
    (split off a knee or shin): what changes when the knees' patches split and merge.
    The feet's tips a shin's length behind, crossing in and out of the support from frame
    to frame as their load flickers about the share that counts, are no piece of them."""
    knees = knee_patches(support)
    pieces = sum(
        1
        for c in support
        if c not in knees and min(_bbox_gap(c, k) for k in knees) <= KNEE_PIECE_GAP_MM
    )
    return len(knees), pieces


# Of two palms at least one lies whole on the mat: no smaller than a child's palm on the
# cells (about 80 cm²). A cat's or dog's paws, even a big dog's, read 40-60 cm².
PALMS_LARGER_MIN_CM2 = 65.0
SUPPORT_WIDER_MM = 100.0
FAR_KNEES_MM = 600.0
FAR_KNEES_SHARE = 0.04

# A short person's knee push-up reaches no further from palms to knees than a tall person's
# all fours (SIGNALS.md's ranges meet there). The lever tells them apart: on all fours the
# knees sit under the hips and the palms carry half the weight or less; in a knee push-up
# the body leans onto the palms.
SHORT_REACH_MM = 490.0
SHORT_REACH_SHARE = 0.54
# Once such a knee push-up has begun (its pattern seen leaning that far), its tops hold it
# while the set is still to be announced: they lean least, as little as 52.6% on the
# palms, where all fours carries at most 51%.
SHORT_REACH_HOLD = 0.02


def _lateral_spread(contacts: tuple[Contact, ...], axis: Point) -> float:
    """The widest distance across the body between the contacts' centres, mm."""
    ax, ay = axis
    side = [-ay * c.centroid[0] + ax * c.centroid[1] for c in contacts]
    return max(side) - min(side)


def _knee_reach(hands_at: Point, support: tuple[Contact, ...], axis: Point) -> float:
    """Distance along the body from the palms back to the nearest knee, mm: the front end of
    each knee-and-shin patch, or the centre of a knee alone."""
    ax, ay = axis
    best = math.inf
    for c in support:
        along = (hands_at[0] - c.centroid[0]) * ax + (hands_at[1] - c.centroid[1]) * ay
        length = _along(c, axis)
        # `length` is 4 std devs of the pressure: a bar of length L spreads to 1.15 L.
        front = along - (0.43 * length if length > KNEE_ALONE_MAX_MM else 0.0)
        best = min(best, front)
    return best


def _feet_behind(p: Pattern, faint: list[Contact]) -> tuple[Contact, ...]:
    """The faint contacts that lie where a knee push-up's feet rest: behind the knees, no
    further than a shin and foot, and little wider than the knees.

    The feet's tips carry a few per cent of the load, near the share a contact needs to
    count at all: as they cross it from frame to frame, their leverage behind the knees
    would jump the CoP (and u, by as much as a sag) if only the contacts that count were
    in it."""
    ax, ay = p.axis
    sx, sy = p.support_at
    half_width = _lateral_spread(p.support, p.axis) / 2 + FEET_SIDE_MM
    out = []
    for c in faint:
        dx, dy = c.centroid[0] - sx, c.centroid[1] - sy
        along = dx * ax + dy * ay
        if -FEET_BEHIND_MM <= along <= 0.0 and abs(-ay * dx + ax * dy) <= half_width:
            out.append(c)
    return tuple(out)


class PatternFinder:
    """Finds the push-up pattern in a frame's contacts, with thresholds from config."""

    def __init__(self, cfg: DetectorConfig) -> None:
        self.cfg = cfg

    def find(
        self,
        contacts: list[Contact],
        *,
        allow_one_hand: bool = False,
        hands_near: Point | None = None,
        share_margin: float = 0.0,
        lean_margin: float = 0.0,
    ) -> Pattern | None:
        """The best pattern among the contacts, or None. In a set, `allow_one_hand` lets a
        palm be lifted for a moment, `share_margin` widens the hands' share limits (a set
        in progress is held by a looser test than the one that started it),
        `lean_margin` does so for the lean that tells a short person's knee push-up from
        all fours alone (a knee push-up begun holds at its top), and `hands_near` (where
        the palms were) breaks ties toward continuity."""
        total = sum(c.load_n for c in contacts)
        if total <= 0:
            return None
        limbs = merge_limbs(contacts, self.cfg.limb_gap_mm)
        significant = [c for c in limbs if c.load_n >= 0.015 * total]
        if not 2 <= len(significant) <= 8:
            return None
        ordered = sorted(significant, key=lambda c: c.centroid[0])
        best: tuple[float, Pattern] | None = None
        for cut in range(1, len(ordered)):
            low, high = tuple(ordered[:cut]), tuple(ordered[cut:])
            for hands, support in ((low, high), (high, low)):
                found = self._candidate(
                    hands, support, total, allow_one_hand, share_margin, lean_margin
                )
                if found is None:
                    continue
                score = found[0]
                if hands_near is not None:
                    score -= math.dist(found[1].hands_at, hands_near) / 500.0
                if best is None or score > best[0]:
                    best = (score, found[1])
        if best is None:
            return None
        pattern = best[1]
        if pattern.knees:
            feet = _feet_behind(pattern, [c for c in limbs if c not in significant])
            if feet:
                pattern = replace(pattern, feet=feet)
        return pattern

    def _candidate(
        self,
        hands: tuple[Contact, ...],
        support: tuple[Contact, ...],
        total: float,
        allow_one_hand: bool,
        share_margin: float,
        lean_margin: float,
    ) -> tuple[float, Pattern] | None:
        cfg = self.cfg
        if len(hands) > 2 or len(support) > 4:  # knees, shins and the feet behind them
            return None
        if len(hands) == 1 and not allow_one_hand:
            return None
        hands_at, support_at = _centre(hands), _centre(support)
        dx, dy = hands_at[0] - support_at[0], hands_at[1] - support_at[1]
        length = math.hypot(dx, dy)
        if length < 1.0:
            return None
        axis = (dx / length, dy / length)
        # The body lies within about 20° of the mat's long side (SIGNALS.md); allow margin.
        if abs(axis[0]) < math.cos(math.radians(cfg.max_angle_deg)):
            return None
        # A set in progress is held by looser limits than the ones that start one: a
        # heavy person's palms spread wider over the cells as the set goes on.
        palm_max = cfg.palm_max_cm2 * (HOLD_AREA_FACTOR if share_margin > 0 else 1.0)
        for h in hands:
            if not (cfg.palm_min_cm2 <= h.area_cm2 <= palm_max):
                return None
            if _along(h, axis) > cfg.palm_max_len_mm:
                return None
        if len(hands) == 2:
            a, b = hands
            if max(a.area_cm2, b.area_cm2) < PALMS_LARGER_MIN_CM2:
                return None  # two paws: a pet standing still, not a person's palms
            ddx = a.centroid[0] - b.centroid[0]
            ddy = a.centroid[1] - b.centroid[1]
            lateral = abs(-axis[1] * ddx + axis[0] * ddy)
            along = abs(axis[0] * ddx + axis[1] * ddy)
            if not (cfg.hands_gap_min_mm <= lateral <= cfg.hands_gap_max_mm):
                return None
            if along > 0.6 * lateral + 80:
                return None  # one behind the other: a stride, not two palms
            if len(support) >= 2 and _lateral_spread(support, axis) > lateral + SUPPORT_WIDER_MM:
                # Knees alone are palm-sized and can carry a palm's share: read the wrong way
                # round, the "support" would be set far wider apart than the "palms".
                return None
        support_area = max(c.area_cm2 for c in support)
        support_len = max(_along(c, axis) for c in support)
        if max(c.area_cm2 for c in support) > cfg.knee_max_cm2:
            return None  # a seat, a lying body, a bag: far bigger than knees
        knees = support_area > cfg.toes_max_cm2 or support_len > cfg.toes_max_len_mm
        hands_load = sum(c.load_n for c in hands)
        support_load = sum(c.load_n for c in support)
        stray = total - hands_load - support_load
        if stray > cfg.stray_max_share * total:
            return None
        share = hands_load / (hands_load + support_load)
        if knees:
            lo, hi = cfg.knee_length_min_m * 1000, cfg.knee_length_max_m * 1000
            share_lo, share_hi = cfg.knee_share_min, cfg.knee_share_max
        else:
            lo, hi = cfg.toe_length_min_m * 1000, cfg.toe_length_max_m * 1000
            share_lo, share_hi = cfg.toe_share_min, cfg.toe_share_max
        if not (lo <= length <= hi):
            return None
        if knees:
            reach = _knee_reach(hands_at, support, axis)
            if reach < cfg.knee_reach_min_m * 1000 and not (
                # (held by the set's looser share like the other limits: at the top of a
                # short person's knee push-up the palms carry least)
                reach >= SHORT_REACH_MM
                and share >= SHORT_REACH_SHARE - max(share_margin, lean_margin)
            ):
                return None  # knees under the hips: kneeling on all fours, not a knee push-up
            if reach >= FAR_KNEES_MM:
                # Knees this far behind the palms are no all fours: the share's floor guards
                # against that, and a palm partly over the mat's edge loses some of its load.
                share_lo -= FAR_KNEES_SHARE
        if len(hands) == 1:
            # One palm in the air shifts load to the other limbs for a moment.
            share_lo, share_hi = share_lo - 0.2, share_hi + 0.05
        if not (share_lo - share_margin <= share <= share_hi + share_margin):
            return None
        if knees:
            # Knees that touch read as one patch and part again: u is measured from where
            # all the support's cells are, which that does not move (the mean of the
            # patches' centres jumps toward the feet behind them, and u with it). Toes are
            # small and alike: their patches' centres are steadier than their cells.
            # The tips of the feet behind them are small, faint patches that come and go
            # with the rep: counted, their leverage would jump u by as much as a sag.
            support_at = _area_centre(knee_patches(support))
        pattern = Pattern(
            knees=knees,
            hands=hands,
            support=support,
            hands_at=hands_at,
            support_at=support_at,
            hands_load=hands_load,
            support_load=support_load,
            stray_load=stray,
        )
        # Prefer the split that explains the most load with the fewest strays.
        score = (hands_load + support_load) / total + 0.1 * len(hands)
        return score, pattern
