"""The push-up pattern on hand-built contacts: knee push-ups against kneeling on all fours."""

from __future__ import annotations

import math

from matd.config import DetectorConfig
from matd.detector.pattern import SHORT_REACH_HOLD, PatternFinder, knee_pieces

from .synthetic import contact

KNEE_PATCH_MM = 350.0  # a knee with its shin behind it


def knees_frame(reach_mm: float, hands_share: float, weight: float = 600.0):
    """Palms 440 mm apart at x = 1500 (the body toward -x), two knee-and-shin patches whose
    front ends lie `reach_mm` behind the palms."""
    hands, knees = weight * hands_share, weight * (1 - hands_share)
    # The finder puts a patch's front end 0.43 of its pressure length ahead of its centre.
    knee_x = 1500.0 - reach_mm - 0.43 * KNEE_PATCH_MM
    return [
        contact(1500.0, 180.0, hands / 2, 100, 120, 90),
        contact(1500.0, 620.0, hands / 2, 100, 120, 90),
        contact(knee_x, 320.0, knees / 2, 180, KNEE_PATCH_MM, 80),
        contact(knee_x, 480.0, knees / 2, 180, KNEE_PATCH_MM, 80),
    ]


def test_a_knee_push_up_with_the_knees_far_behind_the_palms_is_the_pattern() -> None:
    found = PatternFinder(DetectorConfig()).find(knees_frame(600.0, 0.55))
    assert found is not None and found.knees


def test_a_short_persons_knee_push_up_leaning_onto_the_palms_is_the_pattern() -> None:
    """SIGNALS.md's ranges meet: a short person's knee push-up reaches 0.55 m from palms to
    knees (read as about 0.51 m on the cells), as far as a tall person's all fours."""
    found = PatternFinder(DetectorConfig()).find(knees_frame(510.0, 0.58))
    assert found is not None and found.knees


def test_a_short_persons_knee_push_up_in_progress_holds_at_its_top() -> None:
    """At the top of the same knee push-up the palms carry least (53.5%): a set already in
    progress holds its pattern there, by the set's looser share, though it would not start
    one."""
    frame = knees_frame(510.0, 0.535)
    cfg = DetectorConfig()
    assert PatternFinder(cfg).find(frame) is None
    held = PatternFinder(cfg).find(frame, share_margin=cfg.hold_share_margin)
    assert held is not None and held.knees


def test_a_short_persons_knee_push_up_begun_holds_at_its_top_before_it_is_a_set() -> None:
    """Before the set is announced, the knee push-up begun (seen leaning onto the palms)
    holds at a top that leans least (52.7% on the palms); all fours (51% at most) never."""
    finder = PatternFinder(DetectorConfig())
    assert finder.find(knees_frame(510.0, 0.527)) is None
    held = finder.find(knees_frame(510.0, 0.527), lean_margin=SHORT_REACH_HOLD)
    assert held is not None and held.knees
    assert finder.find(knees_frame(510.0, 0.51), lean_margin=SHORT_REACH_HOLD) is None


def test_all_fours_as_far_from_the_palms_but_sitting_back_is_not() -> None:
    """On all fours the knees sit under the hips: the palms carry half the weight or less."""
    assert PatternFinder(DetectorConfig()).find(knees_frame(510.0, 0.5)) is None


def test_knees_right_under_the_hips_are_never_a_knee_push_up() -> None:
    assert PatternFinder(DetectorConfig()).find(knees_frame(430.0, 0.6)) is None


def toes_frame(left_cm2: float, right_cm2: float, weight: float = 330.0):
    """Two 'palms' of the given areas 220 mm apart at x = 1500, one support patch 760 mm
    behind them, 70% of the load forward."""
    return [
        contact(1500.0, 300.0, 0.35 * weight, left_cm2, 90, 70),
        contact(1500.0, 520.0, 0.35 * weight, right_cm2, 90, 70),
        contact(740.0, 410.0, 0.3 * weight, 44.0, 70, 60),
    ]


def test_a_dog_standing_still_is_not_a_plank() -> None:
    """A dog's fore paws and a hind paw lie like palms and toes, but even a big dog's paws
    read 40-60 cm² on the cells: a person has at least one whole palm on the mat."""
    assert PatternFinder(DetectorConfig()).find(toes_frame(50.0, 56.0)) is None


def test_a_palm_half_over_the_edge_beside_a_whole_one_is_a_plank() -> None:
    found = PatternFinder(DetectorConfig()).find(toes_frame(55.0, 110.0))
    assert found is not None and not found.knees


def test_a_knee_push_up_with_a_palm_over_the_edge_is_read_the_right_way_round() -> None:
    """A heavy person's knee push-up, one palm a third over the mat's edge: the palms read
    45% of the load. Knees alone are palm-sized, so read the wrong way round the knees
    would be "palms" with 55%, and u would run backwards. The palms are set 510 mm apart,
    the knees 290 mm: knees are never set far wider apart than the palms."""
    weight = 1480.0
    frame = [
        contact(1700.0, 255.0, 0.26 * weight, 208, 180, 100),  # palms, 870 mm ahead
        contact(1640.0, 765.0, 0.19 * weight, 120, 180, 60),
        contact(880.0, 185.0, 0.29 * weight, 208, 240, 120),  # knees alone
        contact(815.0, 475.0, 0.26 * weight, 204, 240, 120),
    ]
    found = PatternFinder(DetectorConfig()).find(frame)
    assert found is not None and found.knees
    assert found.hands_at[0] > 1600.0  # the palms are the hands


def test_a_heavy_persons_palms_on_a_coarse_grid_are_a_plank() -> None:
    """A 120 kg person's palms on a 33 mm grid read 300 cm² each (every cell they touch
    counts whole); the set must start all the same."""
    found = PatternFinder(DetectorConfig()).find(toes_frame(300.0, 295.0, weight=1200.0))
    assert found is not None and not found.knees


def test_a_seat_is_still_no_palm() -> None:
    """Buttocks and thighs read 700 cm² and more: far past the largest palm."""
    assert PatternFinder(DetectorConfig()).find(toes_frame(700.0, 650.0, weight=800.0)) is None


def test_the_feet_tips_behind_knees_do_not_move_where_the_knees_are() -> None:
    """The tips of the feet touch faintly behind the knees, and come and go with the rep:
    the knees' place (u's origin) stays where the knee patches are."""
    base = knees_frame(600.0, 0.55)
    with_feet = [*base, contact(base[2].centroid[0] - 350.0, 400.0, 10.0, 30, 60, 50)]
    alone = PatternFinder(DetectorConfig()).find(base)
    found = PatternFinder(DetectorConfig()).find(with_feet)
    assert alone is not None and found is not None and found.knees
    assert len(found.support) == 3
    assert math.dist(found.support_at, alone.support_at) < 1.0


def test_faint_feet_tips_behind_the_knees_stay_in_the_cop() -> None:
    """The feet's tips behind a light person's knees carry too little to count as support
    in some frames and enough in others: their load is the body's either way, so the CoP
    u is read from keeps it (a bottle by the palms is no part of it)."""
    base = knees_frame(600.0, 0.55)
    knee_x = base[2].centroid[0]
    tips = [contact(knee_x - 330.0, y, 4.0, 30, 60, 50) for y in (330.0, 470.0)]
    bottle = contact(1600.0, 900.0, 4.0, 40, 70, 70)
    found = PatternFinder(DetectorConfig()).find([*base, *tips, bottle])
    assert found is not None and found.knees
    assert len(found.support) == 2 and len(found.feet) == 2
    body = [*base, *tips]
    load = sum(c.load_n for c in body)
    expect = (
        sum(c.cop[0] * c.load_n for c in body) / load,
        sum(c.cop[1] * c.load_n for c in body) / load,
    )
    assert math.dist(found.cop, expect) < 1e-6


def test_only_pieces_right_by_the_knees_are_a_split_of_them() -> None:
    base = knees_frame(600.0, 0.55)
    knee_x = base[2].centroid[0]
    tip = contact(knee_x - 330.0, 400.0, 10.0, 30, 60, 50)
    piece = contact(knee_x - 200.0, 320.0, 10.0, 40, 50, 50)  # just past the shin's end
    assert knee_pieces(base[2:]) == (2, 0)
    assert knee_pieces([*base[2:], tip]) == (2, 0)
    assert knee_pieces([*base[2:], tip, piece]) == (2, 1)
