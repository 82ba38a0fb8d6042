"""The open pool ("score the next least-reviewed"): which submission a judge scores next.

A pure function, like ``assignment.assign``: the caller narrows the candidates to what the judge
may review and counts each one's active reviews; :func:`least_reviewed_next` picks one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from collections.abc import Set as AbstractSet

Pair = tuple[int, int]
"""``(judge_id, item_id)``."""


def least_reviewed_next(
    review_counts: Mapping[int, int],
    judge_id: int | None = None,
    *,
    conflicts: Collection[Pair] = (),
    assigned: Collection[int] = (),
    seed: int | None = None,
) -> int | None:
    """The open-pool item a judge should score next: the one with the fewest reviews.

    ``review_counts`` maps candidate item ids (already narrowed to what the judge may review)
    to their current number of reviews. Items the judge is conflicted with (``conflicts`` holds
    ``(judge_id, item_id)``, so it needs ``judge_id``) or already has (``assigned``) are
    skipped; None when nothing is left. Ties go to the lowest item id or, with a ``seed``, to a
    stable pseudo-random order (one per judge when ``judge_id`` is given), so judges pressing
    the button at the same moment tend to get different items.
    """
    if judge_id is None and conflicts:
        raise ValueError("conflicts need the judge_id they are checked against")
    conflicted = conflicts if isinstance(conflicts, AbstractSet) else set(conflicts)
    taken = assigned if isinstance(assigned, AbstractSet) else set(assigned)
    salt = () if judge_id is None else (judge_id,)
    best: tuple[int, int, int] | None = None
    for item_id, count in review_counts.items():
        if item_id in taken or (judge_id, item_id) in conflicted:
            continue
        tie = 0 if seed is None else _mix(seed, *salt, item_id)
        key = (count, tie, item_id)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


_MASK64 = (1 << 64) - 1


def _mix(*values: int) -> int:
    """A small, stable 64-bit hash (splitmix64 steps); ``hash()`` is not meant to be stable."""
    h = 0x9E3779B97F4A7C15
    for value in values:
        h = ((h ^ (value & _MASK64)) * 0xBF58476D1CE4E5B9) & _MASK64
        h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK64
        h ^= h >> 31
    return h
