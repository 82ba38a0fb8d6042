"""A round's scores, normalized per judge: pure functions from plain data to plain data.

No database and no Flask. A round's results (``ranking.compute_results``) start here: each
submitted review's weighted raw score (rule 1), then each judge's scores measured against their
own habits (rule 2). Ranks are rules 3-4 (``ranking``), the judges' agreement rules 5-7
(``leniency``); ``explanation`` says all of them in plain English or French.

Notation: a review is judge ``j``'s review of item ``i``; ``x(j,i)`` is its raw score. "Mean"
is the arithmetic mean and "SD" the *population* standard deviation (divide by n, not n - 1).

1. Weighted raw score of a review (:func:`weighted_raw`), on 0-100::

       p_c = (score_c - minimum_c) / (maximum_c - minimum_c)        (0..1 on the criterion's scale)
       x   = 100 * sum_c(weight_c * p_c) / sum_c(weight_c)

   Every criterion must be scored, on its scale and on one of its steps; anything else raises
   :class:`ScoringError` (a submitted review is complete).

2. Per-judge normalization (:func:`normalize_reviews`), over all reviews of the round:
   ``mu`` and ``sigma`` are the mean and SD of every raw score of the round. A judge with
   ``n_j >= min_reviews`` reviews (default 3) has ``m_j`` and ``s_j``, the mean and SD of their
   own raw scores, and each of their reviews gets::

       z(j,i)          = (x(j,i) - m_j) / s_j      (z = 0 when all the judge's scores are equal)
       normalized(j,i) = mu + sigma * z(j,i)

   so normalized scores sit on the familiar 0-100 scale, and a judge's generosity (``m_j``) and
   range (``s_j``) no longer matter, only the order and relative gaps of their scores. A judge
   with fewer reviews is a *fallback* judge: ``z`` is None and ``normalized = x`` (raw kept).

Cost (CPython 3.11, a development container where a 10-million-step ``for`` loop takes 0.8 s):
:func:`weighted_raw` about 0.4 microseconds per criterion scored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import SupportsFloat

DEFAULT_MIN_REVIEWS = 3


class ScoringError(ValueError):
    """A review's scores do not fit the rubric (a missing, unknown or off-scale score)."""


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    """One rubric criterion: its weight and its scale (``minimum`` to ``maximum`` by ``step``)."""

    id: int
    weight: float
    minimum: float
    maximum: float
    step: float

    def __post_init__(self) -> None:
        # Database rows bring Decimals (untyped); the arithmetic below is in floats.
        for name in ("weight", "minimum", "maximum", "step"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if not self.weight > 0:
            raise ValueError(f"criterion {self.id}: the weight must be more than zero")
        if not self.maximum > self.minimum:
            raise ValueError(f"criterion {self.id}: the maximum must be above the minimum")
        if not self.step > 0:
            raise ValueError(f"criterion {self.id}: the step must be more than zero")


@dataclass(frozen=True, slots=True)
class ReviewScore:
    """One submitted review: who, of what, and its weighted raw score (0-100)."""

    judge_id: int
    item_id: int
    raw: float


# --- output -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JudgeScale:
    """A judge's own scale in the round: their number of reviews, mean and SD of raw scores."""

    n_reviews: int
    mean: float
    sd: float
    # Fewer than min_reviews reviews: their raw scores are kept as normalized scores.
    fallback: bool


@dataclass(frozen=True, slots=True)
class Normalization:
    """Per-review z-scores and normalized scores, aligned with the reviews given."""

    mu: float | None  # mean of all raw scores of the round; None without reviews
    sigma: float | None  # their population SD
    min_reviews: int
    judges: Mapping[int, JudgeScale]
    z: tuple[float | None, ...]  # None for a fallback judge's review
    normalized: tuple[float, ...]


# --- 1. weighted raw --------------------------------------------------------------------------


def weighted_raw(scores: Mapping[int, SupportsFloat], criteria: Sequence[Criterion]) -> float:
    """A review's weighted raw score on 0-100 (formula 1 of the module docstring).

    ``scores`` maps criterion id -> score (float, int or Decimal). Raises :class:`ScoringError`
    when a criterion is unscored, a score is for an unknown criterion, is not finite, is off its
    scale or not on one of its steps.
    """
    if not criteria:
        raise ScoringError("the rubric has no criteria")
    if len(scores) != len(criteria):
        known = {c.id for c in criteria}
        unknown = sorted(set(scores) - known)
        if unknown:
            raise ScoringError(f"scores for unknown criteria: {unknown}")
    total = 0.0
    weights = 0.0
    for c in criteria:
        try:
            value = float(scores[c.id])
        except KeyError:
            raise ScoringError(f"criterion {c.id} is not scored") from None
        lo = c.minimum
        span = c.maximum - lo
        offset = value - lo
        # Tolerance of a billionth of the scale for scores that went through floats.
        slack = span * 1e-9
        if not (-slack <= offset <= span + slack):  # also rejects NaN
            raise ScoringError(f"criterion {c.id}: {value} is off the scale")
        steps = offset / c.step
        if abs(steps - round(steps)) * c.step > slack:
            raise ScoringError(f"criterion {c.id}: {value} is not on a step of the scale")
        total += c.weight * (offset / span)
        weights += c.weight
    return 100.0 * total / weights


# --- 2. normalization -------------------------------------------------------------------------


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population SD (two passes); SD exactly 0 when all values are equal."""
    n = len(values)
    mean = sum(values) / n
    if max(values) == min(values):
        # Exact: n equal values could otherwise give an SD of a few ulps.
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / n)


def normalize_reviews(
    reviews: Sequence[ReviewScore], *, min_reviews: int = DEFAULT_MIN_REVIEWS
) -> Normalization:
    """Each review's z-score and normalized score (formula 2 of the module docstring).

    Raises ``ValueError`` when ``min_reviews < 1``, a raw score is not finite or a judge has two
    reviews of the same item.
    """
    return normalize_columns(ReviewColumns(reviews), min_reviews)[0]


class ReviewColumns:
    """The reviews as parallel lists (list comprehensions over them are fast), checked."""

    __slots__ = ("items", "judges", "raws")

    def __init__(self, reviews: Sequence[ReviewScore]) -> None:
        self.judges = [r.judge_id for r in reviews]
        self.items = [r.item_id for r in reviews]
        self.raws = [float(r.raw) for r in reviews]
        if not all(map(math.isfinite, self.raws)):
            bad = next(r for r, x in zip(reviews, self.raws, strict=True) if not math.isfinite(x))
            raise ValueError(
                f"review of item {bad.item_id} by judge {bad.judge_id}: raw is {bad.raw}"
            )
        if len(set(zip(self.judges, self.items, strict=True))) != len(self.raws):
            seen: set[tuple[int, int]] = set()
            for pair in zip(self.judges, self.items, strict=True):
                if pair in seen:
                    raise ValueError(f"judge {pair[0]} has two reviews of item {pair[1]}")
                seen.add(pair)


def normalize_columns(
    columns: ReviewColumns, min_reviews: int
) -> tuple[Normalization, dict[int, list[float]]]:
    """Rule 2 on checked columns: the normalization, and each judge's raw scores."""
    if min_reviews < 1:
        raise ValueError("min_reviews must be at least 1")
    raws = columns.raws
    if not raws:
        return Normalization(None, None, min_reviews, {}, (), ()), {}
    mu, sigma = mean_sd(raws)
    by_judge: dict[int, list[float]] = {}
    for judge_id, x in zip(columns.judges, raws, strict=True):
        own = by_judge.get(judge_id)
        if own is None:
            by_judge[judge_id] = [x]
        else:
            own.append(x)

    judges: dict[int, JudgeScale] = {}
    # z = (x - center) / scale; None for a fallback judge. A judge whose scores are all equal
    # gets (0, inf) so that z is exactly 0 (x - mean could be an ulp away from 0).
    params: dict[int, tuple[float, float] | None] = {}
    for judge_id, own in by_judge.items():
        mean, sd = mean_sd(own)
        fallback = len(own) < min_reviews
        judges[judge_id] = JudgeScale(len(own), mean, sd, fallback)
        params[judge_id] = None if fallback else (mean, sd) if sd else (0.0, math.inf)

    zs = [
        None if (p := params[j]) is None else (x - p[0]) / p[1]
        for j, x in zip(columns.judges, raws, strict=True)
    ]
    normalized = [x if z is None else mu + sigma * z for x, z in zip(raws, zs, strict=True)]
    norm = Normalization(mu, sigma, min_reviews, judges, tuple(zs), tuple(normalized))
    return norm, by_judge
