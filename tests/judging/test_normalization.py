"""Results maths (pure): hand-computed cases with their arithmetic, then hypothesis properties.

Numbers in the comments are worked by hand; the tests compare with them, not with the module.
"""

from __future__ import annotations

import gc
import math
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from competitions.judging.explanation import FORMULA_EN, FORMULA_FR, explanation
from competitions.judging.normalization import (
    Criterion,
    ReviewScore,
    ScoringError,
    normalize_reviews,
    weighted_raw,
)
from competitions.judging.ranking import ItemInfo, ItemResult, Results, compute_results

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ folder left behind
    suppress_health_check=[HealthCheck.too_slow],
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def items_of(*ids: int, track: int = 1) -> list[ItemInfo]:
    return [ItemInfo(i, track, None) for i in ids]


def by_id(results: Results) -> dict[int, ItemResult]:
    return {r.item_id: r for r in results.items}


def order(results: Results) -> list[int]:
    return [r.item_id for r in results.items]


# --- weighted raw -----------------------------------------------------------------------------

MIXED = [
    Criterion(1, weight=2, minimum=0, maximum=10, step=1),
    Criterion(2, weight=1, minimum=1, maximum=5, step=0.5),
    Criterion(3, weight=1, minimum=0, maximum=100, step=5),
]


def test_weighted_raw_on_mixed_scales() -> None:
    # 7 on 0..10 -> 0.7; 4 on 1..5 -> (4 - 1) / 4 = 0.75; 40 on 0..100 -> 0.4.
    # (2 * 0.7 + 1 * 0.75 + 1 * 0.4) / (2 + 1 + 1) = 2.55 / 4 = 0.6375 -> 63.75
    assert weighted_raw({1: 7, 2: 4, 3: 40}, MIXED) == pytest.approx(63.75)
    # Lowest everywhere -> 0; highest everywhere -> 100.
    assert weighted_raw({1: 0, 2: 1, 3: 0}, MIXED) == 0
    assert weighted_raw({1: 10, 2: 5, 3: 100}, MIXED) == pytest.approx(100)
    # Decimals (as the database keeps scores): 4.5 on 1..5 -> 0.875;
    # (2 * 1 + 0.875 + 0) / 4 = 0.71875 -> 71.875
    assert weighted_raw({1: Decimal(10), 2: Decimal("4.5"), 3: Decimal(0)}, MIXED) == (
        pytest.approx(71.875)
    )
    # Criteria built from database rows (untyped, Decimal fields) work too.
    rows: list[Any] = [
        (c.id, *[Decimal(str(v)) for v in (c.weight, c.minimum, c.maximum, c.step)]) for c in MIXED
    ]
    from_rows = [Criterion(*row) for row in rows]
    assert weighted_raw({1: 7, 2: Decimal(4), 3: 40}, from_rows) == pytest.approx(63.75)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({1: 7, 2: 4}, "criterion 3 is not scored"),
        ({1: 7, 2: 4, 3: 40, 9: 1}, "unknown criteria: [9]"),
        ({1: 11, 2: 4, 3: 40}, "off the scale"),
        ({1: 7, 2: 0.5, 3: 40}, "off the scale"),
        ({1: 7, 2: 4.25, 3: 40}, "not on a step"),
        ({1: 7, 2: 4, 3: 42}, "not on a step"),
        ({1: math.nan, 2: 4, 3: 40}, "off the scale"),
    ],
)
def test_weighted_raw_refuses_incomplete_or_off_scale_reviews(
    scores: dict[int, float], message: str
) -> None:
    with pytest.raises(ScoringError, match=message.replace("[", r"\[").replace("]", r"\]")):
        weighted_raw(scores, MIXED)


def test_criterion_refuses_a_bad_scale() -> None:
    with pytest.raises(ValueError, match="weight"):
        Criterion(1, weight=0, minimum=0, maximum=10, step=1)
    with pytest.raises(ValueError, match="maximum"):
        Criterion(1, weight=1, minimum=10, maximum=10, step=1)
    with pytest.raises(ValueError, match="step"):
        Criterion(1, weight=1, minimum=0, maximum=10, step=0)


# --- normalization ----------------------------------------------------------------------------


def severe_round() -> tuple[list[ReviewScore], list[ItemInfo]]:
    """Three judges, one review per item. Judges 1 and 3 score 70, 70, 50, 50 (mean 60,
    SD 10); judge 2, severe, scores 40, 40, 20, 20 (mean 30, SD 10)."""
    reviews = [
        ReviewScore(1, 11, 70),
        ReviewScore(1, 12, 70),
        ReviewScore(1, 13, 50),
        ReviewScore(1, 14, 50),
        ReviewScore(2, 21, 40),
        ReviewScore(2, 22, 40),
        ReviewScore(2, 23, 20),
        ReviewScore(2, 24, 20),
        ReviewScore(3, 31, 70),
        ReviewScore(3, 32, 70),
        ReviewScore(3, 33, 50),
        ReviewScore(3, 34, 50),
    ]
    return reviews, items_of(11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34)


def test_normalization_undoes_a_severe_judge() -> None:
    reviews, items = severe_round()
    results = compute_results(reviews, items)
    # mu = (60 * 8 + 30 * 4) / 12 = 50.
    # Deviations from 50: judges 1, 3: 20, 20, 0, 0 (squares 800 each); judge 2: -10, -10,
    # -30, -30 (squares 2000). sigma^2 = (800 + 800 + 2000) / 12 = 300.
    assert results.mu == pytest.approx(50)
    assert results.sigma == pytest.approx(math.sqrt(300))
    # Every judge: z = (x - mean) / 10 = +1 or -1; normalized = 50 +/- sqrt(300).
    z = dict(zip([(r.judge_id, r.item_id) for r in reviews], results.normalization.z, strict=True))
    assert z[(2, 21)] == pytest.approx(1) and z[(1, 13)] == pytest.approx(-1)
    got = by_id(results)
    high, low = 50 + math.sqrt(300), 50 - math.sqrt(300)
    assert got[21].normalized == pytest.approx(high)
    assert got[13].normalized == pytest.approx(low)
    # Raw order put item 13 (50) above item 21 (40): the severe judge's best item ranked 9th.
    # Normalized: z = +1 items first (raw 70 before raw 40 by the tie rule), then z = -1.
    assert order(results) == [11, 12, 31, 32, 21, 22, 13, 14, 33, 34, 23, 24]
    assert [r.rank_overall for r in results.items] == list(range(1, 13))
    assert all(r.tied_on_score for r in results.items)
    assert all(r.fallback_reviews == 0 for r in results.items)


def test_a_judge_below_min_reviews_keeps_raw_scores() -> None:
    # Judge 1: 70, 70, 50, 50 (mean 60, SD 10). Judge 2: only 80 and 40, below min_reviews=3.
    reviews = [
        ReviewScore(1, 1, 70),
        ReviewScore(1, 2, 70),
        ReviewScore(1, 3, 50),
        ReviewScore(1, 4, 50),
        ReviewScore(2, 5, 80),
        ReviewScore(2, 6, 40),
    ]
    results = compute_results(reviews, items_of(1, 2, 3, 4, 5, 6), min_reviews=3)
    # mu = 360 / 6 = 60; deviations 10, 10, -10, -10, 20, -20 -> sigma^2 = 1200 / 6 = 200.
    assert results.mu == pytest.approx(60)
    assert results.sigma == pytest.approx(math.sqrt(200))
    assert results.normalization.z[4:] == (None, None)
    assert results.normalization.judges[2].fallback
    assert not results.normalization.judges[1].fallback
    got = by_id(results)
    assert got[5].normalized == 80 and got[6].normalized == 40
    assert got[5].fallback_reviews == 1 and got[1].fallback_reviews == 0
    assert got[1].normalized == pytest.approx(60 + math.sqrt(200))
    # 80 > 74.14 (items 1, 2) > 45.86 (items 3, 4) > 40
    assert order(results) == [5, 1, 2, 3, 4, 6]
    fallback = {row.judge_id: row.fallback for row in results.leniency}
    assert fallback == {1: False, 2: True}


def test_a_judge_giving_one_score_everywhere_gets_z_zero() -> None:
    # Judge 1 gives 61.3 three times: 3 * 61.3 / 3 is not exactly 61.3 in floats, yet z must be
    # exactly 0 and the SD exactly 0. Judge 2: 70, 70, 50, 50.
    reviews = [ReviewScore(1, i, 61.3) for i in (1, 2, 3)] + [
        ReviewScore(2, 4, 70),
        ReviewScore(2, 5, 70),
        ReviewScore(2, 6, 50),
        ReviewScore(2, 7, 50),
    ]
    results = compute_results(reviews, items_of(1, 2, 3, 4, 5, 6, 7))
    assert results.normalization.z[:3] == (0.0, 0.0, 0.0)
    assert results.normalization.judges[1].sd == 0.0
    # normalized = mu + sigma * 0 = mu = (3 * 61.3 + 240) / 7
    mu = (3 * 61.3 + 240) / 7
    for item_id in (1, 2, 3):
        assert by_id(results)[item_id].normalized == pytest.approx(mu)


def test_normalize_reviews_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="two reviews of item 1"):
        normalize_reviews([ReviewScore(1, 1, 50), ReviewScore(1, 1, 60)])
    with pytest.raises(ValueError, match="raw is nan"):
        normalize_reviews([ReviewScore(1, 1, math.nan)])
    with pytest.raises(ValueError, match="min_reviews"):
        normalize_reviews([], min_reviews=0)


def test_compute_results_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown item 9"):
        compute_results([ReviewScore(1, 9, 50)], items_of(1))
    with pytest.raises(ValueError, match="item 1 is listed twice"):
        compute_results([], items_of(1, 1))
    with pytest.raises(ValueError, match=r"judges without a panel: \[2\]"):
        compute_results(
            [ReviewScore(1, 1, 50), ReviewScore(2, 1, 60)], items_of(1), panels={1: "a"}
        )


# --- ranks and ties ---------------------------------------------------------------------------


def test_tie_rule_a_normalized_score_first() -> None:
    # Fallback everywhere (min_reviews=9): normalized = raw. Item 3 (80) > 2 (60) > 1 (40).
    reviews = [ReviewScore(1, 1, 40), ReviewScore(2, 2, 60), ReviewScore(3, 3, 80)]
    results = compute_results(reviews, items_of(1, 2, 3), min_reviews=9)
    assert order(results) == [3, 2, 1]
    assert not any(r.tied_on_score for r in results.items)


def test_tie_rule_b_raw_score_when_normalized_ties() -> None:
    # Judge 1 (severe) scores items 1-4: 40, 40, 20, 20; judge 2 items 5-8: 70, 70, 50, 50.
    # Items 1 and 5 both have z = +1, so equal normalized scores; raw 70 > 40 puts item 5 first
    # although its id is larger.
    reviews = [
        ReviewScore(1, 1, 40),
        ReviewScore(1, 2, 40),
        ReviewScore(1, 3, 20),
        ReviewScore(1, 4, 20),
        ReviewScore(2, 5, 70),
        ReviewScore(2, 6, 70),
        ReviewScore(2, 7, 50),
        ReviewScore(2, 8, 50),
    ]
    results = compute_results(reviews, items_of(*range(1, 9)))
    assert order(results) == [5, 6, 1, 2, 7, 8, 3, 4]


def test_tie_rule_c_more_reviews() -> None:
    # Fallback: item 1 has one review of 60, item 2 two reviews of 60: item 2 first.
    reviews = [ReviewScore(1, 1, 60), ReviewScore(2, 2, 60), ReviewScore(3, 2, 60)]
    results = compute_results(reviews, items_of(1, 2), min_reviews=9)
    assert order(results) == [2, 1]
    assert [r.tied_on_score for r in results.items] == [True, True]


def test_tie_rule_d_earlier_submission_none_last() -> None:
    items = [
        ItemInfo(1, 1, T0),
        ItemInfo(2, 1, T0 - timedelta(hours=1)),
        ItemInfo(3, 1, None),
        ItemInfo(4, 1, T0 + timedelta(hours=1)),
    ]
    reviews = [ReviewScore(j, j, 60) for j in (1, 2, 3, 4)]
    results = compute_results(reviews, items, min_reviews=9)
    assert order(results) == [2, 1, 4, 3]


def test_tie_rule_e_item_id_last() -> None:
    reviews = [ReviewScore(j, j, 60) for j in (3, 1, 2)]
    results = compute_results(reviews, items_of(3, 1, 2), min_reviews=9)
    assert order(results) == [1, 2, 3]
    assert [r.rank_in_track for r in results.items] == [1, 2, 3]


def test_float_noise_does_not_decide_a_rank() -> None:
    # 0.1 + 0.2 = 0.30000000000000004 > 0.3 by 5.6e-17: equal to 9 decimals, so the tie rule
    # (item id here) decides, and both are flagged.
    reviews = [ReviewScore(1, 1, 0.3), ReviewScore(2, 2, 0.1 + 0.2)]
    results = compute_results(reviews, items_of(1, 2), min_reviews=9)
    assert order(results) == [1, 2]
    assert all(r.tied_on_score for r in results.items)


def test_ranks_within_and_across_tracks() -> None:
    # Fallback: normalized = raw. Track 1: items 1 (60), 2 (40), 5 (50); track 2: items 3 (50),
    # 4 (30), 6 (no review). Overall: 1 (60), then 3 and 5 tie at 50 (item 3 by id), 2 (40),
    # 4 (30); item 6 last, unranked.
    items = [
        ItemInfo(1, 1, None),
        ItemInfo(2, 1, None),
        ItemInfo(3, 2, None),
        ItemInfo(4, 2, None),
        ItemInfo(5, 1, None),
        ItemInfo(6, 2, None),
    ]
    reviews = [
        ReviewScore(1, 1, 60),
        ReviewScore(1, 2, 40),
        ReviewScore(2, 3, 50),
        ReviewScore(2, 4, 30),
        ReviewScore(3, 5, 50),
    ]
    results = compute_results(reviews, items, min_reviews=9)
    assert order(results) == [1, 3, 5, 2, 4, 6]
    assert [r.rank_overall for r in results.items] == [1, 2, 3, 4, 5, None]
    assert [r.item_id for r in results.tracks[1]] == [1, 5, 2]
    assert [r.rank_in_track for r in results.tracks[1]] == [1, 2, 3]
    assert [r.item_id for r in results.tracks[2]] == [3, 4, 6]
    assert [r.rank_in_track for r in results.tracks[2]] == [1, 2, None]
    # 3 and 5 tie overall but not within their own tracks.
    got = by_id(results)
    assert got[3].tied_on_score_overall and got[5].tied_on_score_overall
    assert not got[3].tied_on_score and not got[5].tied_on_score
    assert not got[1].tied_on_score_overall


def test_items_without_reviews_are_listed_last_unranked() -> None:
    reviews = [ReviewScore(1, 5, 60)]
    results = compute_results(reviews, items_of(9, 5, 2), min_reviews=9)
    assert order(results) == [5, 2, 9]
    empty = by_id(results)[2]
    assert empty.n_reviews == 0
    assert empty.raw is None and empty.normalized is None
    assert empty.spread is None and empty.sd is None
    assert empty.rank_in_track is None and empty.rank_overall is None


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cycle_collector_is_left_as_it_was(enabled: bool) -> None:
    reviews, items = severe_round()
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        compute_results(reviews, items)
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError, match="unknown item"):
            compute_results([ReviewScore(1, 99, 50)], items)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_a_round_without_reviews() -> None:
    results = compute_results([], items_of(1, 2))
    assert results.mu is None and results.sigma is None and results.residual_sd is None
    assert order(results) == [1, 2]
    assert results.leniency == () and results.outliers == ()


def test_item_scores_spread_and_sd() -> None:
    # Fallback: item 1 has 50, 60, 85: mean 65, spread 35,
    # SD^2 = (15^2 + 5^2 + 20^2) / 3 = (225 + 25 + 400) / 3 = 650 / 3.
    reviews = [ReviewScore(1, 1, 50), ReviewScore(2, 1, 60), ReviewScore(3, 1, 85)]
    result = compute_results(reviews, items_of(1), min_reviews=9).items[0]
    assert result.raw == pytest.approx(65) and result.normalized == pytest.approx(65)
    assert result.n_reviews == 3 and result.spread == 35
    assert result.sd == pytest.approx(math.sqrt(650 / 3))
    assert result.fallback_reviews == 3


# --- leniency ---------------------------------------------------------------------------------

BASES = [50, 60, 70, 40, 50, 60]  # items 1-6; mean 55


def leniency_round() -> list[ReviewScore]:
    """Items 1-6 reviewed by judge 1 (base + 12), judge 2 (base) and judge 3 (base - 12);
    judge 4 alone on items 7 (45) and 8 (55)."""
    reviews = []
    for item_id, base in enumerate(BASES, start=1):
        reviews += [
            ReviewScore(1, item_id, base + 12),
            ReviewScore(2, item_id, base),
            ReviewScore(3, item_id, base - 12),
        ]
    return [*reviews, ReviewScore(4, 7, 45), ReviewScore(4, 8, 55)]


def test_leniency_labels() -> None:
    results = compute_results(leniency_round(), items_of(*range(1, 9)))
    # On each of items 1-6: judge 1's others' mean = base - 6 -> e = +18; judge 2: others'
    # mean = base -> e = 0; judge 3: e = -18. Items 7, 8 have one review: no residual.
    # s^2 = (18^2 + 0 + 18^2) / 3 = 216; threshold with k = 6:
    # max(5, 2 * sqrt(216) / sqrt(6)) = max(5, 2 * sqrt(36)) = 12.
    assert results.residual_sd == pytest.approx(math.sqrt(216))
    rows = {row.judge_id: row for row in results.leniency}
    assert [row.judge_id for row in results.leniency] == [1, 2, 3, 4]
    assert rows[1].difference == pytest.approx(18) and rows[1].label == "lenient"
    assert rows[2].difference == pytest.approx(0) and rows[2].label == "typical"
    assert rows[3].difference == pytest.approx(-18) and rows[3].label == "severe"
    assert rows[1].threshold == pytest.approx(12) and rows[1].overlap == 6
    # Judge 4 shares no item: no difference, no label; 2 reviews < 3: fallback.
    assert rows[4].overlap == 0 and rows[4].difference is None and rows[4].label is None
    assert rows[4].fallback
    # Judge 1's own scores: 62, 72, 82, 52, 62, 72 -> mean 67; deviations -5, 5, 15, -15, -5,
    # 5 -> SD^2 = 550 / 6.
    assert rows[1].n_reviews == 6 and rows[1].mean_raw == pytest.approx(67)
    assert rows[1].sd_raw == pytest.approx(math.sqrt(550 / 6))
    # Without panels, the comparison is the whole round: (6*67 + 6*55 + 6*43 + 100) / 20 = 54.5
    assert rows[1].panel is None
    assert rows[1].panel_mean == pytest.approx(54.5)


def test_leniency_threshold_has_a_floor_of_5_points() -> None:
    # On 100 items judge 1 gives 54, judges 2 and 3 give 50. Judge 1: others' mean 50 ->
    # e = +4; judges 2, 3: others' mean (54 + 50) / 2 = 52 -> e = -2.
    # s^2 = (16 + 4 + 4) / 3 = 8; 2 * sqrt(8) / sqrt(100) = 0.57 < 5, so the floor applies:
    # 4 < 5 -> typical, although statistically clear.
    reviews = []
    for item_id in range(100):
        reviews += [
            ReviewScore(1, item_id, 54),
            ReviewScore(2, item_id, 50),
            ReviewScore(3, item_id, 50),
        ]
    results = compute_results(reviews, items_of(*range(100)))
    row = results.leniency[0]
    assert row.difference == pytest.approx(4)
    assert row.threshold == 5
    assert row.label == "typical"


def test_leniency_compares_within_panels() -> None:
    panels = {1: "north", 2: "north", 3: "south", 4: "south"}
    results = compute_results(leniency_round(), items_of(*range(1, 9)), panels=panels)
    rows = {row.judge_id: row for row in results.leniency}
    assert rows[1].panel == "north" and rows[4].panel == "south"
    # North: judge 1 (62, 72, 82, 52, 62, 72) and judge 2 (50, 60, 70, 40, 50, 60):
    # mean (402 + 330) / 12 = 61; deviations 1, 11, 21, -9, 1, 11 / -11, -1, 9, -21, -11, -1
    # -> squares 766 + 766 = 1532 -> SD^2 = 1532 / 12.
    assert rows[1].panel_mean == pytest.approx(61) and rows[2].panel_mean == pytest.approx(61)
    assert rows[1].panel_sd == pytest.approx(math.sqrt(1532 / 12))
    south = [b - 12 for b in BASES] + [45, 55]
    assert rows[3].panel_mean == pytest.approx(statistics.fmean(south))
    assert rows[4].panel_sd == pytest.approx(statistics.pstdev(south))
    # The difference still compares with every other judge on the same items.
    assert rows[1].difference == pytest.approx(18)


# --- outliers ---------------------------------------------------------------------------------


def test_outlier_reviews() -> None:
    # 40 items where judges 1, 2, 3 agree (residuals 0), then:
    #   item 100: 90, 30, 30 -> e = (3x - total) / 2 with total 150: +60, -30, -30
    #   item 101 (2 reviews): 70, 40 -> e = x - the other = +30, -30
    #   item 102: 90, 60, 30 -> total 180: +45, 0, -45
    # Squares: 3600 + 900 + 900 + 900 + 900 + 2025 + 0 + 2025 = 11250 over 120 + 8 = 128
    # residuals: s^2 = 87.890625, s = 9.375; threshold max(3 * 9.375, 15) = 28.125.
    reviews = [ReviewScore(j, i, 70) for i in range(40) for j in (1, 2, 3)]
    reviews += [
        ReviewScore(1, 100, 90),
        ReviewScore(2, 100, 30),
        ReviewScore(3, 100, 30),
        ReviewScore(1, 101, 70),
        ReviewScore(2, 101, 40),
        ReviewScore(1, 102, 90),
        ReviewScore(2, 102, 60),
        ReviewScore(3, 102, 30),
    ]
    results = compute_results(reviews, items_of(*range(40), 100, 101, 102))
    assert results.residual_sd == 9.375
    assert results.outlier_threshold == 28.125
    found = [(o.judge_id, o.item_id, o.deviation) for o in results.outliers]
    # Item 100: only judge 1 (60); judges 2 and 3 (-30 > 28.125) are not the farthest.
    # Item 101: +/-30 but only 1 other review: none. Item 102: +45 and -45 tie: both.
    assert found == [(1, 100, 60), (1, 102, 45), (3, 102, -45)]
    first = results.outliers[0]
    assert first.raw == 90 and first.others_mean == 30


def test_outliers_need_15_points() -> None:
    # 40 agreeing items, then item 100: 50, 50, 62 (total 162) -> e = +12, -6, -6. s is tiny
    # (sqrt(216 / 123) = 1.33; 3 s = 3.98), so the 15-point floor rules: no outlier. With 66
    # instead (total 166): e = +16, -8, -8 > 15: judge 3's review is one.
    base = [ReviewScore(j, i, 50) for i in range(40) for j in (1, 2, 3)]
    close = [ReviewScore(1, 100, 50), ReviewScore(2, 100, 50), ReviewScore(3, 100, 62)]
    results = compute_results(base + close, items_of(*range(40), 100))
    assert results.outlier_threshold == 15 and results.outliers == ()
    far = [*close[:2], ReviewScore(3, 100, 66)]
    results = compute_results(base + far, items_of(*range(40), 100))
    assert [(o.judge_id, o.item_id, o.deviation) for o in results.outliers] == [(3, 100, 16)]


# --- explanation ------------------------------------------------------------------------------


def test_explanation_in_both_languages() -> None:
    assert explanation("en") == FORMULA_EN and explanation("fr_CA") == FORMULA_FR
    assert "μ + σ × z-score" in FORMULA_EN and "μ + σ × cote z" in FORMULA_FR  # noqa: RUF001
    assert "at least 4 reviews" in explanation("en", min_reviews=4)
    assert "au moins 4 évaluations" in explanation("fr", min_reviews=4)
    # Both give every rule: six numbered paragraphs each.
    for text in (FORMULA_EN, FORMULA_FR):
        assert [line[:3] for line in text.splitlines()] == [
            "1. ",
            "2. ",
            "3. ",
            "4. ",
            "5. ",
            "6. ",
        ]


# --- properties -------------------------------------------------------------------------------

TIMES = [T0 + timedelta(minutes=m) for m in (0, 5, 60)]
# Raw scores on a half-point grid, as weighted scores of real rubrics are: distinct values are
# well apart, so z-scores are well conditioned.
RAW = st.integers(0, 200).map(lambda n: n / 2)


@st.composite
def rounds(draw: st.DrawFn, *, min_per_judge: int = 0) -> tuple[list[ReviewScore], list[ItemInfo]]:
    n_items = draw(st.integers(max(1, min_per_judge), 10))
    n_tracks = draw(st.integers(1, 3))
    items = [
        ItemInfo(i, draw(st.integers(1, n_tracks)), draw(st.none() | st.sampled_from(TIMES)))
        for i in range(n_items)
    ]
    reviews: list[ReviewScore] = []
    for judge_id in range(draw(st.integers(1, 5))):
        chosen = draw(
            st.sets(st.integers(0, n_items - 1), min_size=min_per_judge, max_size=n_items)
        )
        reviews += [ReviewScore(judge_id, i, draw(RAW)) for i in sorted(chosen)]
    return draw(st.permutations(reviews)), items


def transform_judge(
    reviews: list[ReviewScore], judge_id: int, a: float, b: float
) -> list[ReviewScore]:
    return [
        ReviewScore(r.judge_id, r.item_id, a * r.raw + b) if r.judge_id == judge_id else r
        for r in reviews
    ]


AFFINE = st.tuples(st.floats(0.1, 10), st.floats(-100, 100))


@PROPERTY
@given(rounds(), AFFINE, st.data())
def test_z_scores_ignore_an_affine_change_of_a_judges_scale(
    round_: tuple[list[ReviewScore], list[ItemInfo]], ab: tuple[float, float], data: st.DataObject
) -> None:
    reviews, _items = round_
    assume(reviews)
    judge_id = data.draw(st.sampled_from(sorted({r.judge_id for r in reviews})))
    before = normalize_reviews(reviews, min_reviews=1)
    after = normalize_reviews(transform_judge(reviews, judge_id, *ab), min_reviews=1)
    for z0, z1 in zip(before.z, after.z, strict=True):
        assert z0 is not None and z1 is not None
        assert z1 == pytest.approx(z0, abs=1e-9)


@PROPERTY
@given(rounds(min_per_judge=3), AFFINE, st.data())
def test_order_by_normalized_score_ignores_one_judges_scale(
    round_: tuple[list[ReviewScore], list[ItemInfo]], ab: tuple[float, float], data: st.DataObject
) -> None:
    reviews, items = round_
    judge_id = data.draw(st.sampled_from(sorted({r.judge_id for r in reviews})))
    before = compute_results(reviews, items, min_reviews=3)
    after = compute_results(transform_judge(reviews, judge_id, *ab), items, min_reviews=3)
    assert before.sigma is not None and after.sigma is not None
    assume(before.sigma > 1e-6 and after.sigma > 1e-6)
    n0 = {r.item_id: r.normalized for r in before.items if r.normalized is not None}
    n1 = {r.item_id: r.normalized for r in after.items if r.normalized is not None}
    assert n0.keys() == n1.keys()
    # Item normalized = mu + sigma * mean(z) and the z do not change: the new scores are the
    # same increasing affine map of the old ones ...
    assert before.mu is not None and after.mu is not None
    scale = after.sigma / before.sigma
    for item_id, value in n0.items():
        assert n1[item_id] == pytest.approx(after.mu + scale * (value - before.mu), abs=1e-6)
    # ... so the order of items by normalized score is the same (ties within float noise aside).
    for p, vp in n0.items():
        for q, vq in n0.items():
            if vp > vq + 1e-6:
                assert n1[p] > n1[q]


@PROPERTY
@given(rounds(), st.integers(1, 4))
def test_ranks_are_a_permutation_in_each_track_and_overall(
    round_: tuple[list[ReviewScore], list[ItemInfo]], min_reviews: int
) -> None:
    reviews, items = round_
    results = compute_results(reviews, items, min_reviews=min_reviews)
    reviewed = {r.item_id for r in reviews}
    ranked = [r for r in results.items if r.rank_overall is not None]
    assert {r.item_id for r in ranked} == reviewed
    assert [r.rank_overall for r in ranked] == list(range(1, len(reviewed) + 1))
    assert all(r.rank_overall is None for r in results.items[len(ranked) :])
    # The listing goes down by (rounded) normalized score.
    scores = [round(r.normalized, 9) for r in ranked if r.normalized is not None]
    assert scores == sorted(scores, reverse=True)
    assert sorted(results.tracks) == sorted({i.track_id for i in items})
    for track_id, rows in results.tracks.items():
        assert all(r.track_id == track_id for r in rows)
        in_track = [r.rank_in_track for r in rows if r.rank_in_track is not None]
        assert in_track == list(range(1, len(in_track) + 1))
        assert len(in_track) == len({i.id for i in items if i.track_id == track_id} & reviewed)
        # The track's order is the overall order restricted to the track.
        overall = [r.rank_overall for r in rows if r.rank_overall is not None]
        assert overall == sorted(overall)


@PROPERTY
@given(rounds())
def test_normalized_equals_raw_when_no_judge_reaches_min_reviews(
    round_: tuple[list[ReviewScore], list[ItemInfo]],
) -> None:
    reviews, items = round_
    most = max(Counter(r.judge_id for r in reviews).values(), default=0)
    results = compute_results(reviews, items, min_reviews=most + 1)
    assert all(z is None for z in results.normalization.z)
    for r in results.items:
        assert r.normalized == r.raw
        assert r.fallback_reviews == r.n_reviews
    assert all(row.fallback for row in results.leniency)


@PROPERTY
@given(rounds(), st.integers(1, 4))
def test_each_item_counts_its_reviews(
    round_: tuple[list[ReviewScore], list[ItemInfo]], min_reviews: int
) -> None:
    reviews, items = round_
    results = compute_results(reviews, items, min_reviews=min_reviews)
    counts = Counter(r.item_id for r in reviews)
    assert sorted(r.item_id for r in results.items) == sorted(i.id for i in items)
    for r in results.items:
        assert r.n_reviews == counts[r.item_id]
        if r.n_reviews:
            raws = [x.raw for x in reviews if x.item_id == r.item_id]
            assert r.raw == pytest.approx(statistics.fmean(raws))
            assert r.spread == max(raws) - min(raws)
