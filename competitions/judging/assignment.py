"""Automatic judge assignment: a pure, deterministic function from plain data to a plan.

No database and no Flask: the caller loads judges, submissions (*items*), conflicts and the
current assignments, calls :func:`assign`, and applies ``added`` and ``removed`` itself.

Eligibility: a judge may review an item when the judge's panel is the challenge's shared panel
(``track_id`` None) or the item's track panel; with ``cross_track`` every judge may review every
item, and a judge is *from another track* for an item when their ``track_id`` is None or differs.

Algorithm
    1. Existing pairs that are still valid (judge and item present, judge eligible, not
       conflicted) are *kept* and never moved; the others are *removed*.
    2. Greedy: items in a seeded random order take the least-loaded eligible judges that are
       not conflicted, not already on the item and below ``max_load`` (ties: a seeded rank).
       With ``cross_track`` the first judge an item takes is one from another track.
    3. Coverage: an item still short searches an augmenting path, as in a max-flow: it takes a
       full judge, who hands one of their added items to another judge, ..., ending at a judge
       with spare capacity. Once no item finds one, the number of pairs is maximal.
    4. Cross-track: an item still without a judge from another track drops its busiest added
       judge and takes one from another track the same way (an augmenting path on which no
       item loses its own cover); when that fails the item keeps the judge it had.
    5. Balance: inside each panel, while a judge below ``max_load`` has two more than another,
       one of their added items moves to the other, directly or along a chain (the busier one
       hands an item to some judge of any panel, who hands one on, ..., to the less busy one;
       breadth-first). Moves keep every item's number of judges and cross-track cover, and
       intermediate judges' loads, so what steps 3 and 4 reached stays true.

Guarantees (``tests/judging/test_assignment.py`` checks each on random instances)
    * A conflicted or ineligible pair is never in ``pairs``; an item never has a judge twice.
    * Coverage first: each item gets ``k`` judges when a plan exists where all do; otherwise the
      total is the maximum possible and ``shortfall`` tells what each item misses.
    * ``max_load`` and ``k`` bound what is added: a judge at ``max_load`` and an item with ``k``
      judges get no more. Kept pairs are never dropped to respect them, so a judge whose
      ``max_load`` was lowered (or an item whose ``k`` was lowered) can stay above it.
    * Stability: every still-valid existing pair is kept, even where that leaves loads above the
      balanced level (taking back handed-out work is an admin's decision); running again on the
      result changes nothing.
    * Cross-track: an item lacks a judge from another track only if every such judge who may
      review it is at ``max_load``, or all its places are taken by kept pairs.
    * Balance: in each panel, no move or chain of moves of added items can take one assignment
      from a judge and give one to a judge with two fewer, both below ``max_load``. So on fresh
      runs the loads of a panel's judges below ``max_load`` differ by at most one, unless
      conflicts leave a judge too few items to take: e.g. a panel of two whose second judge is
      conflicted with all of the track's items but one. (There, and with a shared panel, a plan
      shifting work to another panel's judge might balance the panel better; the search only
      looks at chains that start and end in the panel.)
    * Deterministic: the same input and seed give the same plan whatever the input order.

Cost: 10,000 items over 4 tracks, 300 judges, k=3, 2 % of pairs conflicted: about 0.1-0.3 s.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

Pair = tuple[int, int]
"""``(judge_id, item_id)``."""

_NO_PARENT = -1
# Judges looked at by all cross-track searches of one call, beyond the direct ones (each costs
# about a microsecond; see cover_cross_track).
_CROSS_SEARCH_BUDGET = 1_000_000


@dataclass(frozen=True)
class Judge:
    """A judge as the assignment sees them."""

    id: int
    panel_id: int
    # The panel's track; None for a challenge's shared cross-track panel.
    track_id: int | None
    # Most assignments the judge may hold; None means no limit.
    max_load: int | None = None


@dataclass(frozen=True)
class Item:
    """A submission to review."""

    id: int
    track_id: int


@dataclass(frozen=True)
class Assignment:
    """The plan: ``pairs`` = ``kept`` + ``added``; ``removed`` are existing pairs now invalid."""

    pairs: frozenset[Pair]
    kept: frozenset[Pair]
    added: frozenset[Pair]
    removed: frozenset[Pair]
    # item id -> judges missing to reach k, for the items that could not get k.
    shortfall: dict[int, int]
    # judge id -> number of pairs in the plan, for every judge given.
    loads: dict[int, int]


def assign(
    items: Iterable[Item],
    judges: Iterable[Judge],
    k: int,
    *,
    conflicts: Collection[Pair] = (),
    existing: Collection[Pair] = (),
    cross_track: bool = False,
    seed: int = 0,
) -> Assignment:
    """Give every item ``k`` distinct eligible judges, keeping valid existing pairs.

    ``conflicts`` and ``existing`` hold ``(judge_id, item_id)`` pairs. See the module docstring
    for the algorithm and what the result guarantees. Raises ``ValueError`` on duplicate ids, a
    negative ``k`` or a negative ``max_load``.
    """
    if k < 0:
        raise ValueError("k must not be negative")
    solver = _Solver(items, judges, k, conflicts, existing, cross_track, seed)
    solver.greedy()
    solver.complete_coverage()
    if cross_track:
        solver.cover_cross_track()
    solver.rebalance()
    return solver.result()


class _Solver:
    """The mutable working state of one :func:`assign` call; judges and items by index."""

    def __init__(
        self,
        items: Iterable[Item],
        judges: Iterable[Judge],
        k: int,
        conflicts: Collection[Pair],
        existing: Collection[Pair],
        cross_track: bool,
        seed: int,
    ) -> None:
        # Sorting first makes the result independent of the caller's order.
        item_list = sorted(items, key=lambda item: item.id)
        judge_list = sorted(judges, key=lambda judge: judge.id)
        _check_unique([item.id for item in item_list], "item")
        _check_unique([judge.id for judge in judge_list], "judge")
        if any(judge.max_load is not None and judge.max_load < 0 for judge in judge_list):
            raise ValueError("max_load must not be negative")

        self.k = k
        self.cross_track = cross_track
        self.conflicts: AbstractSet[Pair] = (
            conflicts if isinstance(conflicts, AbstractSet) else frozenset(conflicts)
        )
        self.item_ids = [item.id for item in item_list]
        self.item_track = [item.track_id for item in item_list]
        self.judge_ids = [judge.id for judge in judge_list]
        self.judge_track = [judge.track_id for judge in judge_list]
        self.judge_panel = [judge.panel_id for judge in judge_list]
        # No limit is "one more than the number of items": a judge can never reach it.
        unlimited = len(item_list) + 1
        self.cap = [unlimited if j.max_load is None else j.max_load for j in judge_list]

        # A seeded rank breaks ties between equally loaded judges; a seeded item order spreads
        # the last, uneven round of the greedy over different judges for different seeds.
        rng = random.Random(seed)  # noqa: S311 -- fairness, not secrecy
        self.rank = list(range(len(judge_list)))
        rng.shuffle(self.rank)
        self.order = list(range(len(item_list)))
        rng.shuffle(self.order)

        tracks = sorted(set(self.item_track))
        self.all_judges = list(range(len(judge_list)))
        self.eligible_judges: dict[int, list[int]] = {
            t: [j for j in range(len(judge_list)) if self._eligible_track(j, t)] for t in tracks
        }

        n_items = len(item_list)
        n_judges = len(judge_list)
        self.load = [0] * n_judges
        self.on_item: list[set[int]] = [set() for _ in range(n_items)]
        self.judge_items: list[set[int]] = [set() for _ in range(n_judges)]
        # Only added pairs may be moved; kept pairs stay where they are.
        self.movable: list[set[int]] = [set() for _ in range(n_judges)]
        self.cross_count = [0] * n_items
        self.cross_search_left = _CROSS_SEARCH_BUDGET
        # Conflicted item indexes per judge; built only if a chain search needs them.
        self.blocked: list[set[int]] | None = None

        item_index = {item_id: i for i, item_id in enumerate(self.item_ids)}
        judge_index = {judge_id: j for j, judge_id in enumerate(self.judge_ids)}
        kept: list[Pair] = []
        removed: list[Pair] = []
        for pair in sorted(set(existing)):
            judge_id, item_id = pair
            j = judge_index.get(judge_id)
            i = item_index.get(item_id)
            if j is None or i is None or not self._may_take(j, i):
                removed.append(pair)
            else:
                kept.append(pair)
                self._add(j, i, movable=False)
        self.kept = frozenset(kept)
        self.removed = frozenset(removed)

    # -- small predicates ---------------------------------------------------------------------

    def _eligible_track(self, j: int, track: int) -> bool:
        judge_track = self.judge_track[j]
        return self.cross_track or judge_track is None or judge_track == track

    def _is_cross(self, j: int, i: int) -> bool:
        judge_track = self.judge_track[j]
        return judge_track is None or judge_track != self.item_track[i]

    def _may_take(self, j: int, i: int) -> bool:
        """Eligible, not conflicted, not already on the item (capacity aside)."""
        return (
            j not in self.on_item[i]
            and self._eligible_track(j, self.item_track[i])
            and (self.judge_ids[j], self.item_ids[i]) not in self.conflicts
        )

    def _keeps_cross(self, i: int, losing: int, gaining: int) -> bool:
        """Whether item ``i`` swapping judge ``losing`` for ``gaining`` keeps cross-track cover."""
        return (
            not self.cross_track
            or self.cross_count[i] != 1
            or not self._is_cross(losing, i)
            or self._is_cross(gaining, i)
        )

    def _takers(self, j: int) -> list[int]:
        """The judges who might take some item of judge ``j`` (narrows the chain search)."""
        track = self.judge_track[j]
        if self.cross_track or track is None:
            return self.all_judges
        return self.eligible_judges.get(track, [])

    def _add(self, j: int, i: int, *, movable: bool = True) -> None:
        self.on_item[i].add(j)
        self.judge_items[j].add(i)
        if movable:
            self.movable[j].add(i)
        self.load[j] += 1
        if self._is_cross(j, i):
            self.cross_count[i] += 1

    def _drop(self, j: int, i: int) -> None:
        self.on_item[i].discard(j)
        self.judge_items[j].discard(i)
        self.movable[j].discard(i)
        self.load[j] -= 1
        if self._is_cross(j, i):
            self.cross_count[i] -= 1

    def _move(self, i: int, losing: int, gaining: int) -> None:
        self._drop(losing, i)
        self._add(gaining, i)

    def _least_loaded_first(self, judges: Iterable[int]) -> list[int]:
        return sorted(judges, key=lambda j: (self.load[j], self.rank[j]))

    def _any_room(self) -> bool:
        return any(load < cap for load, cap in zip(self.load, self.cap, strict=True))

    # -- 2. greedy ----------------------------------------------------------------------------

    def greedy(self) -> None:
        # One heap of (load, rank, judge) per judge track: an item's candidates are then the
        # union of two heaps (its track and the shared panel), or of all with cross_track.
        heaps: dict[int | None, list[tuple[int, int, int]]] = {}
        for j in range(len(self.judge_ids)):
            if self.load[j] < self.cap[j]:
                heaps.setdefault(self.judge_track[j], []).append((self.load[j], self.rank[j], j))
        for heap in heaps.values():
            heapq.heapify(heap)
        keys = sorted(heaps, key=lambda key: (key is not None, key or 0))
        candidates: dict[int, list[list[tuple[int, int, int]]]] = {}
        others: dict[int, list[list[tuple[int, int, int]]]] = {}
        for t in sorted(set(self.item_track)):
            if self.cross_track:
                candidates[t] = [heaps[key] for key in keys]
            else:
                candidates[t] = [heaps[key] for key in keys if key is None or key == t]
            others[t] = [heaps[key] for key in keys if key is None or key != t]

        for i in self.order:
            t = self.item_track[i]
            if self.cross_track and self.cross_count[i] == 0 and len(self.on_item[i]) < self.k:
                self._take_least_loaded(i, others[t], 1)
            need = self.k - len(self.on_item[i])
            if need > 0:
                self._take_least_loaded(i, candidates[t], need)

    def _take_least_loaded(
        self, i: int, heaps: list[list[tuple[int, int, int]]], need: int
    ) -> None:
        chosen: list[tuple[list[tuple[int, int, int]], tuple[int, int, int]]] = []
        skipped: list[tuple[list[tuple[int, int, int]], tuple[int, int, int]]] = []
        while len(chosen) < need:
            best_heap: list[tuple[int, int, int]] | None = None
            for heap in heaps:
                if heap and (best_heap is None or heap[0] < best_heap[0]):
                    best_heap = heap
            if best_heap is None:
                break
            entry = heapq.heappop(best_heap)
            j = entry[2]
            if j in self.on_item[i] or (self.judge_ids[j], self.item_ids[i]) in self.conflicts:
                skipped.append((best_heap, entry))
            else:
                chosen.append((best_heap, entry))
        for heap, (load, rank, j) in chosen:
            self._add(j, i)
            if load + 1 < self.cap[j]:
                heapq.heappush(heap, (load + 1, rank, j))
        for heap, entry in skipped:
            heapq.heappush(heap, entry)

    # -- 3. coverage --------------------------------------------------------------------------

    def complete_coverage(self) -> None:
        short = [i for i in self.order if len(self.on_item[i]) < self.k]
        if not short or not self._any_room():
            return
        # A judge from whom no augmenting path exists never gets one later (as in Kuhn's
        # matching algorithm), so failed searches are not repeated.
        dead: set[int] = set()
        for i in short:
            while len(self.on_item[i]) < self.k and self._augment(i, dead):
                pass

    def _augment(
        self,
        start: int,
        dead: set[int],
        starters: Iterable[int] | None = None,
        keep_cross: bool = False,
    ) -> bool:
        """Give item ``start`` one more judge (one of ``starters``) along an augmenting path:
        each judge on it takes an item from the next, the last one has spare capacity. With
        ``keep_cross`` no item on the way loses its cover by a judge from another track."""
        # parent[judge] = (item the judge takes, judge that item gives up or _NO_PARENT)
        parent: dict[int, tuple[int, int]] = {}
        # Each item enters the path at most once, so every check made below stays true.
        seen_items = {start}
        queue: deque[int] = deque()

        if starters is None:
            starters = self._least_loaded_first(self.eligible_judges[self.item_track[start]])
        for j in starters:
            if (
                j not in dead
                and self._may_take(j, start)
                and self._reach(parent, queue, j, start, _NO_PARENT)
            ):
                return True
        while queue:
            u = queue.popleft()
            for i in self.movable[u] - seen_items:
                seen_items.add(i)
                takers = self.eligible_judges[self.item_track[i]]
                if keep_cross and not self._spend_cross_budget(len(takers)):
                    return False
                for j in takers:
                    if (
                        j not in parent
                        and j not in dead
                        and self._may_take(j, i)
                        and (not keep_cross or self._keeps_cross(i, u, j))
                        and self._reach(parent, queue, j, i, u)
                    ):
                        return True
        dead.update(parent)
        return False

    def _reach(
        self, parent: dict[int, tuple[int, int]], queue: deque[int], j: int, i: int, previous: int
    ) -> bool:
        """Judge ``j`` takes item ``i`` (from ``previous``): the path ends (and is applied) if
        ``j`` has spare capacity; otherwise ``j`` must hand one of their items on."""
        parent[j] = (i, previous)
        if self.load[j] < self.cap[j]:
            self._apply(parent, j)
            return True
        queue.append(j)
        return False

    def _spend_cross_budget(self, cost: int) -> bool:
        """Cross-track searches share a work budget (see cover_cross_track): False once spent."""
        self.cross_search_left -= cost
        return self.cross_search_left >= 0

    def _apply(self, parent: Mapping[int, tuple[int, int]], end: int) -> None:
        j = end
        while True:
            i, previous = parent[j]
            if previous == _NO_PARENT:
                self._add(j, i)
                return
            self._move(i, previous, j)
            j = previous

    # -- 4. cross-track -----------------------------------------------------------------------

    def cover_cross_track(self) -> None:
        # Each success gives one more item a judge from another track and takes none away, so
        # this ends; it frees a judge, who may be what an earlier item lacked, hence the passes.
        # Unlike coverage, a failed search does not prove much for later ones (each item drops
        # a different judge, and cross-track cover changes which moves are allowed), so its
        # "dead" judges are only trusted until the next success, and all the searches together
        # get a work budget: when many items cannot be covered, each search would otherwise
        # visit most of the plan. A judge from another track with spare capacity is always
        # found, budget or not.
        changed = True
        while changed and self._any_room():
            changed = False
            dead: set[int] = set()
            for i in self.order:
                if self.cross_count[i] == 0 and self._give_cross(i, dead):
                    changed = True
                    dead = set()

    def _give_cross(self, i: int, dead: set[int]) -> bool:
        dropped: int | None = None
        if len(self.on_item[i]) >= self.k:
            # Coverage is maximal, so the item is full: make room by dropping its busiest
            # added judge (all its judges are from its own track).
            droppable = [j for j in self.on_item[i] if i in self.movable[j]]
            if not droppable:
                return False
            dropped = max(droppable, key=lambda j: (self.load[j], self.rank[j]))
            self._drop(dropped, i)
            dead.discard(dropped)  # it has room now
        starters = self._least_loaded_first(j for j in self.all_judges if self._is_cross(j, i))
        if self._augment(i, dead, starters, keep_cross=True):
            return True
        if dropped is not None:
            self._add(dropped, i)
        return False

    # -- 5. balance ---------------------------------------------------------------------------

    def rebalance(self) -> None:
        panels: dict[int, list[int]] = {}
        for j in range(len(self.judge_ids)):
            panels.setdefault(self.judge_panel[j], []).append(j)
        # Each move lowers the sum of squared loads of one panel and leaves every other load as
        # it was, so this ends; a move may unblock another panel, hence the outer loop.
        changed = True
        while changed:
            changed = False
            for panel_id in sorted(panels):
                while self._balance_step(panels[panel_id]):
                    changed = True

    def _balance_step(self, members: list[int]) -> bool:
        below = [j for j in members if self.load[j] < self.cap[j]]
        if len(below) < 2:
            return False
        lowest = min(self.load[j] for j in below)
        sources = sorted(
            (j for j in below if self.load[j] >= lowest + 2),
            key=lambda j: (-self.load[j], self.rank[j]),
        )
        # Judges reached by a failed chain search from a busier judge reach nothing more than
        # it did, and need a less loaded target than it did: no use searching from them.
        stuck: set[int] = set()
        for a in sources:
            if a in stuck:
                continue
            targets = self._least_loaded_first(b for b in below if self.load[b] <= self.load[a] - 2)
            # A direct move first: by far the most common, and cheaper than a search.
            for b in targets:
                i = self._movable_to(a, b)
                if i is not None:
                    self._move(i, a, b)
                    return True
            reached = self._chain(a, set(targets))
            if reached is None:
                return True
            stuck |= reached
        return False

    def _movable_to(self, giver: int, taker: int) -> int | None:
        """An added item of ``giver`` that ``taker`` may take instead, if there is one."""
        candidates = self.movable[giver] - self.judge_items[taker]
        if self.blocked is not None:
            candidates -= self.blocked[taker]
        # Set order is deterministic here: same operations on the same ints in every run.
        for i in candidates:
            if self._may_take(taker, i) and self._keeps_cross(i, giver, taker):
                return i
        return None

    def _index_conflicts(self) -> None:
        """Conflicted items per judge, so a chain search skips them with set operations
        instead of testing each item (a judge conflicted with most items would be slow)."""
        if self.blocked is not None:
            return
        judge_index = {judge_id: j for j, judge_id in enumerate(self.judge_ids)}
        item_index = {item_id: i for i, item_id in enumerate(self.item_ids)}
        blocked: list[set[int]] = [set() for _ in self.judge_ids]
        for judge_id, item_id in self.conflicts:
            j = judge_index.get(judge_id)
            i = item_index.get(item_id)
            if j is not None and i is not None:
                blocked[j].add(i)
        self.blocked = blocked

    def _chain(self, source: int, targets: set[int]) -> set[int] | None:
        """Move one item out of ``source`` and one into a target, through other judges whose
        loads stay the same; None when done, else every judge a chain from ``source`` reaches.

        Breadth-first on the graph "u -> v when v may take one of u's added items" (keeping
        cross-track cover), so a chain exists exactly when the search finds one. The chain it
        finds is a shortest one, which makes its moves valid together: were an item to move
        twice, u -> ... -> v with the same item could be shortened to u -> v, unless the item's
        only judge from another track leaves first and is replaced by another such judge.
        """
        self._index_conflicts()
        parent: dict[int, tuple[int, int]] = {source: (_NO_PARENT, _NO_PARENT)}
        queue: deque[int] = deque([source])
        while queue:
            u = queue.popleft()
            for v in self._takers(u):
                if v in parent:
                    continue
                i = self._movable_to(u, v)
                if i is None:
                    continue
                parent[v] = (i, u)
                if v in targets:
                    j = v
                    while j != source:
                        item, previous = parent[j]
                        self._move(item, previous, j)
                        j = previous
                    return None
                queue.append(v)
        return set(parent)

    # -- result -------------------------------------------------------------------------------

    def result(self) -> Assignment:
        added = frozenset(
            (self.judge_ids[j], self.item_ids[i])
            for j, items in enumerate(self.movable)
            for i in items
        )
        shortfall = {
            self.item_ids[i]: self.k - len(judges)
            for i, judges in enumerate(self.on_item)
            if len(judges) < self.k
        }
        loads = dict(zip(self.judge_ids, self.load, strict=True))
        return Assignment(
            pairs=self.kept | added,
            kept=self.kept,
            added=added,
            removed=self.removed,
            shortfall=shortfall,
            loads=loads,
        )


def _check_unique(ids: list[int], what: str) -> None:
    # ids are sorted, so a duplicate sits next to its twin.
    for a, b in itertools.pairwise(ids):
        if a == b:
            raise ValueError(f"duplicate {what} id {a}")
