"""How a round's judges agree: residuals, the leniency report and outlier reviews (rules 5-7 of
a round's results; rules 1-4 are in ``normalization`` and ``ranking``, whose notation this
follows). Pure functions from plain data to plain data.

5. Residuals, the basis of the leniency report and of outlier reviews. For a review of an item
   with ``k_i >= 2`` reviews::

       others(j,i) = mean of x(j',i) over the item's other reviews (j' != j)
       e(j,i)      = x(j,i) - others(j,i)
       s           = sqrt(mean of e(j,i)^2 over all residuals of the round)

   ``s`` (``residual_sd``) is the typical disagreement between one review and the other reviews
   of the same submission: the pooled SD of the residuals around their expected value, 0.

6. Leniency report, one row per judge: ``n_reviews``, ``mean_raw`` and ``sd_raw`` (the judge's
   ``m_j`` and ``s_j``), ``panel_mean`` and ``panel_sd`` (mean and SD of all raw scores given by
   the judges of the judge's panel: ``panels`` maps judge id -> panel key; without it the panel
   is the whole round), ``overlap`` = ``k`` = number of the judge's items that have another
   review, and::

       difference = mean of e(j,i) over those k items      (None when k = 0)
       threshold  = max(5 points, 2 * s / sqrt(k))
       label      = "lenient"  if difference >  threshold
                    "severe"   if difference < -threshold
                    "typical"  otherwise; None when k = 0

   Comparing with the other judges *on the same submissions* keeps a judge who happened to
   draw strong submissions from looking lenient. The threshold asks for both a gap that
   matters (5 points out of 100) and one chance disagreement would rarely produce: the mean of
   k residuals of typical size ``s`` varies by about ``s / sqrt(k)``, and an unbiased judge's
   mean goes beyond 2 of those about 1 time in 20 at most.

7. Outlier reviews: a review of an item with at least 2 *other* reviews (``k_i >= 3``) with::

       |e(j,i)| > max(3 * s, 15 points)

   that is the farthest review of its item (no other review of the item has a larger ``|e|``;
   equal ones, to 1e-9, are all listed); ``deviation = e(j,i)``, ``others_mean = others(j,i)``.
   Listed by ``|deviation|`` descending, then item id, then judge id.
   Why 3 * s rather than 2 * s: were disagreements normal, 2 * s would flag about 1 review in
   20 (1,400 of 30,000: too many to look at), 3 * s about 1 in 370. The 15 points keep a round of
   close agreement from flagging small gaps. With 2 reviews the two residuals are equal and
   opposite: neither review is the odd one. The farthest-only rule for the same reason: when
   one of three reviews is far off, the other two sit half as far from "the others' mean"
   (which includes the far one) without being odd.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from competitions.judging.normalization import JudgeScale, mean_sd

# Leniency: a judge's mean residual must exceed both this many points and 2 standard errors.
LENIENCY_MIN_POINTS = 5.0
LENIENCY_STANDARD_ERRORS = 2.0
# Outliers: a review's residual must exceed both this many points and this many times s.
OUTLIER_MIN_POINTS = 15.0
OUTLIER_RESIDUAL_SDS = 3.0
# Residuals this close to their item's largest count as the largest too (float noise).
_FARTHEST_SLACK = 1e-9


class Leniency(enum.StrEnum):
    """How a judge scores next to the others on the same submissions (rule 6)."""

    LENIENT = "lenient"
    SEVERE = "severe"
    TYPICAL = "typical"


@dataclass(frozen=True, slots=True)
class LeniencyRow:
    """How one judge scores compared with their panel and with the others on the same items."""

    judge_id: int
    panel: Hashable | None  # the judge's panel key; None when no grouping was given
    n_reviews: int
    mean_raw: float
    sd_raw: float
    panel_mean: float
    panel_sd: float
    overlap: int  # the judge's items that have another review
    difference: float | None  # mean residual on those items; None when overlap is 0
    threshold: float | None  # points |difference| must exceed for lenient / severe
    label: Leniency | None  # None when overlap is 0
    fallback: bool


@dataclass(frozen=True, slots=True)
class OutlierReview:
    """A review far from the other reviews of the same item."""

    judge_id: int
    item_id: int
    raw: float
    others_mean: float
    deviation: float  # raw - others_mean


# --- 6. leniency ------------------------------------------------------------------------------


def panel_keys(
    judges: Iterable[int], panels: Mapping[int, Hashable] | None
) -> dict[int, Hashable | None]:
    """Each judge's panel key (None for all without ``panels``); every judge must have one."""
    if panels is None:
        return dict.fromkeys(judges)
    missing = [j for j in judges if j not in panels]
    if missing:
        raise ValueError(f"judges without a panel: {sorted(missing)}")
    return {j: panels[j] for j in judges}


def leniency_report(
    judges: Mapping[int, JudgeScale],
    by_judge: Mapping[int, list[float]],
    panel_of: Mapping[int, Hashable | None],
    residuals: Iterable[tuple[int, float]],
    residual_sd: float | None,
) -> tuple[LeniencyRow, ...]:
    """Rule 6, one row per judge, by judge id. ``residuals`` are (judge, e) of rule 5."""
    residual_sum = dict.fromkeys(judges, 0.0)
    residual_n = dict.fromkeys(judges, 0)
    for judge_id, v in residuals:
        residual_sum[judge_id] += v
        residual_n[judge_id] += 1
    panel_raws: dict[Hashable | None, list[float]] = {}
    for judge_id, own in by_judge.items():
        panel_raws.setdefault(panel_of[judge_id], []).extend(own)
    panel_stats = {panel: mean_sd(xs) for panel, xs in panel_raws.items()}

    rows: list[LeniencyRow] = []
    for judge_id in sorted(judges):
        scale = judges[judge_id]
        k = residual_n[judge_id]
        difference: float | None = None
        threshold: float | None = None
        label: Leniency | None = None
        if k and residual_sd is not None:
            difference = residual_sum[judge_id] / k
            threshold = max(
                LENIENCY_MIN_POINTS, LENIENCY_STANDARD_ERRORS * residual_sd / math.sqrt(k)
            )
            label = _label(difference, threshold)
        panel = panel_of[judge_id]
        panel_mean, panel_sd = panel_stats[panel]
        rows.append(
            LeniencyRow(
                judge_id,
                panel,
                scale.n_reviews,
                scale.mean,
                scale.sd,
                panel_mean,
                panel_sd,
                k,
                difference,
                threshold,
                label,
                scale.fallback,
            )
        )
    return tuple(rows)


def _label(difference: float, threshold: float) -> Leniency:
    if difference > threshold:
        return Leniency.LENIENT
    if difference < -threshold:
        return Leniency.SEVERE
    return Leniency.TYPICAL


# --- 7. outliers ------------------------------------------------------------------------------


def outlier_reviews(
    candidates: Iterable[tuple[Sequence[int], Sequence[float], Sequence[float], float]],
    residual_sd: float | None,
    judge_of: Sequence[int],
    item_of: Sequence[int],
) -> tuple[tuple[OutlierReview, ...], float | None]:
    """Rule 7: the outlier reviews, and the threshold their ``|e|`` exceeds (None without
    residuals). ``candidates`` are the items with ``k >= 3`` reviews whose farthest residual
    passes ``OUTLIER_MIN_POINTS``: (review indices, their raws, their residuals, the largest
    ``|e|``); ``judge_of`` and ``item_of`` give each review index's judge and item."""
    if residual_sd is None:
        return (), None
    threshold = max(OUTLIER_RESIDUAL_SDS * residual_sd, OUTLIER_MIN_POINTS)
    outliers: list[OutlierReview] = []
    for indices, xs, es, far in candidates:
        if far <= threshold:
            continue
        for i, x, v in zip(indices, xs, es, strict=True):
            if abs(v) > threshold and abs(v) >= far - _FARTHEST_SLACK:
                outliers.append(OutlierReview(judge_of[i], item_of[i], x, x - v, v))
    outliers.sort(key=lambda o: (-abs(o.deviation), o.item_id, o.judge_id))
    return tuple(outliers), threshold
