"""The detector: frames' features in; phases, sets, reps and hip sag out.

Pure logic, no I/O, no wall clock: it is driven only by the frames' device time `t`,
so a replay of a recording gives exactly the events of the live run. SIGNALS.md is
the contract for what is reported and when.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field

from matd.config import DetectorConfig
from matd.detector.events import Event, make_event
from matd.detector.pattern import (
    SHORT_REACH_HOLD,
    Pattern,
    PatternFinder,
    Point,
    knee_pieces,
)
from matd.features import Features

IDLE, OCCUPIED, PLANK, SET = "idle", "occupied", "plank", "set"

# Below this total load the mat counts as empty (a few newtons of noise or a towel).
IDLE_LOAD_N = 40.0
# Before a set is announced, the pattern may flicker this long without starting over.
CANDIDATE_GAP_S = 0.3
# In a set, the palms (or the toes) do not move further than this between frames: a hand
# lifted and put down a few cm away is fine, a pattern found elsewhere is a misread.
MAX_HANDS_JUMP_MM = 150.0
MAX_SUPPORT_JUMP_MM = 250.0
# A patch splitting off the knees, or the feet's tips coming and going, moves the knees'
# centre by up to about this much; a bigger jump is the knees put down elsewhere.
KNEE_JUMP_MAX_MM = 60.0
# ... and by a few centimetres at once: less is the knees' own jitter from frame to frame,
# which taken out at each of a few hundred changes walks their centre away.
KNEE_JUMP_MIN_MM = 20.0
# After the pattern was lost this long (a palm in the air), a rep in progress starts over.
RESUME_AFTER_S = 0.1
# ...and the palm put back needs this long before u means anything again.
SETTLE_S = 0.4
# Where the palms were before a palm went up is read this long before it did: it unloads
# first, and its patch shrinks toward where the last of the load is.
PALMS_BEFORE_S = 0.4
# A rep must start this long after the pattern formed to count before the set is announced.
CANDIDATE_SETTLE_S = 0.5
# At a set's start its top is the lowest u this recent.
ANNOUNCE_TOP_S = 0.5
# A swing this many times the set's usual depth means its top was left low (a sag that
# eased mid-rep): the rep is back once u has come down most of a usual depth.
STALE_TOP_SWING = 1.6
STALE_TOP_RETURN = 0.8
# u within this range for this long is a hold (at the top, or at the bottom).
HOLD_S = 0.4
HOLD_RANGE_U = 0.004
# A rep is told once the pattern has stayed this long after it: the way a person gets off
# the mat (down to the knees, lying down) swings u like a rep just before the pattern goes.
REP_CONFIRM_S = 0.25
# ...and unless u (the sag added back) fell this far under the rep's top meanwhile: getting
# off takes u far toward the feet at once; breathing sways it 0.02 over seconds, and a sag
# setting in is added back as the palms roll.
LEAVING_BELOW_U = 0.04
# u moving faster than this (per second, over RATE_SPAN_S) is no push-up: a rep's fastest
# half (0.1 in u pushed up in 0.5 s) moves it at most about 0.38/s.
WILD_RATE_U_S = 0.4
RATE_SPAN_S = 0.1
WILD_HOLD_S = 0.5
# Faster than any push-up lowers a body: a drop to the mat or getting off it.
DROP_RATE_U_S = 0.6
# u beyond the baseline by this many usual rep depths (or this much in a plank) is past
# any bottom: the person is leaving the push-up.
BEYOND_BOTTOM_DEPTHS = 1.3
BEYOND_PLANK_U = 0.06
# ...and beyond this many, the palms' shift says nothing of the hips; once a set's reps
# are known, beyond this much at least (where u's reps are squeezed, more than twice their
# depth: the palms' line, taught by them, is guessed further out).
PALMS_BOTTOM_DEPTHS = 1.1
PALMS_FLOOR_U = 0.04
# Less load swing than this in a rep (a share of the load) is no body going down and up,
# on a mat whose reps heave at all.
NO_HEAVE = 0.02
# A shallow rep heaves the load less than a full one: this share of what the mat's recent
# reps heave it is a rep's heave too.
REL_HEAVE = 0.4
# A rep heaving the load this share of the mat's usual reps may be as shallow as this share
# of the set's usual depth (not under SHALLOW_MIN_U), below rep_min_depth_u.
SHALLOW_HEAVE = 0.6
SHALLOW_MEDIAN = 0.7
SHALLOW_MIN_U = 0.01
# A swing that heaves the load by REL_HEAVE of this mat's reps counts down to this much u:
# a partial rep the cells squeeze (breathing, which sways u as much, never heaves the load).
HEAVED_MIN_U = 0.012
# ...and down to this much while the hips are not sagging: the shallowest partial rep
# (0.02) shows as little as 0.009 where the palms load the cells near saturation, while
# sagging hips bob and heave the load as they do (and a sag bends u's scale further).
HEAVED_CLEAR_MIN_U = 0.008
# ...and, in a sag, down to this much for a swing like a partial rep in all else (a third
# of the set's depth, heaving as one, taking a rep's time): the sag bends u's scale too,
# while its bobs swing u less and quicker.
PARTIAL_SAG_MIN_U = 0.01
# ...if it took no longer than this many times the set's reps (from leaving the top to
# back): a partial rep goes less far than a rep, never slower; a swing that small taking
# longer is the sag's drift at a pause on top, meeting the next rep's start.
PARTIAL_SAG_MAX_TIMES = 1.5
# These floors never go under this share of the set's median depth: a partial rep is a
# third of a rep, squeezed or not, so a mat whose reps swing far shows its partial reps far.
HEAVED_MEDIAN_SHARE = 0.2
# A swing this share of the set's median depth, heaving this share of its usual heave
# and lasting this long, is a partial rep: counted, and told as `partial` (SIGNALS.md).
PARTIAL_SWING = 0.3
PARTIAL_HEAVE = 0.25
PARTIAL_MIN_S = 0.6
# Before a set's first rep, a swing whose u stays near its peak this long (s) is a pike: a
# rep's bottom is held 2 s at most (SIGNALS.md), and its turn adds about half a second.
PIKE_HELD_S = 3.0
# A swing heaving the load this much is a body going down and up even before the set's reps
# have shown their heave, down to STRONG_MIN_U of u: toes over the mat's edge, rolling more of
# themselves onto it at the bottom, squeeze u's swing, while breathing never heaves the load.
STRONG_HEAVE = 0.12
STRONG_MIN_U = 0.008
# Until a mat's reps have shown whether they heave, a rep without heave must swing u this
# far: more than breathing sways it in a plank (SIGNALS.md: up to 0.02).
FLAT_FIRST_U = 0.04
FLAT_FIRST_MAX_S = 3.0
# ...and must leave the top this soon after the set formed or its last rep.
FLAT_FIRST_GAP_S = 8.0
# ...or, however slow and long after, swing this far (more than a pike or a shift of weight).
FLAT_DEEP_U = 0.08
# On a mat known to be flat, where the last set's reps (at least FLAT_KNOWN_REPS of them)
# swung u less than usual (a squeezing sensor), a first rep may swing this share of them,
# never under FLAT_FIRST_MIN_U (more than breathing sways u, SIGNALS.md: up to 0.02).
FLAT_KNOWN_REPS = 3
FLAT_KNOWN_SHARE = 0.6
FLAT_FIRST_MIN_U = 0.025
# On a flat mat a swing this share of the set's usual depth is a (partial) rep.
FLAT_PARTIAL = 0.3
# The palms' line is known once this many frames have taught it.
LINE_MIN_FRAMES = 50
# ... over at least this share of the set's usual rep depth in u
LINE_SWING_SHARE = 0.6
# Frames whose top sits further than this (in sag_threshold_u) off the baseline do not
# teach it either.
LEARN_DROP = 1.0
# Frames whose palms sit further than this off their line do not teach it (mm): a pike's
# onset, read as a rep's way down, rolls the palms toward the fingers by 3-10 mm. Until the
# line knows how the palms roll with a rep (a plank's line does not), a wider margin.
LEARN_RESIDUAL_MM = 4.5
LEARN_RESIDUAL_NEW_MM = 9.0
# ...and are learnt this long after they were seen, if no sag was brewing meanwhile.
LEARN_DELAY_S = 2.0
# A way down teaches the line only as a counted rep no deeper than this many of the set's
# usual: hips piking on the way down take u further, and roll the palms further toward the
# fingers, than any rep of the set.
LEARN_MAX_DEPTHS = 1.3
# A way down that is not learnt takes this much of the top before it along.
PENDING_LEAD_S = 0.5
# A top whose u set a new low this recently is still falling: not yet a top to judge.
FALLING_TOP_S = 0.05
# SIGNALS.md: a sag takes the top 0.015 to 0.05 below the baseline; deeper, held, with
# nothing from the palms, is someone sinking back, not the hips.
SAG_DEEPEST_U = 0.05
# After a palm is put down again its offset is followed at the top for this long, this
# quickly.
REBASE_S = 0.5
REBASE_TAU_S = 0.15
# In a plank the drop of u alone must be this many times sag_u_alone, held this long.
PLANK_U_ALONE_FACTOR = 1.25
PLANK_U_ALONE_S = 2.0
# A rep that u cannot show (a sag setting in on its way down takes u back as far as the rep
# takes it forward) still shows in the load: down, the load dips then peaks; up, it peaks
# then dips. A dip, a peak and a dip, each past HEAVE_CYCLE_SHARE of the set's usual heave
# from the load's running level (followed over HEAVE_REF_S), is one rep's heave.
HEAVE_CYCLE_SHARE = 0.25
HEAVE_REF_S = 3.0
# ...counted by the load only if no rep was counted by u from its start until this long
# after it, and (a whole rep's heave) only while a sag was on, where u cannot be trusted
# to show the rep.
HEAVE_WAIT_S = 0.6
# ...and with good form too, on a mat whose reps heave the load this much while u shows
# them under this (a sensor, or toes over the mat's edge, that squeezes u's swing: reps
# merge and vanish in u, while a shift of weight never heaves the load so).
SQUEEZED_HEAVE = 0.1
SQUEEZED_U = 0.025
# (where u, squeezed, tells a rep back at the top early: up to this long after its heave
# began, a rep u counted is the one before)
SQUEEZED_SEEN_S = 0.3
# A rep u barely shows at all (a partial one, its swing squeezed under the rise that leaves
# the top, or split into bits too short for a rep) still heaves the load like the set's
# reps, if less: a dip, a peak and a dip past this share of the set's heave, taking a rep's
# time, while u came back up at least PARTIAL_CYCLE_U from the bottom, is a rep too, with
# good form. (In a set whose reps are known: only reps heave the load so; a pike, a sag or
# a shift of weight move the body too slowly to. Its depth is what u showed coming back.)
PARTIAL_CYCLE_SHARE = 0.12
PARTIAL_CYCLE_U = 0.003
# In a sag the load's heave tells no rep by itself (sagging hips bob and heave it as a
# partial rep does), but while a sag sets in or eases its step in u cancels a rep's swing,
# the commonest rep u misses: a heave in which the sag began (from this long before the
# heave, the sag's evidence lagging its onset) or ended (told up to HEAVE_WAIT_S after the
# heave, `sag_release_s` after u came back) is judged as a heave with good form is.
SAG_TURN_LEAD_S = 0.5
# ...and, reps then running back to back through the turn, its peak (the rep's bottom) came
# at least this long after the last rep was told: the way down takes 0.6 s at the quickest
# (SIGNALS.md), and u tells a rep as it comes back, often before the load's own top. A heave
# peaking sooner is one rep's way up meeting the next one's way down.
SAG_TURN_BOTTOM_S = 0.8
# A body doing push-ups keeps its weight on the mat, give or take a rep's heave (SIGNALS.md:
# 5-15%): a load this far under its running level (followed over HEAVE_REF_S) is the
# person taking weight off the mat, getting up or off, and says nothing of the hips.
LEAVING_SHARE = 0.25
# (the load judged so is smoothed over this: a frame or two off is a knock, not a person)
LEAVING_TAU_S = 0.1
# A pike told this soon after the baseline was taken from reps began in them: once it
# ends, the baseline is taken again.
PIKE_IN_BASELINE_S = 1.0
# (from reps that leave the top this long after the pike's end: the hips are still coming
# down as it is told)
PIKE_SETTLE_S = 0.5
# A gap in the frames this long (device time) ends whatever was going on.
MAX_FRAME_GAP_S = 1.5

# A palm put down again over the mat's edge: the body weighs what it did, so the load the
# mat lost is the part of that palm beyond the edge, and u is read with it given back.
# The body's load is followed over this (a rep's heave averages out over its cycle) ...
BODY_LOAD_TAU_S = 2.0
# ... and the share lost over this much time once the palm is down again, then held: the
# part beyond the edge stays while the palm does, and the sensor creeping up under a long
# hold would make it seem to shrink.
CUT_LEARN_S = 3.0
# Less lost than this share of the body's load is heave and noise: nothing is given back.
CUT_MIN_SHARE = 0.03
# The reading of a held load creeps up (the foam under the cells gives): over a plank the
# load before a palm's lift is followed this long, and its climb carried on past the lift.
CREEP_SPAN_S = 4.0
# A rep's load that climbed (or fell) this much of its range from start to end is creeping,
# not heaving: its heave is taken about that climb.
CREEP_RANGE_SHARE = 0.6
# At most this much of the palm's own load (a palm put down at least half on the mat).
CUT_MAX_RATIO = 1.0
# A palm put down on cells that read it heavier than the old ones: at most this much of
# its load is taken off.
MISREAD_MAX_RATIO = 0.5
# A palm put down well on the mat mid-set is misread by a few per cent, and the mean over
# a rep or two of the load heaving is off by up to a quarter of the heave: less than that
# is no misreading.
MISREAD_HEAVE_SHARE = 0.25
# ... nor is a palm judged misread in its first half second down.
MISREAD_SETTLE_S = 0.5

# Reps are followed on u with the hips' sag added back: a sag that sets in or eases mid-rep
# moves u as far as a partial rep does. How far u falls per mm the palms roll is the
# person's own; it is learnt at tops in a sag, starting from a typical figure.
SAG_U_PER_MM = 0.0025
SAG_U_PER_MM_RANGE = (0.0008, 0.008)
SAG_COMP_DEAD_MM = 2.0
SAG_LEARN_TAU_S = 0.5
SAG_LEARN_AT_TOP_S = 0.2
# (the palms must have rolled this many sag_hand_shift_mm past the dead band for u's drop
# over their roll to be read: less is mostly the palms' noise)
SAG_LEARN_ROLL = 1.0
HELD_MIN_REPS = 3
# A lesser shift of the palms (sag_hand_held) counts toward a sag only if it rose by this
# share of itself within HELD_RISE_S: a sag's shift comes on in under half a second, while
# the palms' own centre wanders by a few millimetres over seconds (held out 55's case 158:
# 3 mm over 2.5 s in a good-form knee set).
HELD_RISE_S = 1.0
HELD_RISE_SHARE = 0.6
# The palms' centre this far from where it was before a palm went up: that palm was put
# down elsewhere (a palm moved 2 cm moves their centre 1 cm), not just lifted.
PALM_MOVED_MM = 10.0
# Until the palms' line has relearnt their roll at the new place, the palms alone start a
# sag mid-rep only with this many times sag_hand_alone: the old place's slope is a guess.
GUESSED_ROLL_FACTOR = 2.0
# A sag also ends once the palms are back on their line (within half a threshold) and u's
# top is within a threshold of the baseline, the two together at most half a sag's
# evidence, held this long: the tops after a sag may settle a little under the baseline.
FAINT_RELEASE_S = 1.2
# Whether this mat shows the load move with the body's motion at all: a step or a shift of
# weight makes the load rise and fall back (or fall and rise back) by this share within
# BUMP_SPAN_S, the mat loaded throughout (a ramp as someone steps on or off only rises or
# falls). A mat reporting load at a steady scale, or a recording from static balance alone,
# never shows it; a mat that does shows a rep's heave too.
BUMP_SHARE = 0.04
BUMP_SPAN_S = 1.5
BUMP_FLOOR = 0.5
# A rep's heave is counted from at most this long before u leaves the top (never from before
# the top itself): what the load did while the top was held longer is not the rep's.
HEAVE_LEAD_S = 0.5
# Going down into a rep the body pivots on the toes: their CoP rolls toward the hands, this
# far (mm, along the body) or more by the rep's bottom. Breathing, which sways u in a plank as
# far as a shallow rep, moves the centre of mass alone; hips piking roll the palms toward the
# fingers, not the toes. On a mat whose load stays flat (no heave to tell a rep by) that roll
# is the body going down. (A foot lifted or put down moves the toes' CoP by half their gap,
# 4 cm or more: no roll.)
PIVOT_REP_MM = 1.5
PIVOT_MAX_MM = 25.0


class LoadMotion:
    """Watches the total load until it has once risen and fallen back like a body's motion."""

    def __init__(self) -> None:
        self.seen = False
        self._window: deque[tuple[float, float]] = deque()

    def add(self, t: float, load: float) -> None:
        if self.seen:
            return
        window = self._window
        if load < IDLE_LOAD_N:
            window.clear()
            return
        window.append((t, load))
        while t - window[0][0] > BUMP_SPAN_S:
            window.popleft()
        loads = [x for _, x in window]
        hi, lo = max(loads), min(loads)
        if lo < BUMP_FLOOR * hi:
            return  # someone stepping on or off
        ends = (loads[0], loads[-1])
        self.seen = max(ends) <= hi * (1.0 - BUMP_SHARE) or min(ends) >= lo * (1.0 + BUMP_SHARE)


@dataclass
class RepRecord:
    n: int
    t: float
    depth: float
    top_u: float
    duration_s: float
    partial: bool
    by_load: bool = False  # counted from the load's heave: u did not show it


@dataclass(frozen=True, slots=True)
class HeaveCycle:
    """One dip, peak and dip of the load: a rep's heave."""

    start: float
    peak: float  # when the load rose past its level: the rep's bottom
    end: float
    sag: bool  # a sag was on at some time in it
    u_back: float  # how far u came back up from the bottom


class _HeaveCycles:
    """Follows the load through dip, peak and dip around its running level, each past
    `share` of the set's heave (peak to peak, as a share of the load)."""

    def __init__(self, share: float, *, fresh_dip: bool = False) -> None:
        self.share = share
        # (with `fresh_dip`, a first dip that came back level and dips again starts the
        # cycle afresh: the last rep's closing dip runs straight into the next one's opening)
        self.fresh_dip = fresh_dip
        self.phase = 0  # 0 level, 1 first dip, 2 peak, 3 second dip
        self.t0 = 0.0
        self.peak_t = 0.0
        self.sag = False
        self.level_again = False
        self.u_hi = 0.0
        self.u_back = 0.0
        self.done: HeaveCycle | None = None

    def step(
        self, t: float, load: float, ref: float, heave: float, u: float, sag: bool, max_s: float
    ) -> None:
        swing = self.share * heave * ref
        low, high = ref - swing, ref + swing
        self.sag = self.sag or sag
        self.u_hi = max(self.u_hi, u)
        phase = self.phase
        level = load > ref - 0.4 * swing
        dip_again = self.fresh_dip and phase == 1 and self.level_again and load < low
        if (phase == 0 and load < low) or dip_again:
            self.phase, self.t0, self.sag = 1, t, sag
            self.level_again = False
        elif phase == 1 and load > high:
            # (u is followed from here: the first dip may be the last rep's closing one)
            self.phase, self.peak_t, self.u_hi = 2, t, u
        elif phase == 1 and level:
            self.level_again = True
        elif phase == 2 and load < low:
            # (how far u came back from the bottom: by the closing dip a rep is up, and
            # with reps back to back the next begins in it)
            self.phase, self.u_back = 3, self.u_hi - u
        elif phase == 3 and level:
            self.done = HeaveCycle(self.t0, self.peak_t, t, self.sag, self.u_back)
            self.phase = 0
        if phase in (1, 2) and t - self.t0 > max_s:
            self.phase = 0

    def forget(self) -> None:
        self.phase, self.done = 0, None


@dataclass
class SagEpisode:
    start_t: float
    end_t: float | None = None
    max_depth: float = 0.0


@dataclass
class SetRecord:
    """One set while it runs; becomes the `set_ended` event."""

    set_id: int
    knees: bool
    start_t: float
    last_seen_t: float
    reps: list[RepRecord] = field(default_factory=list)
    sags: list[SagEpisode] = field(default_factory=list)
    baseline_u: float | None = None
    baseline_from: str | None = None
    baseline_t: float = 0.0
    baseline_after: float = -math.inf  # the baseline's reps left their top after this
    plank_samples: list[float] = field(default_factory=list)
    left_share_sum: float = 0.0
    left_share_n: int = 0
    u_trace: list[tuple[float, float]] = field(default_factory=list)
    announced: bool = False
    announced_t: float = 0.0
    pending: list[Event] = field(default_factory=list)
    _median: float | None = None
    _median_key: tuple[int, float | None] | None = None

    def median_depth(self) -> float | None:
        # Asked for on every frame; the reps change a few times a minute.
        key = (len(self.reps), self.reps[-1].t if self.reps else None)
        if self._median_key != key:
            depths = [r.depth for r in self.reps if not r.by_load]
            self._median = statistics.median(depths) if depths else None
            self._median_key = key
        return self._median


class _Smoother:
    """First-order low-pass on device time (works at any frame rate)."""

    def __init__(self, tau_s: float) -> None:
        self.tau = tau_s
        self.value: float | None = None
        self.t: float | None = None

    def update(self, t: float, x: float) -> float:
        if self.value is None or self.t is None or self.tau <= 0:
            self.value = x
        else:
            dt = max(t - self.t, 0.0)
            a = 1.0 - math.exp(-dt / self.tau)
            self.value += a * (x - self.value)
        self.t = t
        return self.value

    def reset(self) -> None:
        self.value = None
        self.t = None


class _Anchor:
    """A slowly tracked point (the hands, the support), snapping when a limb is moved."""

    SNAP_MM = 40.0

    def __init__(self, tau_s: float = 1.0) -> None:
        self.tau = tau_s
        self.at: Point | None = None
        self.t = 0.0

    def update(self, t: float, p: Point) -> Point:
        if self.at is None or math.dist(self.at, p) > self.SNAP_MM:
            self.at = p
        else:
            a = 1.0 - math.exp(-max(t - self.t, 0.0) / self.tau)
            self.at = (self.at[0] + a * (p[0] - self.at[0]), self.at[1] + a * (p[1] - self.at[1]))
        self.t = t
        return self.at

    def reset(self) -> None:
        self.at = None


def _palms_cop(p: Pattern) -> Point:
    n = len(p.hands)
    return (sum(h.cop[0] for h in p.hands) / n, sum(h.cop[1] for h in p.hands) / n)


def _hand_offset(p: Pattern, axis: Point, ref: Point) -> float:
    """How far the palms' own CoPs sit ahead of where they were at `ref`, along the body, mm."""
    ax, ay = axis
    c = _palms_cop(p)
    return (c[0] - ref[0]) * ax + (c[1] - ref[1]) * ay


def _support_cop(p: Pattern) -> Point | None:
    """The CoP of the toes (or the knees) alone, mm."""
    load = sum(c.load_n for c in p.support)
    if load <= 0.0:
        return None
    return (
        sum(c.cop[0] * c.load_n for c in p.support) / load,
        sum(c.cop[1] * c.load_n for c in p.support) / load,
    )


def _palms_roll(fit: tuple[float, float], u: float, hand_off: float) -> float:
    """How far the palms sit toward the wrists of their good-form line at this u, mm."""
    slope, icpt = fit
    return (icpt + slope * u) - hand_off


class _LineFit:
    """Least squares of the palms' offset on u over good-form frames, forgetting slowly
    (the sensor creeps), so the slope is learnt from the reps even when the baseline came
    from a plank."""

    def __init__(self, tau_s: float) -> None:
        self.tau = tau_s
        self.t: float | None = None
        self.s0 = self.su = self.sh = self.suu = self.suh = 0.0
        self.u_lo = math.inf
        self.u_hi = -math.inf

    def add(self, t: float, u: float, h: float) -> None:
        if self.t is not None:
            k = math.exp(-max(t - self.t, 0.0) / self.tau)
            self.s0 *= k
            self.su *= k
            self.sh *= k
            self.suu *= k
            self.suh *= k
        self.t = t
        self.s0 += 1.0
        self.su += u
        self.sh += h
        self.suu += u * u
        self.suh += u * h
        self.u_lo = min(self.u_lo, u)
        self.u_hi = max(self.u_hi, u)

    def line(self, min_swing: float = 0.0) -> tuple[float, float] | None:
        """(slope, intercept) once u has swung enough to show a slope, and over at least
        `min_swing` of u."""
        if self.s0 < LINE_MIN_FRAMES or self.u_hi - self.u_lo < min_swing:
            return None
        mu, mh = self.su / self.s0, self.sh / self.s0
        var = self.suu / self.s0 - mu * mu
        if var < 0.012**2:
            return None
        slope = (self.suh / self.s0 - mu * mh) / var
        return slope, mh - slope * mu


def _fit_line(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares hand offset against u over the good-form baseline: (slope, intercept)."""
    n = len(pairs)
    mu = sum(u for u, _ in pairs) / n
    mh = sum(h for _, h in pairs) / n
    suu = sum((u - mu) ** 2 for u, _ in pairs)
    suh = sum((u - mu) * (h - mh) for u, h in pairs)
    # A plank barely moves u: no slope to learn, and noise must not invent one.
    slope = suh / suu if suu > n * 0.008**2 else 0.0
    return slope, mh - slope * mu


class Detector:
    _palms_seen: list[Point]  # each palm's centre when both were last down
    """Feed it `Features` in device-time order; it returns the events each frame raised."""

    def __init__(
        self,
        cfg: DetectorConfig,
        *,
        first_set_id: int = 1,
        person_baseline: dict[str, float] | None = None,
    ) -> None:
        self.cfg = cfg
        self.finder = PatternFinder(cfg)
        self.sag_threshold = cfg.sag_threshold_u
        self.person_baseline = person_baseline or {}
        self._next_set_id = first_set_id
        self.t = 0.0
        self._last_t: float | None = None
        self.load = 0.0
        self.cop: Point | None = None
        self.pattern: Pattern | None = None
        self.current: SetRecord | None = None
        self.last_set: Event | None = None
        self._suppress_until_gone = False
        # The load's heave in the latest reps: whether this mat shows it at all.
        self._rep_heaves: deque[float] = deque(maxlen=20)
        # Their median once three reps have shown it (kept as reps come, not per frame).
        self._usual_heave: float | None = None
        self._sag_u_per_mm = SAG_U_PER_MM
        # How deep the last set's reps swung u: what this mat (and its person) shows.
        self._mat_depth: float | None = None
        self._sag_learn_t: float | None = None
        self._load_motion = LoadMotion()
        self._init_cycle()

    # ------------------------------------------------------------ public

    @property
    def phase(self) -> str:
        if self.current is not None and self.current.announced:
            return SET if self.current.reps else PLANK
        return OCCUPIED if self.load >= IDLE_LOAD_N else IDLE

    @property
    def sag(self) -> bool:
        return self._sag is not None

    def state(self) -> dict[str, object]:
        cur = self.current if self.current is not None and self.current.announced else None
        return {
            "phase": self.phase,
            "reps": len(cur.reps) if cur else 0,
            "partial_reps": sum(r.partial for r in cur.reps) if cur else 0,
            "sag": self.sag,
            "hands_share": round(self.pattern.hands_share, 3) if self.pattern else None,
            "cop": {"x_mm": round(self.cop[0], 1), "y_mm": round(self.cop[1], 1)}
            if self.cop
            else None,
            "load": round(self.load, 1),
            "set_id": cur.set_id if cur else None,
            "t": round(self.t, 3),
        }

    def update(self, f: Features) -> list[Event]:
        events: list[Event] = []
        if self._last_t is not None and f.t - self._last_t > MAX_FRAME_GAP_S and self.current:
            # The mat went quiet (unplugged, rebooted): the set cannot have gone on unseen.
            events += self._end_set(self.current.last_seen_t)
        self._last_t = f.t
        self.t = f.t
        self.load = f.load_n
        self._load_motion.add(f.t, f.load_n)
        self.cop = f.cop
        cur = self.current
        announced = cur is not None and cur.announced
        pattern = self.finder.find(
            f.contacts,
            allow_one_hand=announced,
            hands_near=self._hands.at if cur else None,
            # Hysteresis: a palm half off the mat's edge or a lean mid-set moves the share.
            share_margin=self.cfg.hold_share_margin if announced else 0.0,
            lean_margin=SHORT_REACH_HOLD if cur is not None and cur.knees else 0.0,
        )
        if pattern is not None and cur is not None and pattern.knees != cur.knees:
            # Resting on the knees mid-set is the pattern gone (SIGNALS.md); before the set
            # is announced, a change of support is a person still getting into position.
            if announced:
                pattern = None
            else:
                self._drop_candidate()
                cur = None
        if pattern is not None and cur is not None and not self._continues(pattern):
            pattern = None  # palms or toes elsewhere than a moment ago: a misread frame
        self.pattern = pattern
        if pattern is not None and len(pattern.hands) == 2:
            self._palms_seen = [h.centroid for h in pattern.hands]
        if pattern is None and self._suppress_until_gone and self.current is None:
            self._suppress_until_gone = False

        if cur is None:
            if pattern is None or len(pattern.hands) != 2 or self._suppress_until_gone:
                return events
            cur = self._begin_candidate(f.t, pattern)
        if pattern is not None:
            cur.last_seen_t = f.t
            events += self._track(f.t, pattern)
            if not cur.announced and self._stable(f.t):
                events = self._announce(f.t) + events
        elif not cur.announced:
            self._u_missed = True
            if f.t - cur.last_seen_t >= CANDIDATE_GAP_S:
                self._drop_candidate()
        else:
            self._u_missed = self._pattern_went = True
            if self._unconfirmed is not None:
                # The pattern went within REP_CONFIRM_S of the rep's top: that swing was
                # the person going down to the knees (for a rest, or to get off).
                self._drop_unconfirmed()
            if f.t - cur.last_seen_t >= self.cfg.pattern_gone_s:
                events += self._end_set(cur.last_seen_t)
        if cur.announced or self.current is None:
            return events
        # Not announced yet: hold what the candidate raised until it is (or is dropped).
        cur.pending += events
        return []

    def end_set(self) -> list[Event]:
        """End the set in progress now (a user's command); the next needs a fresh start."""
        self._suppress_until_gone = True
        if self.current is None:
            return []
        if not self.current.announced:
            self._drop_candidate()
            return []
        return self._end_set(self.t)

    def finish(self) -> list[Event]:
        """The stream ended (end of a recording): close what is open."""
        if self.current is None:
            return []
        if not self.current.announced:
            self._drop_candidate()
            return []
        return self._end_set(self.current.last_seen_t)

    # ------------------------------------------------------------ set start/end

    def _begin_candidate(self, t: float, pattern: Pattern) -> SetRecord:
        self._init_cycle()
        cur = SetRecord(set_id=self._next_set_id, knees=pattern.knees, start_t=t, last_seen_t=t)
        stored = self.person_baseline.get("knees" if pattern.knees else "toes")
        if stored is not None:
            cur.baseline_u = stored
            cur.baseline_from = "calibration"
        self.current = cur
        return cur

    def _continues(self, p: Pattern) -> bool:
        h, s = self._hands.at, self._support.at
        if h is None or s is None:
            return True
        if len(p.hands) == 1 and self._palms_seen:
            # One palm up: the other is where it was, half a hand span from their middle.
            palm = p.hands[0].centroid
            hands_ok = min(math.dist(palm, q) for q in self._palms_seen) <= MAX_HANDS_JUMP_MM
        else:
            hands_ok = math.dist(p.hands_at, h) <= MAX_HANDS_JUMP_MM
        home = self._support_home
        # (the knees set down for a rest pull the support's anchor toward them on the way:
        # the toes back where the reps were done are the set going on, not a misread)
        support_ok = math.dist(p.support_at, s) <= MAX_SUPPORT_JUMP_MM or (
            home is not None and math.dist(p.support_at, home) <= MAX_SUPPORT_JUMP_MM / 4
        )
        return hands_ok and support_ok

    def _drop_candidate(self) -> None:
        self.current = None
        self._init_cycle()

    def _stable(self, t: float) -> bool:
        """The pattern has held for `pattern_stable_s` without u sweeping (a person still
        shifting weight into position is not a set yet), or a rep has already been done."""
        cur = self.current
        assert cur is not None
        if t - cur.start_t < self.cfg.pattern_stable_s:
            return False
        if cur.reps:
            return True
        window = [u for (tt, u) in self._recent_u if tt >= t - self.cfg.pattern_stable_s]
        return bool(window) and max(window) - min(window) <= self.cfg.pattern_stable_u_range

    def _announce(self, t: float) -> list[Event]:
        cur = self.current
        assert cur is not None
        cur.announced = True
        cur.announced_t = t
        if not cur.reps:
            self._top_from_window(t)
        self._next_set_id = cur.set_id + 1
        events = [make_event("set_started", t, cur.set_id, knees=cur.knees), *cur.pending]
        cur.pending = []
        return events

    def _end_set(self, end_t: float) -> list[Event]:
        cur = self.current
        assert cur is not None
        events: list[Event] = self._confirm_rep(end_t)
        self._drop_unconfirmed()
        if self._sag is not None:
            events.append(self._close_sag(end_t))
        if self._pike_since is not None:
            events.append(make_event("pike_ended", end_t, cur.set_id))
        median = cur.median_depth()
        if median is not None and len(cur.reps) >= FLAT_KNOWN_REPS:
            self._mat_depth = median
        partial = (
            sum(r.depth < self.cfg.partial_fraction * median for r in cur.reps) if median else 0
        )
        sag_seconds = sum((s.end_t or end_t) - s.start_t for s in cur.sags)
        balance = cur.left_share_sum / cur.left_share_n if cur.left_share_n else None
        ended = make_event(
            "set_ended",
            self.t,
            cur.set_id,
            kind="pushup" if cur.reps else "plank",
            knees=cur.knees,
            reps=len(cur.reps),
            partial_reps=int(partial),
            duration_s=round(end_t - cur.start_t, 2),
            sag_episodes=len(cur.sags),
            sag_seconds=round(sag_seconds, 2),
            baseline_u=round(cur.baseline_u, 4) if cur.baseline_u is not None else None,
            balance={"left": round(balance, 3), "right": round(1 - balance, 3)}
            if balance is not None
            else None,
        )
        events.append(ended)
        self.last_set = ended
        self.current = None
        self._init_cycle()
        return events

    # ------------------------------------------------------------ within a set

    def _init_cycle(self) -> None:
        self._u = _Smoother(self.cfg.u_smoothing_s)
        self._hands = _Anchor()
        self._support = _Anchor()
        self._knees_seen: tuple[Point, tuple[int, int]] | None = None
        self._knees_off: Point = (0.0, 0.0)  # the patches' jumps taken out of the knees' centre
        self._support_home: Point | None = None  # the support where the last rep was done
        self._home_before: Point | None = None  # and before the rep not yet confirmed
        self._palms_seen = []
        self.u: float | None = None
        self._going_down = False
        self._top_u: float | None = None  # lowest u of the current top phase
        self._top_t = 0.0
        self._left_t = 0.0  # the last moment at the top before this way down
        self._peak_u = 0.0
        self._top_level: float | None = None  # the latest estimate of u at the top
        self._pivot: Point = (0.0, 0.0)  # the support's own CoP (mm)
        self._pivot_top: Point = (0.0, 0.0)  # ...at the top the rep left from
        self._pivot_peak: Point = (0.0, 0.0)  # ...at its deepest
        self._sag: SagEpisode | None = None
        self._below_since: float | None = None
        self._above_since: float | None = None
        self._faint_since: float | None = None
        self._palm_moved = False
        self._roll_unknown = False  # a palm put down elsewhere: its roll not relearnt yet
        self._pike_since: float | None = None
        self._pike_cand: float | None = None
        self._pike_in_baseline = False
        self._hand_off = _Smoother(self.cfg.u_smoothing_s)
        self._hand_ref: Point | None = None
        # The palms' centres over the latest frames with u: a palm being lifted unloads
        # first, and its shrinking patch no longer shows where it was.
        self._hands_at_seen: deque[tuple[float, Point]] = deque()
        self._replaced: tuple[Point, Point] | None = None  # (hand_ref, palms' centre) before
        self._pairs: list[tuple[float, float]] = []
        self._hand_fit: tuple[float, float] | None = None  # hand offset = icpt + slope·u
        self._line = _LineFit(self.cfg.baseline_drift_s)
        self._rebase_hands = False
        self._rebase_left = 0.0  # seconds at the top still to learn a re-placed palm
        self._rebase_t: float | None = None
        self._learn_queue: deque[tuple[float, float, float]] = deque()
        # Frames seen on a way down wait for its end: only a counted rep's are learnt.
        self._learn_pending: list[tuple[float, float, float]] = []
        self._rep_counted_t = -math.inf
        self._pending_odd = False
        self._rep_usual = True  # the last counted rep swung no deeper than the set's usual
        self._line_fresh = False  # frames learnt since the line was last taken up
        self._slope_known = False
        self._u_alone_since: float | None = None
        self._hand_weak_since: float | None = None
        self._palm_shifts: deque[tuple[float, float]] = deque()  # (t, ev_h) over HELD_RISE_S
        self._drift_t: float | None = None
        self._u_seen_t: float | None = None
        # Frames that came without u (a palm up), as opposed to frames lost on the wire:
        # after a gap in the frames the body is where it was, after a palm was up it is not.
        self._u_missed = False
        self._settle_until = -math.inf
        # The hands-to-support length u was measured against before a palm was first put
        # down elsewhere, and whether the hands' anchor is still to be moved to where the
        # palms are now.
        self._len_ref: float | None = None
        self._snap_hands = False
        self._pattern_went = False  # (not just a palm up: a knee rest, say)
        self._rep_loads: list[tuple[float, float]] = []  # the load through the rep so far
        self._top_loads: deque[tuple[float, float]] = deque()
        self._recent_u: deque[tuple[float, float]] = deque()
        self._unconfirmed: Event | None = None
        self._heave_ref = _Smoother(HEAVE_REF_S)  # the load's running level
        self._part_ref = _Smoother(HEAVE_REF_S)
        self._load_level = _Smoother(HEAVE_REF_S)
        self._load_now = _Smoother(LEAVING_TAU_S)
        self._leaving = False  # the load well under the body's: getting up or off
        self._heave_full = _HeaveCycles(HEAVE_CYCLE_SHARE)
        self._heave_part = _HeaveCycles(PARTIAL_CYCLE_SHARE, fresh_dip=True)
        self._rep_u = 0.0  # u with the sag added back, as reps are told on
        self._rate_from: tuple[float, float] | None = None
        self._wild_until = -math.inf
        self._wild_t = -math.inf  # when u last swung faster than any rep takes it
        self._sag_in_u = 0.0  # how far the hips' sag has moved u now, as the palms tell
        self._body_load = _Smoother(BODY_LOAD_TAU_S)
        self._body_seen: deque[tuple[float, float]] = deque()
        self._body_raw: deque[tuple[float, float]] = deque()  # unsmoothed, for its trend
        # A palm re-placed over the edge: the body's load before its lift, and since it is
        # down again the load lost and the palm's own load, followed (each a mean so far).
        self._cut_ref: float | None = None
        self._cut_creep = 0.0  # how fast the reading of that load was creeping up, N/s
        self._cut_ref_t = 0.0  # when the body's load was `_cut_ref`
        self._cut_since = 0.0
        self._cut_t = 0.0
        self._cut_lost = 0.0
        self._cut_palm = 0.0
        self._cut_ratio = 0.0  # how much of the palm's load lies beyond the edge
        self._cut_at: Point | None = None  # where that palm lies
        # The palm that stayed down while the other was lifted: the one lifted is put down
        # again on other cells, which may read it otherwise (their gains, the response).
        self._stayed_at: Point | None = None
        self._cut_reps = False  # reps were under way when the palm was put down
        self._body_since = math.inf  # the body's load followed since
        self._cut_settled = False  # ... long enough before the lift to judge a misread palm

    def _top_from_window(self, t: float) -> None:
        """The set starts from a steady pattern: its top is the lowest u of that steady
        window, not whatever u passed through while the person got into place (a top
        left there would make the whole first rep look like one long way down)."""
        # Steady for a second, u may still have settled within it: the latest half second
        # is where the person holds.
        window = [(tt, u) for (tt, u) in self._recent_u if tt >= t - ANNOUNCE_TOP_S]
        if not window or self.u is None:
            return
        top_t, top_u = min(window, key=lambda p: p[1])
        if self._top_u is not None and top_u - self._top_u < self.cfg.rep_enter_u:
            return  # the top already sits at the window's floor: a rep may be under way
        self._top_u, self._top_t = top_u, top_t
        self._top_level = top_u
        self._pivot_top = self._pivot_peak = self._pivot
        after = [u for (tt, u) in window if tt >= top_t]
        self._peak_u = max(after)
        self._going_down = self.u - top_u >= self.cfg.rep_enter_u
        self._rep_loads = [(self.t, self.load)]

    def _axis(self) -> Point:
        h, s = self._hands.at, self._support.at
        if h is None or s is None:
            return (1.0, 0.0)
        dx, dy = h[0] - s[0], h[1] - s[1]
        n = math.hypot(dx, dy) or 1.0
        return dx / n, dy / n

    def _feed_u(self, t: float, p: Pattern) -> float | None:
        if len(p.hands) != 2:
            return None  # a hand in the air: the axis and u are not to be trusted
        if self._snap_hands and t >= self._settle_until:
            self._hands.reset()  # a palm put down elsewhere: no gliding there over seconds
            self._snap_hands = False
        h = self._hands.update(t, p.hands_at)
        before = self._support.at
        at = self._steady_knees(p) if p.knees else p.support_at
        if not p.knees:
            self._knees_seen, self._knees_off = None, (0.0, 0.0)
        s = self._support.update(t, at)
        if before is not None and s == at and s != before and not p.knees:
            # The toes jumped: a foot lifted or put down. The CoP's shift from the load
            # moving onto the other contacts is no rep and no sag. (Knees and shins are
            # long patches whose centre jumps as they split and merge with the rep.)
            self._wild_until = t + WILD_HOLD_S
        ax, ay = h[0] - s[0], h[1] - s[1]
        n2 = ax * ax + ay * ay
        if n2 <= 0:
            return None
        # The CoP of the body's own contacts: a bottle or a kettlebell elsewhere on the mat
        # moves the whole mat's CoP but is no part of the push-up.
        cop = self._cop_cut_given_back(t, p)
        # In static balance the CoP lies under the body's centre of mass wherever the palms
        # are: once a palm has been put down further from the support (or nearer), u is
        # the CoP's distance from the support over the length the set was measured with.
        scale = n2 if self._len_ref is None else math.sqrt(n2) * self._len_ref
        raw = ((cop[0] - s[0]) * ax + (cop[1] - s[1]) * ay) / scale
        self.u = self._u.update(t, raw)
        self._recent_u.append((t, self.u))
        while self._recent_u and self._recent_u[0][0] < t - 2.0:
            self._recent_u.popleft()
        return self.u

    def _steady_knees(self, p: Pattern) -> Point:
        """The knees' centre, less the jumps of patches splitting, merging, coming and going.

        A patch that splits off the knees and shins (or joins them again), or the feet's
        tips touching behind them, moves the knee patches' centre by up to 4 cm while the
        body stays where it was: at the frame the support's patches change, that jump is
        taken out (and stays out: the knees are where they were)."""
        raw = p.support_at
        parts = knee_pieces(p.support)
        seen = self._knees_seen
        cur = self.current
        if cur is None or not cur.announced:
            # (getting into position moves the knees themselves: the set's own patches
            # are where it is measured from)
            self._knees_off = (0.0, 0.0)
        elif seen is not None and parts != seen[1]:
            jump = (raw[0] - seen[0][0], raw[1] - seen[0][1])
            if KNEE_JUMP_MIN_MM <= math.hypot(*jump) <= KNEE_JUMP_MAX_MM:
                off = self._knees_off
                self._knees_off = (off[0] + jump[0], off[1] + jump[1])
        self._knees_seen = (raw, parts)
        off = self._knees_off
        return (raw[0] - off[0], raw[1] - off[1])

    def _cop_cut_given_back(self, t: float, p: Pattern) -> Point:
        """The CoP of the body's contacts, with the part of a re-placed palm that lies
        beyond the mat's edge given back to it (its load, at the palm's CoP)."""
        cut = [h for h in p.hands if h.at_edge]
        palm = cut[0] if len(cut) == 1 else None
        stayed = self._stayed_at
        misread = stayed is not None and len(p.hands) == 2 and self._cut_settled
        if misread:
            # The palm lifted, put down on other cells: they may read it lighter or heavier
            # (their gains, more of it on the mat or less). The body still weighs what it
            # did, so the load the mat gained or lost is that palm's, as over an edge.
            assert stayed is not None
            palm = max(p.hands, key=lambda h: math.dist(h.centroid, stayed))
        # (a palm on the mat, put down mid-set: misread by less than reps heave the load)
        on_mat_mid_set = misread and palm is not None and not palm.at_edge and self._cut_reps
        ref, at = self._cut_ref, self._cut_at
        if ref is not None:
            ref += self._cut_creep * (t - self._cut_ref_t)
        if palm is not None and ref is not None and t - self._cut_since <= CUT_LEARN_S:
            self._cut_at = palm.centroid
            # (the means over the frames so far, each weighed by the time it stood for)
            dt = t - self._cut_t
            self._cut_t = t
            if t > self._cut_since:
                a = dt / (t - self._cut_since)
                self._cut_lost += a * (ref - self.load - self._cut_lost)
                self._cut_palm += a * (palm.load_n - self._cut_palm)
            else:
                self._cut_lost, self._cut_palm = ref - self.load, palm.load_n
            lost = self._cut_lost
            least = CUT_MIN_SHARE
            if on_mat_mid_set:
                # (what a few seconds of reps heaving the load leave in the mean)
                least = max(least, MISREAD_HEAVE_SHARE * (self._usual_heave or 0.0))
            if lost < least * ref and not (misread and lost <= -least * ref):
                lost = 0.0
            ratio = lost / max(self._cut_palm, 1e-9)
            self._cut_ratio = min(max(ratio, -MISREAD_MAX_RATIO), CUT_MAX_RATIO)
        elif at is not None and palm is not min(p.hands, key=lambda h: math.dist(h.centroid, at)):
            palm = None  # (only the palm it was learnt of: the other may reach an edge too)
        ratio = self._cut_ratio if palm is not None else 0.0
        if on_mat_mid_set and t - self._cut_since <= CUT_LEARN_S:
            # (its share is taken as the mean over the whole time, a rep or two, not as it
            # stands mid-heave)
            ratio = 0.0
        elif (
            misread
            and (ratio < 0.0 or (palm is not None and not palm.at_edge))
            and t - self._cut_since < MISREAD_SETTLE_S
        ):
            # (nor while the palm is still taking its load: the first frames' mean, over a
            # palm half loaded, takes off up to half as much again)
            ratio = 0.0
        body = self.load + (ratio * palm.load_n if palm is not None else 0.0)
        cop = p.cop_with(palm, 1.0 + ratio) if ratio != 0.0 else p.cop
        if self._body_load.value is None:
            self._body_since = t
        self._body_seen.append((t, self._body_load.update(t, body)))
        while t - self._body_seen[0][0] > 2 * PALMS_BEFORE_S:
            self._body_seen.popleft()
        self._body_raw.append((t, body))
        while t - self._body_raw[0][0] > CREEP_SPAN_S + PALMS_BEFORE_S:
            self._body_raw.popleft()
        return cop

    def _creep_before(self, lead: float) -> tuple[float, float] | None:
        """The body's load at `lead` and how fast its reading climbed, N/s, from a straight
        line through the `CREEP_SPAN_S` before: a held plank's sensor creeping up.

        Only over a hold: a rep's heave tilts a line through a few seconds of reps more
        than creep does. None where there is no such hold, or the reading did not climb."""
        cur = self.current
        assert cur is not None
        since = lead - CREEP_SPAN_S
        if cur.reps and cur.reps[-1].t >= since - self.cfg.rep_max_s:
            return None
        pts = [(tt, v) for tt, v in self._body_raw if since <= tt <= lead]
        if len(pts) < 10 or pts[-1][0] - pts[0][0] < 0.8 * CREEP_SPAN_S:
            return None
        n = len(pts)
        mt = sum(tt for tt, _ in pts) / n
        mv = sum(v for _, v in pts) / n
        stt = sum((tt - mt) ** 2 for tt, _ in pts)
        slope = sum((tt - mt) * (v - mv) for tt, v in pts) / stt
        if slope <= 0.0:
            return None
        return mv + slope * (lead - mt), slope

    def _pivoted_mm(self) -> float:
        """How far the toes rolled toward the hands from the top to the deepest point of
        the way down, mm."""
        ax, ay = self._axis()
        dx = self._pivot_peak[0] - self._pivot_top[0]
        dy = self._pivot_peak[1] - self._pivot_top[1]
        return dx * ax + dy * ay

    def _rate_now(self, t: float) -> float:
        """How fast u moved over the latest `RATE_SPAN_S`, per second."""
        recent = self._recent_u
        for tt, u in reversed(recent):
            if tt <= t - RATE_SPAN_S:
                return abs(recent[-1][1] - u) / (t - tt) if t > tt else 0.0
        return 0.0

    def _track(self, t: float, p: Pattern) -> list[Event]:
        cur = self.current
        assert cur is not None
        if self._u_missed and self._u_seen_t is not None and t - self._u_seen_t > RESUME_AFTER_S:
            # A palm was up: what u did meanwhile is unknown, and the first frames with it
            # back down (partly loaded, maybe a few cm away) mislead. Start over once settled.
            self._u.reset()
            self._hand_off.reset()
            self._settle_until = t + SETTLE_S
            # (the load heaved with the palm going up and down, or the knees: no rep's heave)
            self._heave_part.forget()
            # A palm put down again sits on other cells: its CoP's offset from its centre
            # (the cells' grid, its own placement) is not what it was. Learn it afresh.
            self._rebase_hands = True
            if self._pattern_went or not cur.announced:
                # Down on the knees, or gone for a moment: the toes may come back elsewhere
                # too, and the body with them (and before the set is announced the person is
                # still getting into place). u is measured afresh.
                self._len_ref, self._snap_hands = None, False
            else:
                h, s = self._hands.at, self._support.at
                if self._len_ref is None and h is not None and s is not None:
                    self._len_ref = math.dist(h, s)
                self._snap_hands = True
            if self._hand_ref is not None and self._hands_at_seen:
                self._replaced = (self._hand_ref, self._hands_at_seen[0][1])
            self._hands_at_seen.clear()
            self._hand_ref = None
            if self._body_seen:  # (this comes again each frame until the palm is down)
                # The body's load from before the palm began to come up.
                lead = self._u_seen_t - PALMS_BEFORE_S
                before = [v for (tt, v) in self._body_seen if tt <= lead]
                self._cut_ref = before[-1] if before else self._body_seen[0][1]
                self._cut_ref_t, self._cut_creep = lead, 0.0
                creep = self._creep_before(lead)
                if creep is not None:
                    self._cut_ref, self._cut_creep = creep
                # (followed from the set's start or the last lift, the body's load needs a
                # few seconds to be its own and not the person still settling onto the mat:
                # a palm on the mat is judged misread only against a load followed that long)
                self._cut_settled = self._body_since <= lead - 2 * BODY_LOAD_TAU_S
                self._body_load.reset()
                self._body_seen.clear()
                self._body_raw.clear()
            self._cut_since = self._cut_t = t
            self._cut_lost = self._cut_palm = self._cut_ratio = 0.0
            self._cut_reps = bool(cur.reps)
            self._cut_at = None
            if self._pattern_went or not cur.announced:
                self._stayed_at = None  # (not one palm lifted: the whole pattern went)
        u = self._feed_u(t, p)
        if u is None:
            self._u_missed = True
            if len(p.hands) == 1:
                self._stayed_at = p.hands[0].centroid
            return []
        self._u_seen_t = t
        self._u_missed = self._pattern_went = False
        self._hands_at_seen.append((t, p.hands_at))
        while t - self._hands_at_seen[0][0] > PALMS_BEFORE_S:
            self._hands_at_seen.popleft()
        if t < self._settle_until:
            self._restart_top(u + self._sag_in_u, t, u)
            # Whatever was being timed toward a sag was not seen meanwhile: time it afresh.
            self._below_since = self._u_alone_since = self._hand_weak_since = None
            return []
        self._rep_loads.append((t, self.load))
        left = p.left_share()
        if left is not None:
            cur.left_share_sum += left
            cur.left_share_n += 1
        if not cur.u_trace or t - cur.u_trace[-1][0] >= 0.1:
            cur.u_trace.append((round(t, 2), round(u, 4)))
        if self._rate_from is not None:
            t0, u0 = self._rate_from
            if t - t0 >= RATE_SPAN_S:
                if abs(u - u0) / (t - t0) > WILD_RATE_U_S:
                    self._wild_until = t + WILD_HOLD_S
                self._rate_from = (t, u)
        else:
            self._rate_from = (t, u)
        if self._rate_now(t) > DROP_RATE_U_S:
            self._wild_t = t
        if self._hand_ref is None:
            self._hand_ref = self._palms_ref_again(p)
        hand_off = self._hand_off.update(t, _hand_offset(p, self._axis(), self._hand_ref))
        self._pivot = _support_cop(p) or self._pivot
        if self._unconfirmed is not None and cur.reps:
            # u plunging under the rep's top as it is told: the person getting off (back to
            # the knees, sitting back), whose first move swung u like a shallow rep. (Under
            # the baseline, if the top was over it: hips piked in the rep come back down.)
            top = cur.reps[-1].top_u
            if cur.baseline_u is not None:
                top = min(top, cur.baseline_u)
            if u + self._sag_in_u < top - LEAVING_BELOW_U:
                self._drop_unconfirmed()
        events = self._confirm_rep(t)
        self._follow_sag_in_u(t, u, hand_off)
        self._rep_u = u + self._sag_in_u
        events += self._track_reps(t, self._rep_u, u)
        self._track_baseline(t, u, hand_off)
        level, now = self._load_level.value, self._load_now.update(t, self.load)
        self._leaving = level is not None and now < (1.0 - LEAVING_SHARE) * level
        if not self._leaving:
            # (not while the weight is off: the level stays the body's until it is back)
            self._load_level.update(t, self.load)
        events += self._track_sag(t, u, hand_off)
        self._track_heave(t)
        return events

    def _palms_ref_again(self, p: Pattern) -> Point:
        """Where the palms' offset is measured from, once they are read again."""
        replaced, self._replaced = self._replaced, None
        self._palm_moved = replaced is not None and (
            math.dist(p.hands_at, replaced[1]) > PALM_MOVED_MM
        )
        if replaced is None or self._sag is None or self._hand_fit is None:
            # The good-form line is relearnt at the next top (the rebase): from here.
            return _palms_cop(p)
        # In a sag the good-form line cannot be relearnt, and a reference taken now would
        # call the sagging palms good form. The old one holds, moved as far as the palms'
        # centres were (none in a rest on the knees, the palm's move after a lift).
        ref, before = replaced
        moved = (p.hands_at[0] - before[0], p.hands_at[1] - before[1])
        return (ref[0] + moved[0], ref[1] + moved[1])

    def _follow_sag_in_u(self, t: float, u: float, hand_off: float) -> None:
        """How far a sag has lowered u now, from how far the palms have rolled toward the
        wrists; held while the palms cannot be read (a palm being re-placed, a pike)."""
        fit = self._hand_fit
        if fit is None or not self._slope_known or self._rebase_left > 0:
            return
        cur = self.current
        assert cur is not None
        if cur.baseline_u is not None and (
            self._beyond_bottom(u, PALMS_BOTTOM_DEPTHS) or self._wild_until > t
        ):
            return
        roll = _palms_roll(fit, u, hand_off)
        self._sag_in_u = self._sag_u_per_mm * max(roll - SAG_COMP_DEAD_MM, 0.0)

    def _learn_sag_in_u(self, t: float, drop: float, hand_off: float, u: float) -> None:
        """At a top in a sag, u's drop and the palms' roll both show it: their ratio is
        this person's."""
        fit = self._hand_fit
        if fit is None or not self._slope_known or drop < self.sag_threshold:
            return
        roll = _palms_roll(fit, u, hand_off) - SAG_COMP_DEAD_MM
        if roll < SAG_LEARN_ROLL * self.cfg.sag_hand_shift_mm:
            return
        lo, hi = SAG_U_PER_MM_RANGE
        seen = min(max(drop / roll, lo), hi)
        dt = t - self._sag_learn_t if self._sag_learn_t is not None else 0.0
        self._sag_learn_t = t
        a = 1.0 - math.exp(-min(dt, 0.1) / SAG_LEARN_TAU_S)
        learnt = a * (seen - self._sag_u_per_mm)
        self._sag_u_per_mm += learnt
        if self._top_u is not None:
            # The top is held in u with the sag added back: better known, the sag adds
            # more (or less) to the same top. Left as it was, u with the sag added back
            # would creep away from it at the top and seem to go down into a rep.
            self._top_u += learnt * roll

    def _track_reps(self, t: float, u: float, u_seen: float) -> list[Event]:
        """Reps on `u` (the sag added back); `u_seen` is u itself, whose top level the
        sag is judged by."""
        cfg = self.cfg
        cur = self.current
        assert cur is not None
        if not self._going_down:
            # A rep's time runs from leaving the top, however long the top was held.
            self._left_t = t
            loads = self._top_loads
            loads.append((t, self.load))
            while t - loads[0][0] > HEAVE_LEAD_S:
                loads.popleft()
            if self._top_u is None or u < self._top_u:
                self._top_u, self._top_t = u, t
                self._pivot_top = self._pivot
            if u - self._top_u >= cfg.rep_enter_u:
                self._going_down = True
                self._peak_u = u
                self._pivot_peak = self._pivot
                # The load's heave is a rep's own: counted from its top (not the last rep's
                # way up, nor the person getting onto the mat), and from just before it
                # left the top, not from whatever the load did while the top was held (the
                # sensor creeping under a long plank).
                # (nor while the pattern was still forming: the load still rising as the
                # person settles onto the mat)
                since = max(self._top_t, cur.start_t + CANDIDATE_SETTLE_S)
                self._rep_loads = [(tt, x) for tt, x in loads if tt >= since] or [(t, self.load)]
            elif u - self._top_u <= 0.5 * cfg.rep_enter_u:
                # At the top u itself is the top level: it follows a sag or a recovery.
                self._top_level = u_seen
            return []
        if u > self._peak_u:
            self._peak_u, self._pivot_peak = u, self._pivot
        assert self._top_u is not None
        if (
            self._sag is not None
            and not cur.reps
            and cur.baseline_u is not None
            and self._peak_u < cur.baseline_u + cfg.rep_min_depth_u
            and u_seen >= cur.baseline_u - cfg.sag_release_u
        ):
            # In a sagging plank u rising from the sag's low back up to where the plank was
            # held is the hips coming up, no way down into a rep (one takes u past the
            # plank's level): u there is the top again, and the sag's end can be judged.
            # (breathing sways u on, so waiting for u to come back to the low, or to hold
            # still, could keep the sag open for seconds of good form. Back within the
            # baseline's band is back: a breath's crest in a shallow sag reaches that far,
            # but there the palms, still shifted, keep the sag open)
            self._restart_top(u, t, u_seen)
            return []
        swing = self._peak_u - self._top_u
        median = cur.median_depth()
        # Back near the top, or (a top left low by a sag that has eased since) well down
        # from the peak by the set's usual depth.
        near_top = u <= self._top_u + cfg.rep_return_fraction * swing
        back = near_top or (
            median is not None
            and len(cur.reps) >= 2
            and swing > STALE_TOP_SWING * median
            and self._peak_u - u >= STALE_TOP_RETURN * median
        )
        # (Once reps have shown what this set's reps look like, a hold a third of the way
        # back is enough: a pike that began on the way up leaves no more.)
        hold_back = 0.35 if len(cur.reps) >= 2 else 0.5
        if not back and self._peak_u - u >= hold_back * swing:
            # Come half way back and holding still: this is the top, higher than the one
            # the rep left (the hips came up as a sag eased at the top).
            back = self._holding(t)
            near_top = near_top or back
        if not back:
            if t - self._left_t > cfg.rep_max_s:
                self._restart_top(u, t, u_seen)  # a long hold low down is not one rep
            return []
        # Back at the top.
        events: list[Event] = []
        duration = t - self._left_t
        # A "rep" that began as the pattern formed is the person still getting into place.
        settled = cur.announced or self._left_t - cur.start_t >= CANDIDATE_SETTLE_S
        # Lowering and raising a body takes vertical force: the total load swings. Breathing
        # in a plank moves u as much as a shallow rep, but not the load.
        heave = self._rep_heave()
        if not near_top:
            swing = self._peak_u - u  # the top it left from is stale: measure the way back
        like_the_others = median is not None and swing >= 0.5 * median
        sure = swing >= cfg.rep_sure_depth_u
        usual_heave = self._usual_heave
        heaved = heave >= cfg.rep_min_load_swing or (
            usual_heave is not None and heave >= REL_HEAVE * usual_heave
        )
        # A partial rep: a third of the set's depth, heaving like one, and taking a rep's
        # time (a bob or a shift of weight is quicker, or heaves less).
        # (before three reps have shown this mat's usual heave, the set's own two do)
        reps_heave = usual_heave
        if reps_heave is None and len(cur.reps) >= 2:
            reps_heave = statistics.median(list(self._rep_heaves)[-len(cur.reps) :])
        partial_like = (
            median is not None
            and reps_heave is not None
            and len(cur.reps) >= 2
            and swing >= PARTIAL_SWING * median
            and heave >= PARTIAL_HEAVE * reps_heave
            and duration >= PARTIAL_MIN_S
        )
        moved = sure or heaved or like_the_others or partial_like
        if heave < NO_HEAVE:
            # No heave at all. On a mat whose reps heave, however far u went, that is u
            # creeping (the sensor under a long hold) and coming back, or breathing. On one
            # whose load stays flat through reps (seen over a few), u alone counts them;
            # until it is known which this mat is, only a deep swing does.
            known = usual_heave is not None
            flat_mat = usual_heave is not None and usual_heave < NO_HEAVE
            # (a heave-less swing after a long hold is a pike or a shift of weight in a
            # plank, more likely than the first rep of a set that began long ago)
            since = cur.reps[-1].t if cur.reps else cur.start_t
            first_u = FLAT_FIRST_U
            if flat_mat and self._mat_depth is not None:
                first_u = max(FLAT_FIRST_MIN_U, min(first_u, FLAT_KNOWN_SHARE * self._mat_depth))
            # (on a mat whose load has been seen to move with the body, a first rep heaves
            # like one: only a swing deeper than breathing's ever is counted without)
            first_like = swing >= FLAT_DEEP_U or (
                not self._load_motion.seen
                and swing >= first_u
                and duration <= FLAT_FIRST_MAX_S
                and self._left_t - since <= FLAT_FIRST_GAP_S
            )
            # (where the load never moves, the toes rolling as the body pivots on them
            # tell a rep from breathing, whatever u's scale)
            # (and however slow: a creep of the sensor rolls nothing either)
            pivoted = (
                not self._load_motion.seen and PIVOT_REP_MM <= self._pivoted_mm() <= PIVOT_MAX_MM
            )
            first_like = first_like or pivoted
            if flat_mat and median is not None:
                # A flat mat shows partial reps by u alone: a third of the set's usual depth
                # is one.
                moved = moved or swing >= FLAT_PARTIAL * median
            elif flat_mat:
                # Its "heave" says nothing (every swing heaves as little as its reps), so a
                # set's first rep must swing as far as on an unknown mat: a plank's
                # breathing sways u as much as a shallow rep.
                moved = sure or first_like
            else:
                # (once the set's reps have come without heave, one like them is one,
                # however long it paused; after heaving reps, a slow heave-less swing is
                # more likely the hips piking)
                heaves = list(self._rep_heaves)[-len(cur.reps) :] if cur.reps else [1.0]
                again = (
                    median is not None
                    and like_the_others
                    and (swing >= FLAT_FIRST_U or pivoted)
                    and max(heaves) < NO_HEAVE
                )
                moved = not known and (first_like or again)
        if (
            cur.sags
            and not cur.reps
            and cur.baseline_u is not None
            and self._peak_u < cur.baseline_u + cfg.rep_min_depth_u
        ):
            # In a sagging plank u coming back up to the baseline, and down again, is the
            # hips rising and sinking: a first rep takes u past where the plank was held.
            # (and so once the hips have sagged in it: they may sink again as u comes down)
            moved = False
        min_depth = cfg.rep_min_depth_u
        # (before three reps have shown this mat's usual heave, the set's own two stand for
        # it here too)
        if (
            reps_heave is not None
            and heave >= SHALLOW_HEAVE * reps_heave
            and median is not None
            and len(cur.reps) >= 2
        ):
            # A mat that squeezes u's swing (palms near the cells' saturation) shows whole
            # reps shallower than the plank's breathing sway; the heave tells them apart.
            min_depth = max(min(min_depth, SHALLOW_MEDIAN * median), SHALLOW_MIN_U)
        if (
            reps_heave is not None
            and reps_heave >= 2 * NO_HEAVE
            and heave >= REL_HEAVE * reps_heave
            and median is not None
            and len(cur.reps) >= 2
        ):
            clear = self._sag is None
            median_t = statistics.median(r.duration_s for r in cur.reps[-5:])
            quick = duration <= PARTIAL_SAG_MAX_TIMES * median_t
            sagging = PARTIAL_SAG_MIN_U if partial_like and quick else HEAVED_MIN_U
            floor = HEAVED_CLEAR_MIN_U if clear else sagging
            min_depth = min(min_depth, max(floor, HEAVED_MEDIAN_SHARE * median))
        if (
            heave >= STRONG_HEAVE
            and (usual_heave is None or len(cur.reps) < 2)
            and self._left_t - cur.start_t >= cfg.pattern_stable_s
        ):
            # (one that began as the pattern formed heaves with the person getting onto it)
            min_depth = min(min_depth, STRONG_MIN_U)
        if not cur.reps and self._held_high_s(self._left_t) > PIKE_HELD_S:
            # Before the set's first rep, u held up near its peak for longer than a rep's
            # bottom is held (a pause of 2 s at most, SIGNALS.md): the hips piked in a plank.
            moved = False
        if self._wild_t >= self._left_t:
            # u swung faster than a body lowers itself: someone dropping to the mat or
            # getting off it, not a rep.
            moved = False
        if swing >= min_depth and duration >= cfg.rep_min_s and settled and moved:
            if self._unconfirmed is not None and self._unconfirmed.get("by_load"):
                # A rep the load told moments ago, which u now tells itself: the same one.
                self._drop_unconfirmed()
            n = len(cur.reps) + 1
            depth = round(swing, 4)
            partial = bool(median and swing < cfg.partial_fraction * median)
            cur.reps.append(RepRecord(n, t, swing, self._top_u, duration, partial))
            self._rep_counted_t = t
            self._rep_usual = median is None or swing <= LEARN_MAX_DEPTHS * median
            self._home_before, self._support_home = self._support_home, self._support.at
            self._rep_heaves.append(heave)
            if len(self._rep_heaves) >= 3:
                self._usual_heave = statistics.median(self._rep_heaves)
            self._unconfirmed = make_event(
                "rep",
                t,
                cur.set_id,
                n=n,
                depth=depth,
                partial=partial,
                duration_s=round(duration, 2),
            )
        self._restart_top(u, t, u_seen)
        return events

    def _track_heave(self, t: float) -> None:
        """Follow the load through dip, peak and dip; a rep u missed is counted by it."""
        cur = self.current
        assert cur is not None
        if not cur.announced:
            return
        usual = self._usual_heave
        # (before three reps have shown this mat's usual heave, the set's own two stand for it)
        own = usual
        if own is None and len(cur.reps) >= 2:
            own = statistics.median(list(self._rep_heaves)[-len(cur.reps) :])
        load, sag, max_s = self.load, self._sag is not None, self.cfg.rep_max_s
        # (the level a rep in a sag is judged by is followed from when the mat's usual heave
        # is known, a partial's from the set's start)
        part_ref = self._part_ref.update(t, load)
        if usual is not None and usual >= 2 * NO_HEAVE:
            ref = self._heave_ref.update(t, load)
            self._heave_full.step(t, load, ref, usual, self._rep_u, sag, max_s)
        if own is not None and own >= 2 * NO_HEAVE:
            self._heave_part.step(t, load, part_ref, own, self._rep_u, sag, max_s)
        full, part = self._heave_full.done, self._heave_part.done
        if full is not None and usual is not None and t - full.end >= HEAVE_WAIT_S:
            self._heave_full.done = None
            self._count_heave_in_sag(t, full, usual)
        if part is not None and t - part.end >= HEAVE_WAIT_S:
            self._heave_part.done = None
            self._count_partial_heave(t, part)

    def _heave_unseen(self, cycle: HeaveCycle, since: float) -> bool:
        """No rep was counted since `since` in this heave, nor is u's own rep in progress in
        it."""
        cur = self.current
        assert cur is not None
        if self._unconfirmed is not None or not cur.reps:
            # (a plank, or a set not yet into its reps: without this set's own reps there
            # is no rep time to match)
            return False
        if self._going_down and self._left_t < cycle.end - 0.2:
            return False  # u's own rep in progress began within this heave: it may count it yet
        return cur.reps[-1].t < since

    def _rep_time_like(self, cycle: HeaveCycle, longest: float = 1.6) -> bool:
        """The heave took about as long as this set's reps do (up to `longest` times)."""
        cur = self.current
        assert cur is not None
        # (the load's dips run a little before u leaves the top and after it is back)
        median_t = statistics.median(r.duration_s for r in cur.reps[-5:])
        return 0.5 * median_t <= cycle.end - cycle.start <= longest * median_t + 0.5

    def _count_heave_in_sag(self, t: float, cycle: HeaveCycle, usual: float) -> None:
        """A whole rep's heave u did not show: in a sag, or on a mat that squeezes u."""
        cur = self.current
        assert cur is not None
        median = cur.median_depth()
        # (a sensor or toes over the edge that squeeze u's swing to a third: its reps'
        # times are misread too, so the heave's own time is not held to them)
        squeezed = (
            not cycle.sag
            and usual >= SQUEEZED_HEAVE
            and median is not None
            and median < SQUEEZED_U
            and len(cur.reps) >= 3
        )
        if not (cycle.sag or squeezed):
            return
        since, longest = cycle.start + (SQUEEZED_SEEN_S if squeezed else -0.3), 1.6
        if cycle.sag and self._sag_turned_in(cycle):
            # (the rep before may have been told inside this heave: back to back, one rep's
            # closing dip is the next one's opening dip, and a heave may then last twice a rep)
            since, longest = cycle.peak - max(SAG_TURN_BOTTOM_S, self.cfg.rep_min_s), 2.0
        if not self._heave_unseen(cycle, since):
            return
        if squeezed:
            if not self.cfg.rep_min_s <= cycle.end - cycle.start <= self.cfg.rep_max_s:
                return
        elif not self._rep_time_like(cycle, longest):
            return
        self._add_heave_rep(t, cycle, median or 0.0)

    def _count_partial_heave(self, t: float, cycle: HeaveCycle) -> None:
        """A rep, partial most likely, that u barely showed but the load heaved with."""
        cur = self.current
        assert cur is not None
        turned = cycle.sag and self._sag_turned_in(cycle)
        if (cycle.sag and not turned) or len(cur.reps) < 2 or cycle.u_back < PARTIAL_CYCLE_U:
            # (sagging hips bob, heaving the load as a partial rep does: in a steady sag
            # only u's own swing tells a partial rep)
            return
        if max(self._wild_t, self._wild_until) >= cycle.start:
            return  # u swung faster than a body lowers itself (someone getting off), or a foot
            # was lifted
        # (reps done back to back share their dips: the heave may begin with the last rep's
        # closing one, so it is this rep's own from its bottom, and may last twice a rep)
        # (and its bottom came at least a rep's shortest time after the last rep's top: a
        # dip, a rise and a dip sooner are two reps meeting, one's closing dip and the next's
        # opening one)
        bottom_after = max(SAG_TURN_BOTTOM_S, self.cfg.rep_min_s) if turned else self.cfg.rep_min_s
        unseen = self._heave_unseen(cycle, cycle.peak - bottom_after)
        if not unseen or not self._rep_time_like(cycle, 2.0):
            return
        self._add_heave_rep(t, cycle, cycle.u_back)

    def _sag_turned_in(self, cycle: HeaveCycle) -> bool:
        """A sag of this set began or ended during the heave (SAG_TURN_LEAD_S)."""
        cur = self.current
        assert cur is not None
        return any(
            cycle.start - SAG_TURN_LEAD_S <= sag.start_t <= cycle.end
            or (sag.end_t is not None and cycle.start <= sag.end_t <= cycle.end + HEAVE_WAIT_S)
            for sag in cur.sags
        )

    def _add_heave_rep(self, t: float, cycle: HeaveCycle, depth: float) -> None:
        cur = self.current
        assert cur is not None
        median = cur.median_depth()
        partial = bool(median and depth < self.cfg.partial_fraction * median)
        n = len(cur.reps) + 1
        duration = cycle.end - cycle.start
        cur.reps.append(RepRecord(n, t, depth, self._top_u or 0.0, duration, partial, True))
        self._home_before, self._support_home = self._support_home, self._support.at
        self._unconfirmed = make_event(
            "rep",
            t,
            cur.set_id,
            n=n,
            depth=round(depth, 4),
            partial=partial,
            duration_s=round(duration, 2),
            by_load=True,
        )

    def _confirm_rep(self, t: float) -> list[Event]:
        """The rep held back since its top, once the pattern has stayed long enough."""
        rep = self._unconfirmed
        if rep is None or t - float(rep["t"]) < REP_CONFIRM_S:
            return []
        self._unconfirmed = None
        return [rep]

    def _drop_unconfirmed(self) -> None:
        """The pattern went right after the rep's top: it was the person getting off."""
        cur = self.current
        if self._unconfirmed is not None and cur is not None and cur.reps:
            cur.reps.pop()
            # (nor is the support's place then where a rep was done: the toes may be
            # coming down to the knees, and the set goes on where the reps were)
            self._support_home = self._home_before
        self._unconfirmed = None

    def _held_high_s(self, since: float) -> float:
        """How long u has stayed within a quarter of its swing of the highest it reached
        since `since` (from the set's u trace, 0.1 s apart)."""
        cur = self.current
        assert cur is not None
        us = [u for (tt, u) in cur.u_trace if tt >= since]
        if len(us) < 2:
            return 0.0
        hi, lo = max(us), min(us)
        near = hi - 0.25 * (hi - lo)
        return 0.1 * sum(1 for u in us if u >= near)

    def _holding(self, t: float) -> bool:
        """u has stayed within a hair for the last `HOLD_S`."""
        recent = [u for (tt, u) in self._recent_u if tt >= t - HOLD_S]
        if not self._recent_u or self._recent_u[0][0] > t - HOLD_S or len(recent) < 3:
            return False
        return max(recent) - min(recent) <= HOLD_RANGE_U

    def _rep_heave(self) -> float:
        """How far the load heaved through the rep, as a share of it: its range, or where
        the load only climbed (or fell) from the rep's start to its end, its range about
        that straight line.

        A foam sensor under a held load creeps: the reading can climb by a tenth in a few
        seconds of a plank, steadily, which is as much range as a rep's heave, though the
        load never rose and fell. A rep's heave peaks inside it (the body stopped at the
        bottom), and is told back at the top before the load has settled: a line to its
        end would cut that heave short."""
        loads = self._rep_loads
        if not loads:
            return 0.0
        lo, top = min(x for _, x in loads), max(x for _, x in loads)
        hi = max(top, 1.0)
        span = top - lo
        raw = span / hi
        if len(loads) < 3 or loads[-1][0] <= loads[0][0]:
            return raw
        (t0, x0), (t1, x1) = loads[0], loads[-1]
        if abs(x1 - x0) < CREEP_RANGE_SHARE * span:
            return raw
        slope = (x1 - x0) / (t1 - t0)
        off = [x - x0 - slope * (tt - t0) for tt, x in loads]
        return min(raw, (max(off) - min(off)) / hi)

    def _restart_top(self, u: float, t: float, u_seen: float | None = None) -> None:
        self._rep_loads = [(t, self.load)]
        self._top_loads.clear()
        self._going_down = False
        self._top_u, self._top_t = u, t
        self._top_level = u if u_seen is None else u_seen
        self._pivot_top = self._pivot_peak = self._pivot

    def _track_baseline(self, t: float, u: float, hand_off: float) -> None:
        cur = self.current
        assert cur is not None
        cfg = self.cfg
        if not cur.announced:
            return  # the baseline is the set's own: from its start, not the settling before
        if self._hand_fit is None:
            self._pairs.append((u, hand_off))
        if cur.baseline_u is None:
            if not cur.reps and not self._going_down:
                cur.plank_samples.append(u)
                if t - cur.announced_t >= cfg.baseline_plank_s:
                    cur.baseline_u = statistics.median(cur.plank_samples)
                    cur.baseline_from = "plank"
            else:
                after = [r for r in cur.reps if r.t - r.duration_s >= cur.baseline_after]
                if len(after) >= cfg.baseline_reps:
                    tops = [r.top_u for r in after[: cfg.baseline_reps]]
                    cur.baseline_u = statistics.median(tops)
                    if max(tops) - min(tops) >= cfg.pike_threshold_u:
                        # Tops a pike apart: the hips went up or sagged on the way, and the
                        # mean of the two is neither. The first is the plank the set opened
                        # with, before any rep could tire the person.
                        cur.baseline_u = tops[0]
                    cur.baseline_from = "reps"
                    cur.baseline_t = t
        if self._hand_fit is None and cur.baseline_u is not None and len(self._pairs) >= 10:
            self._hand_fit = _fit_line(self._pairs)
            # Learnt over reps, the line knows how the palms move with the rep; over a plank
            # it does not yet, and mid-rep the palms cannot be judged until it does.
            self._slope_known = bool(self._hand_fit[0]) or len(cur.reps) > 0
            self._pairs = []

    def _drift(self, t: float, drop: float, residual: float | None) -> None:
        """Follow the sensor's slow creep while the form is good, not a sag's quick drop."""
        cur = self.current
        assert cur is not None and cur.baseline_u is not None
        dt = t - self._drift_t if self._drift_t is not None else 0.0
        self._drift_t = t
        if self._sag is not None or self._going_down or dt <= 0:
            return
        a = min(dt / self.cfg.baseline_drift_s, 1.0)
        if abs(drop) < 0.5 * self.sag_threshold:
            cur.baseline_u -= a * drop
        fit = self._hand_fit
        if (
            fit is not None
            and residual is not None
            and abs(residual) < 0.5 * self.cfg.sag_hand_shift_mm
        ):
            self._hand_fit = (fit[0], fit[1] + a * residual)

    def _learn_hands(
        self, t: float, u: float, hand_off: float, drop: float, residual: float | None
    ) -> None:
        """Refine the palms' good-form line on frames whose form proved good: the first reps
        (or a plank) may not have shown it all. A frame is learnt from `LEARN_DELAY_S` after
        it was seen, and only if no sag was brewing meanwhile (one that starts mid-rep is
        confirmed at the latest at the next top)."""
        if self._sag is not None or self._below_since is not None:
            self._learn_queue.clear()
            self._drop_pending()
            return
        if self._learn_pending and not self._going_down:
            # A way down that came back without a rep was no rep: a pike (u up, the palms
            # rolled toward the fingers), a shift of weight. Nor is one that took the palms
            # off their line on the way (a pike on top of a rep). Their frames would teach
            # the line a slope no rep has, and the next rep's palms would look like a sag.
            # (u leaves the top before the way down is told: the frames just before go too)
            start = self._learn_pending[0][0]
            if self._rep_counted_t >= start and self._rep_usual and not self._pending_odd:
                # (learnt together, as of the rep's end: half a rep, its way down without
                # its way up, shows the palms' lag behind u as a slope)
                self._learn_queue.extend((t, pu, ph) for _, pu, ph in self._learn_pending)
            else:
                while self._learn_queue and self._learn_queue[-1][0] >= start - PENDING_LEAD_S:
                    self._learn_queue.pop()
            self._drop_pending()
        if (
            not self._going_down
            and t - self._top_t >= SAG_LEARN_AT_TOP_S
            and -drop >= LEARN_DROP * self.sag_threshold
        ):
            # A top that settles with the hips piked: the way there (a rep whose way up
            # lifted the hips) rolled the palms toward the fingers, a slope no rep has.
            self._learn_queue.clear()
        known = self._slope_known and not self._roll_unknown
        limit = LEARN_RESIDUAL_MM if known else LEARN_RESIDUAL_NEW_MM
        if (
            residual is not None
            and self._wild_until <= t
            and abs(drop) < LEARN_DROP * self.sag_threshold
            and abs(residual) < limit
        ):
            (self._learn_pending if self._going_down else self._learn_queue).append(
                (t, u, hand_off)
            )
        elif residual is not None and self._going_down and abs(residual) >= limit:
            self._pending_odd = True
        while self._learn_queue and self._learn_queue[0][0] <= t - LEARN_DELAY_S:
            self._line.add(*self._learn_queue.popleft())
            self._line_fresh = True
        if not self._line_fresh or self._going_down:
            # (mid-rep a new line would re-judge the palms on the spot: it waits for the top)
            return
        self._line_fresh = False
        # (a slope learnt over less than a usual rep's swing is extrapolated to the bottom:
        # a partial rep's palms, still settling after a move, would set how a full rep's
        # must roll, and a wrong line keeps the next reps' frames from mending it)
        assert self.current is not None
        median = self.current.median_depth()
        line = self._line.line(LINE_SWING_SHARE * median if median else 0.0)
        if line is not None:
            self._hand_fit = line
            self._slope_known = True
            self._roll_unknown = False

    def _drop_pending(self) -> None:
        self._learn_pending.clear()
        self._pending_odd = False

    def _track_sag(self, t: float, u: float, hand_off: float) -> list[Event]:
        cur = self.current
        assert cur is not None
        if cur.baseline_u is None or self._top_level is None or not cur.announced:
            # A stored baseline exists before the set does: the person still settling into
            # position is neither sagging nor piked.
            return []
        cfg = self.cfg
        drop = cur.baseline_u - self._top_level
        residual = None
        # A sag that sets in near the bottom cuts the rep short: u turns back early and the
        # "top" is read while u is still well past the baseline. There the palms are judged
        # as mid-rep, not held back by a u that cannot show the drop yet.
        # (a top still falling through the baseline, as a sag pulls u down at a rep's end,
        # is no top yet: its drop is not known, and a pike holds its top high)
        # (in a plank a top that keeps falling is the breath's sway, and no rep's end)
        falling_top = bool(cur.reps) and not self._going_down and t - self._top_t < FALLING_TOP_S
        mid_rep = self._going_down or u - cur.baseline_u > 0.5 * self.sag_threshold or falling_top
        if self._hand_fit is not None:
            slope, icpt = self._hand_fit
            # Mid-rep the line says where the palms sit at this u. At the top the rep's own
            # part of u is nil: a u below the baseline there is the sag itself, and must
            # not excuse the palms' shift toward the wrists.
            u_ref = u if mid_rep else max(u, cur.baseline_u)
            residual = hand_off - (icpt + slope * u_ref)
            if self._rebase_hands and self._sag is None:
                # The palm's new place: learn its offset afresh at the top, where the rep
                # does not move it (it is still loading at first). How it rolls with the
                # rep there is its own too (a palm put down 5 cm further on rolled half as
                # far): the line relearns it from here, and until it has, the slope of the
                # place they left is a guess, and the palms need twice the shift to start
                # a sag alone mid-rep. (Not after a rest on the knees: the palms are where
                # they were.)
                # (in a sag it waits for the sag's end: the palms' place is guessed till then)
                self._rebase_left = REBASE_S
                self._rebase_t = None
                self._roll_unknown = self._palm_moved
                self._line = _LineFit(cfg.baseline_drift_s)
                self._learn_queue.clear()
                self._drop_pending()
            # (nor in a pike: the palms roll toward the fingers with the hips up, and a
            # place learnt then would make good form after it look like a sag)
            piked = -drop > 0.5 * max(self.sag_threshold, cfg.pike_threshold_u)
            if self._rebase_left > 0 and self._sag is None:
                if not self._going_down and not piked:
                    # (the time spent going down is not learnt from: carried on at the next
                    # top, the rebase takes only the time it still had, at its own pace, or a
                    # sag that set in on the way would be learnt as the palms' new place)
                    dt = min(t - self._rebase_t, 0.1) if self._rebase_t is not None else math.inf
                    a = 1.0 - math.exp(-dt / REBASE_TAU_S)
                    self._hand_fit = (slope, icpt + a * residual)
                    self._rebase_left -= min(dt, 0.1)
                    self._rebase_t = t
                residual = 0.0
        if self._sag is None or self._hand_fit is None:
            self._rebase_hands = False
        if self._sag is not None and not self._going_down and t - self._top_t >= SAG_LEARN_AT_TOP_S:
            self._learn_sag_in_u(t, drop, hand_off, u)
        self._drift(t, drop, residual)
        self._learn_hands(t, u, hand_off, drop, residual)
        ev_u = drop / self.sag_threshold
        # Each palm's own CoP moves toward the wrist when the hips sag (SIGNALS.md); it shows
        # at once, mid-rep too, where u can only be judged back at the top.
        ev_h = -residual / cfg.sag_hand_shift_mm if residual is not None else 0.0
        ev_h_raw = ev_h
        blind = (
            (-drop > 0.5 * max(self.sag_threshold, cfg.pike_threshold_u) and not falling_top)
            or drop > cfg.sag_max_u
            or self._wild_until > t
            # (and on until the next top if u swung wild since it left the last one)
            or (self._going_down and self._wild_until - WILD_HOLD_S >= self._left_t)
            or self._beyond_bottom(u, BEYOND_BOTTOM_DEPTHS)
            or self._leaving
        )
        if blind:
            # Hips high (a pike) move u up; a drop far deeper than any sag is someone
            # sinking to the knees or leaving; and getting off the mat throws u faster and
            # further than any rep, or takes the weight off it. None of them says anything
            # about the hips.
            ev_u = ev_h = 0.0
            self._u_alone_since = None
        elif self._beyond_bottom(u, PALMS_BOTTOM_DEPTHS, PALMS_FLOOR_U):
            # Past the reps' own bottoms the palms' line is guessed, not learnt; and a sag
            # lowers u, it never takes a rep deeper.
            ev_h = 0.0
        # Mid-rep u cannot be judged until the next top: the palms alone decide, by a clear
        # shift at once or a lesser one that holds.
        # (a lesser shift is weighed only against a line that more than the baseline's reps
        # have shown: palms that roll less on the third rep than on the first two are no sag)
        guessed = self._roll_unknown
        shifts = self._palm_shifts
        shifts.append((t, ev_h))
        while shifts[0][0] < t - HELD_RISE_S:
            shifts.popleft()
        if mid_rep and ev_h >= cfg.sag_hand_held and len(cur.reps) >= HELD_MIN_REPS and not guessed:
            # (a lesser shift counts only if it came on as a sag's does, within a second:
            # the palms' own centre wanders by a few millimetres, slowly)
            if self._hand_weak_since is None:
                risen = ev_h - min(v for _, v in shifts)
                if risen >= HELD_RISE_SHARE * cfg.sag_hand_held:
                    self._hand_weak_since = t
        else:
            self._hand_weak_since = None
        palms_alone = (
            mid_rep
            and self._slope_known
            and (
                ev_h >= cfg.sag_hand_alone * (GUESSED_ROLL_FACTOR if guessed else 1.0)
                or (
                    self._hand_weak_since is not None
                    and t - self._hand_weak_since >= cfg.sag_hand_held_s
                )
            )
        )
        if not mid_rep and ev_u < 0.5:
            ev_h = min(ev_h, 0.5)  # at the top u is in plain sight: no drop, no sag
        if ev_u < 0.5 and not palms_alone:
            ev_h = min(ev_h, 0.5)
        # Between reps a top held far below the baseline is a sag unless the palms say
        # otherwise (a mat whose cells blur the palms' shift away still sees it in u).
        # The top's drop is judged at the top and stands through the rep that follows.
        # In a plank breathing sways u by up to 0.02 for seconds: there it takes a deeper
        # drop, held longer than half a breath.
        plank = not cur.reps
        if plank and self._going_down:
            # In a plank the top is a breath's low, gone by: u rising past it is no rep's
            # way down hiding the hips, and says how they are now.
            ev_u = min(ev_u, max(cur.baseline_u - u, 0.0) / self.sag_threshold)
        alone_u = cfg.sag_u_alone * (PLANK_U_ALONE_FACTOR if plank else 1.0)
        alone_s = PLANK_U_ALONE_S if plank else cfg.sag_u_alone_s
        deep_top = ev_u >= alone_u and drop <= SAG_DEEPEST_U
        if not self._going_down:
            if deep_top and ev_h >= -0.3:
                self._u_alone_since = self._u_alone_since if self._u_alone_since else t
            else:
                self._u_alone_since = None
        u_alone = (
            deep_top and self._u_alone_since is not None and t - self._u_alone_since >= alone_s
        )
        # (in a plank a breath's low sits up to 0.02 below the plank's middle, SIGNALS.md:
        # there the palms must show a sag's shift of their own)
        if residual is not None and ev_h < (1.0 if plank else 0.5) and not u_alone:
            # u sinking while the palms stay put is the body shifting or the sensor
            # creeping, not the hips: a sag moves both (SIGNALS.md).
            ev_u = min(ev_u, 1.0)
        # Two signs of one thing: the sum is the evidence, so a clear shift of either, or a
        # moderate shift of both, makes a sag.
        score = (ev_u + ev_h) / 2.0
        if palms_alone:
            score = max(score, 1.0)
        events: list[Event] = []
        if self._sag is None:
            if score >= 1.0:
                self._below_since = self._below_since if self._below_since is not None else t
                if t - self._below_since >= cfg.sag_confirm_s:
                    self._sag = SagEpisode(start_t=self._below_since, max_depth=max(drop, 0.0))
                    cur.sags.append(self._sag)
                    events.append(
                        make_event("sag_started", t, cur.set_id, depth=round(max(drop, 0.0), 4))
                    )
            else:
                self._below_since = None
        else:
            self._sag.max_depth = max(self._sag.max_depth, drop)
            unseen = (blind or (mid_rep and self._top_t < self._sag.start_t)) and (
                drop <= cfg.sag_max_u
            )
            # (blind: nothing to see of the hips, a rep misread or someone moving; mid-rep
            # with the top from before this sag began, the palms told it, its drop says how
            # the hips were before: neither a sag's end nor more of it, judged at the next top)
            faint = (
                not unseen
                and residual is not None
                and drop < self.sag_threshold
                and ev_h_raw <= 0.5
                and (drop / self.sag_threshold + ev_h_raw) / 2.0 <= 0.5
            )
            if not faint:
                self._faint_since = None
            elif self._faint_since is None:
                self._faint_since = t
            # (in a plank a breath's high lifts u back over the baseline as the hips stay
            # down: the palms, still where the sag put them, say it goes on, as they had to
            # say it began)
            palms_back = ev_h <= 0.5 and not (plank and ev_h_raw >= 1.0)
            if unseen:
                self._above_since = None
            elif (drop <= cfg.sag_release_u and palms_back) or drop > cfg.sag_max_u:
                self._above_since = self._above_since if self._above_since is not None else t
                if t - self._above_since >= cfg.sag_release_s:
                    events.append(self._close_sag(t))
            else:
                self._above_since = None
            faint_for = t - self._faint_since if self._faint_since is not None else 0.0
            if self._sag is not None and faint_for >= FAINT_RELEASE_S:
                events.append(self._close_sag(t))
        # Hips piked high move u up: its own event, never a sag.
        if -drop >= cfg.pike_threshold_u and self._sag is None and ev_h_raw < 1.0:
            self._pike_cand = self._pike_cand if self._pike_cand is not None else t
            if self._pike_since is None and t - self._pike_cand >= cfg.sag_confirm_s:
                self._pike_since = t
                # (a pike told right after the baseline was taken from reps began during
                # them: their tops were the hips going up, no good-form baseline)
                self._pike_in_baseline = (
                    cur.baseline_from == "reps" and t - cur.baseline_t <= PIKE_IN_BASELINE_S
                )
                events.append(make_event("pike_started", t, cur.set_id, depth=round(-drop, 4)))
        else:
            self._pike_cand = None
            if self._pike_since is not None and -drop < cfg.pike_threshold_u / 2:
                events.append(make_event("pike_ended", t, cur.set_id))
                self._pike_since = None
                if self._pike_in_baseline:
                    # The baseline is taken again from the next reps' tops.
                    cur.baseline_u = None
                    cur.baseline_from = None
                    cur.baseline_after = t + PIKE_SETTLE_S
                    self._pike_in_baseline = False
        return events

    def _beyond_bottom(self, u: float, depths: float, floor: float = BEYOND_PLANK_U) -> bool:
        """u further toward the hands than `depths` of this set's usual reps take it (and
        than `floor`; without reps yet, than BEYOND_PLANK_U)."""
        cur = self.current
        assert cur is not None and cur.baseline_u is not None
        median = cur.median_depth()
        reach = max(depths * median, floor) if median else BEYOND_PLANK_U
        return u > cur.baseline_u + reach

    def _close_sag(self, t: float) -> Event:
        cur = self.current
        sag = self._sag
        assert cur is not None and sag is not None
        sag.end_t = t
        self._sag = None
        self._below_since = self._above_since = self._faint_since = None
        return make_event(
            "sag_ended",
            t,
            cur.set_id,
            duration_s=round(t - sag.start_t, 2),
            max_depth=round(sag.max_depth, 4),
        )
