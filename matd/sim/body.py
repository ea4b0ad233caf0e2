"""The person: body measures, how they do push-ups, where they are on the mat, their poses.

Positions in a pose are given in the body frame, in metres: `f` forward (from the feet
toward the hands, the end of the mat the person faces) and `l` to the person's left, with
the origin at the midpoint between the hands in the push-up position. `BodyFrame` maps them
onto the mat (mm, x along the mat, y across it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from matd.sim import contacts as shapes
from matd.sim.contacts import ContactState, Template

G = 9.81


@dataclass(frozen=True, slots=True)
class Person:
    """One person's body and habits, drawn for a case."""

    mass_kg: float
    height_m: float
    hand_span_m: float  # between the palms' centres, push-up position
    hand_to_toe_m: float  # hands' midpoint to toes, along the body
    knee_pushup_m: float  # hands to knees in a knee push-up
    all_fours_m: float  # hands to knees kneeling on all fours (knees under the hips)
    palm_area_cm2: float
    turnout_left_deg: float  # fingers turned outward from straight ahead
    turnout_right_deg: float
    toe_contacts: int  # 1 (feet together or crossed) or 2
    toe_area_cm2: float  # each toe contact
    toe_gap_m: float  # between the two toe contacts' centres
    knee_gap_m: float
    foot_length_mm: float
    shin_mm: float
    stance_m: float  # between the feet standing
    top_u: float  # good-form hands' share at the top of a push-up
    depth_u: float  # swing of u from the top to the bottom of a full push-up
    knee_top_u: float
    knee_depth_u: float
    down_s: float  # a rep's usual lowering time
    up_s: float  # a rep's usual pushing time
    balance: float  # left hand's share of the hands' load
    foot_balance: float  # left foot's share of the feet's load
    load_swing: float  # peak change of the total load with the motion, fraction of weight
    hand_sag_shift_mm: float  # each hand's CoP toward the wrist at full sag
    hand_rep_shift_mm: float  # each hand's CoP toward the fingers at the bottom
    toe_roll_mm: float  # the toes' CoP toward the hands at the bottom
    breath_hz: float
    plank_sway_u: float  # breathing sway of u in a plank (amplitude)

    @property
    def weight_n(self) -> float:
        return self.mass_kg * G

    @staticmethod
    def draw(rng: np.random.Generator) -> Person:
        h = float(rng.uniform(1.5, 2.0))
        mass = float(np.clip(rng.uniform(19.0, 34.0) * h * h, 45.0, 120.0))
        size = (h - 1.5) / 0.5  # 0 for the shortest, 1 for the tallest
        top_u = float(rng.uniform(0.62, 0.71))
        weight = mass * G
        # Feet together (one toe contact) only when 25 cm² of toes can carry the legs' load
        # at the pressures SIGNALS.md gives; heavier people keep two contacts.
        one_fits = (1.0 - top_u) * weight / 2.5 <= 95.0
        two_toes = not one_fits or bool(rng.random() < 0.7)
        # Contact areas follow from the load and SIGNALS.md's mean pressures (palms 20 to 40
        # kPa, toes 50 to 90 kPa), within the areas it gives (80-120 cm², 10-25 cm²).
        per_hand = top_u * weight / 2.0
        per_toe = (1.0 - top_u) * weight / (2.0 if two_toes else 1.0)
        palm_cm2 = float(np.clip(per_hand / rng.uniform(22.0, 38.0) * 10.0, 80.0, 120.0))
        toe_cm2 = float(np.clip(per_toe / rng.uniform(55.0, 85.0) * 10.0, 10.0, 25.0))
        return Person(
            mass_kg=mass,
            height_m=h,
            hand_span_m=float(np.clip(rng.uniform(0.3, 0.5) + 0.1 * size, 0.3, 0.6)),
            hand_to_toe_m=float(np.clip(h * rng.uniform(0.62, 0.84), 0.9, 1.6)),
            knee_pushup_m=float(np.clip(0.55 + 0.2 * size + rng.uniform(-0.05, 0.15), 0.55, 0.9)),
            all_fours_m=float(rng.uniform(0.45, 0.55)),
            palm_area_cm2=palm_cm2,
            turnout_left_deg=float(rng.uniform(-5.0, 30.0)),
            turnout_right_deg=float(rng.uniform(-5.0, 30.0)),
            toe_contacts=2 if two_toes else 1,
            toe_area_cm2=toe_cm2,
            toe_gap_m=float(rng.uniform(0.06, 0.35)) if two_toes else 0.0,
            knee_gap_m=float(rng.uniform(0.12, 0.3)),
            foot_length_mm=float(h * 1000.0 * rng.uniform(0.145, 0.16)),
            shin_mm=float(h * 1000.0 * rng.uniform(0.23, 0.26)),
            stance_m=float(rng.uniform(0.1, 0.35)),
            top_u=top_u,
            depth_u=float(rng.uniform(0.04, 0.10)),
            knee_top_u=float(rng.uniform(0.49, 0.56)),
            knee_depth_u=float(rng.uniform(0.03, 0.08)),
            down_s=float(rng.uniform(0.6, 1.4)),
            up_s=float(rng.uniform(0.5, 1.1)),
            balance=float(rng.uniform(0.42, 0.58)),
            foot_balance=float(rng.uniform(0.42, 0.58)),
            load_swing=float(rng.uniform(0.05, 0.15)),
            hand_sag_shift_mm=float(rng.uniform(5.0, 20.0)),
            hand_rep_shift_mm=float(rng.uniform(1.0, 6.0)),
            toe_roll_mm=float(rng.uniform(2.0, 8.0)),
            breath_hz=float(rng.uniform(0.2, 0.4)),
            plank_sway_u=float(0.003 + 0.017 * rng.beta(1.5, 3.0)),
        )

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class BodyFrame:
    """Where the person's push-up pattern lies on the mat.

    (x_mm, y_mm) is the midpoint between the hands; `heading` the direction from the feet to
    the hands, radians from the mat's +x axis (about 0 or π, give or take 20°)."""

    x_mm: float
    y_mm: float
    heading: float

    def at(self, f_m: float, l_m: float) -> tuple[float, float]:
        ch, sh = math.cos(self.heading), math.sin(self.heading)
        f, lat = f_m * 1000.0, l_m * 1000.0
        return self.x_mm + f * ch - lat * sh, self.y_mm + f * sh + lat * ch

    def inverse(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """Body-frame (f, l) in metres of a point on the mat."""
        ch, sh = math.cos(self.heading), math.sin(self.heading)
        dx, dy = x_mm - self.x_mm, y_mm - self.y_mm
        return (dx * ch + dy * sh) / 1000.0, (-dx * sh + dy * ch) / 1000.0

    def forward(self) -> tuple[float, float]:
        return math.cos(self.heading), math.sin(self.heading)

    def to_json(self) -> dict[str, Any]:
        deg = math.degrees(self.heading)
        faces = "+x" if math.cos(self.heading) > 0 else "-x"
        off = deg if faces == "+x" else (deg - 180.0 if deg > 0 else deg + 180.0)
        return {
            "hands_x_mm": round(self.x_mm, 1),
            "hands_y_mm": round(self.y_mm, 1),
            "heading_deg": round(deg, 2),
            "faces": faces,
            "rotation_deg": round(off, 2),
        }


@dataclass(frozen=True, slots=True)
class Limb:
    """One contact of a pose: a shape placed on the mat and its share of the body's weight."""

    template: Template
    x: float
    y: float
    heading: float
    share: float
    shift: tuple[float, float] = (0.0, 0.0)

    def state(self, force_n: float) -> ContactState:
        return ContactState(self.template, self.x, self.y, self.heading, force_n, self.shift)


# A pose: which contacts are down. Keys name the limb: hand_L, hand_R, foot_L, foot_R
# (standing feet or toes), knee_L, knee_R (knee and shin), seat, body (lying), head.
Pose = dict[str, Limb]
# How far each hand was re-placed from its push-up place, (forward, left) in metres.
HandOffsets = dict[str, tuple[float, float]]


def pose_contacts(pose: Pose, total_force_n: float) -> list[ContactState]:
    """The pose's contacts, the force shared out by the limbs' shares."""
    total = sum(limb.share for limb in pose.values())
    if total <= 0.0:
        return []
    return [limb.state(total_force_n * limb.share / total) for limb in pose.values()]


def hands_share(pose: Pose) -> float:
    """Hands' share of the load in a pose (the physical u in a push-up pattern)."""
    total = sum(limb.share for limb in pose.values())
    hands = sum(limb.share for k, limb in pose.items() if k.startswith("hand"))
    return hands / total if total > 0 else 0.0


@dataclass
class PoseBook:
    """A person's poses in one body frame, with the case's own variations drawn once."""

    person: Person
    frame: BodyFrame
    rng: np.random.Generator
    palm_right: Template = field(init=False)
    palm_left: Template = field(init=False)
    toes_right: Template = field(init=False)
    toes_left: Template = field(init=False)
    foot_right: Template = field(init=False)
    foot_left: Template = field(init=False)
    knee_flat: Template = field(init=False)
    knee_up: Template = field(init=False)
    seat: Template = field(init=False)
    face: Template = field(init=False)

    def __post_init__(self) -> None:
        p, r = self.person, self.rng
        self.palm_right = shapes.palm(p.palm_area_cm2 * 100.0)
        self.palm_left = self.palm_right.mirrored()
        self.toes_right = shapes.toes(p.toe_area_cm2 * 100.0)
        self.toes_left = self.toes_right.mirrored()
        self.foot_right = shapes.foot(p.foot_length_mm)
        self.foot_left = self.foot_right.mirrored()
        self.knee_flat = shapes.knee_shin(p.shin_mm, instep_down=True)
        self.knee_up = shapes.knee_shin(p.shin_mm, instep_down=False)
        self.seat = shapes.seat().scaled(p.height_m / 1.75)
        self.face = shapes.head(float(r.uniform(1500.0, 3500.0)))
        self.knee_pushup_feet_up = bool(r.random() < 0.5)
        self.child_knees_m = float(r.uniform(0.6, 0.8))
        self.sit_variant = str(r.choice(["long", "knees_up", "cross"]))
        self.sit_hands = bool(r.random() < 0.6)

    # -------------------------------------------------------------- building blocks

    def _limb(self, tpl: Template, f: float, lat: float, turn: float, share: float) -> Limb:
        x, y = self.frame.at(f, lat)
        return Limb(tpl, x, y, self.frame.heading + turn, share)

    def hand_position(self, key: str, moved: HandOffsets | None = None) -> tuple[float, float]:
        """A hand's place in the body frame (m), moved by `moved` when it was re-placed."""
        side = 1.0 if key == "hand_L" else -1.0
        df, dl = (moved or {}).get(key, (0.0, 0.0))
        return df, side * self.person.hand_span_m / 2.0 + dl

    def hands(self, share: float, balance: float, moved: HandOffsets | None = None) -> Pose:
        p = self.person
        fl, ll = self.hand_position("hand_L", moved)
        fr, lr = self.hand_position("hand_R", moved)
        return {
            "hand_L": self._limb(
                self.palm_left, fl, ll, math.radians(p.turnout_left_deg), share * balance
            ),
            "hand_R": self._limb(
                self.palm_right, fr, lr, -math.radians(p.turnout_right_deg), share * (1 - balance)
            ),
        }

    def toes(self, share: float, balance: float, f: float | None = None) -> Pose:
        p = self.person
        f = -p.hand_to_toe_m if f is None else f
        if p.toe_contacts == 1:
            return {"foot_L": self._limb(self.toes_right, f, 0.0, 0.0, share)}
        g = p.toe_gap_m / 2.0
        return {
            "foot_L": self._limb(self.toes_left, f, g, 0.0, share * balance),
            "foot_R": self._limb(self.toes_right, f, -g, 0.0, share * (1 - balance)),
        }

    def knees(self, share: float, f: float, *, flat: bool, balance: float = 0.5) -> Pose:
        tpl = self.knee_flat if flat else self.knee_up
        g = self.person.knee_gap_m / 2.0
        return {
            "knee_L": self._limb(tpl, f, g, 0.0, share * balance),
            "knee_R": self._limb(tpl, f, -g, 0.0, share * (1 - balance)),
        }

    # -------------------------------------------------------------- whole poses

    def plank(
        self,
        u: float,
        balance: float | None = None,
        foot_balance: float | None = None,
        moved: HandOffsets | None = None,
    ) -> Pose:
        p = self.person
        pose = self.hands(u, p.balance if balance is None else balance, moved)
        pose.update(self.toes(1.0 - u, p.foot_balance if foot_balance is None else foot_balance))
        return pose

    def knee_plank(
        self, u: float, balance: float | None = None, moved: HandOffsets | None = None
    ) -> Pose:
        p = self.person
        pose = self.hands(u, p.balance if balance is None else balance, moved)
        pose.update(self.knees(1.0 - u, -p.knee_pushup_m, flat=not self.knee_pushup_feet_up))
        return pose

    def knee_drop_m(self) -> float:
        """Hands to knees when the knees are put down from a plank where the legs bend."""
        p = self.person
        return p.hand_to_toe_m - 0.9 * p.shin_mm / 1000.0 - 0.05

    def knees_dropped(
        self, u: float, balance: float | None = None, moved: HandOffsets | None = None
    ) -> Pose:
        """Knees put down under a plank (a rest): knees where the legs bend, toes off."""
        p = self.person
        f_knee = -self.knee_drop_m()
        pose = self.hands(u, p.balance if balance is None else balance, moved)
        pose.update(self.knees(1.0 - u, f_knee, flat=True))
        return pose

    def all_fours(self, hands: float) -> Pose:
        pose = self.hands(hands, 0.5)
        pose.update(self.knees(1.0 - hands, -self.person.all_fours_m, flat=True))
        return pose

    def child(self, hands: float, face: float) -> Pose:
        pose = self.hands(hands, 0.5)
        fk = -self.child_knees_m
        pose.update(self.knees(1.0 - hands - face, fk, flat=True))
        pose["head"] = self._limb(self.face, fk + 0.38, 0.0, 0.0, face)
        return pose

    def kneel_up(self) -> Pose:
        return self.knees(1.0, -self.person.all_fours_m, flat=True)

    def standing(self, f: float, lat: float = 0.0, turn_deg: float = 0.0) -> Pose:
        """Feet side by side at (f, lat), facing the frame's forward turned by `turn_deg`."""
        p = self.person
        turn = math.radians(turn_deg)
        half = p.stance_m / 2.0
        out = math.radians(8.0)
        lf = (-math.sin(turn) * half, math.cos(turn) * half)
        back = 0.45 * p.foot_length_mm / 1000.0
        bf = (math.cos(turn) * back, math.sin(turn) * back)
        return {
            "foot_L": self._limb(
                self.foot_left, f + lf[0] - bf[0], lat + lf[1] - bf[1], turn + out, 0.5
            ),
            "foot_R": self._limb(
                self.foot_right, f - lf[0] - bf[0], lat - lf[1] - bf[1], turn - out, 0.5
            ),
        }

    def sitting(self, f_seat: float, lat: float = 0.0) -> Pose:
        """Sitting facing forward with the legs toward the hands' end."""
        p = self.person
        v = self.sit_variant
        hands = 0.12 if self.sit_hands else 0.0
        legs = 0.3 if v == "long" else 0.22
        pose: Pose = {"seat": self._limb(self.seat, f_seat, lat, 0.0, 1.0 - hands - legs)}
        if v == "long":
            f_knee = f_seat + 0.25 * p.height_m
            legs_out = shapes.calf_heel(p.shin_mm)
            for key, side in (("knee_L", 1.0), ("knee_R", -1.0)):
                pose[key] = self._limb(legs_out, f_knee, lat + side * 0.1, 0.0, legs / 2)
        elif v == "knees_up":
            f_foot = f_seat + 0.45 * p.height_m * 0.7
            pose.update(self._feet_pair(f_foot, lat, legs))
        else:
            f_ankle = f_seat + 0.2
            for key, side in (("knee_L", 1.0), ("knee_R", -1.0)):
                pose[key] = self._limb(
                    self.knee_up, f_ankle, lat + side * 0.12, -side * math.radians(70), legs / 2
                )
        if hands:
            for key, tpl, side in (
                ("hand_L", self.palm_left, 1.0),
                ("hand_R", self.palm_right, -1.0),
            ):
                pose[key] = self._limb(tpl, f_seat - 0.2, lat + side * 0.22, math.pi, hands / 2)
        return pose

    def _feet_pair(self, f: float, lat: float, share: float) -> Pose:
        pose = self.standing(f, lat)
        return {k: replace(v, share=share / 2) for k, v in pose.items()}

    def prone(self, with_support: bool) -> Pose:
        """Lying face down along the frame, shoulders by the hands; toes tucked if it leads
        to a push-up (`with_support`: hands by the shoulders and toes carry a little)."""
        p = self.person
        h = p.height_m
        shoulders_f = -0.05
        top_f = shoulders_f + 0.2 * h
        feet_f = -p.hand_to_toe_m
        scale = (top_f - feet_f) / (0.95 * h)
        body = shapes.lying_body(h * 1000.0, prone=True, length_scale=scale)
        hips_f = top_f - 0.5 * h * scale
        pose: Pose = {"body": self._limb(body, hips_f, 0.0, 0.0, 0.86 if with_support else 1.0)}
        if with_support:
            pose.update(self.hands(0.08, 0.5))
            pose.update(self.toes(0.06, 0.5))
        return pose

    def supine(self, hips_f: float, lat: float = 0.0, head_forward: bool = True) -> Pose:
        h = self.person.height_m
        body = shapes.lying_body(h * 1000.0, prone=False)
        return {
            "body": self._limb(body, hips_f, lat, 0.0 if head_forward else math.pi, 1.0),
        }

    def off_mat(self, x_mm: float, y_mm: float, heading: float) -> Pose:
        """Standing beside the mat (both feet on the floor): the start of stepping on."""
        p = self.person
        half = p.stance_m / 2.0 * 1000.0
        ch, sh = math.cos(heading), math.sin(heading)
        return {
            "foot_L": Limb(self.foot_left, x_mm - sh * half, y_mm + ch * half, heading, 0.5),
            "foot_R": Limb(self.foot_right, x_mm + sh * half, y_mm - ch * half, heading, 0.5),
        }
