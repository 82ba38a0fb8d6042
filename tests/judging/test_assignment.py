"""Automatic judge assignment (pure): hand-written cases and hypothesis properties.

Each guarantee in ``competitions/judging/assignment.py`` is checked on random instances by a
checker written here (its own eligibility rules, max-flow and chain search), not by asking the
module. The greedy alone is usually balanced already, so the repair steps are also started from
arbitrary plans, through the private solver, to exercise them.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict, deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.judging.assignment import (
    Assignment,
    Item,
    Judge,
    _Solver,
    assign,
)
from competitions.judging.pool import least_reviewed_next

Pair = tuple[int, int]

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ folder left behind
    suppress_health_check=[HealthCheck.too_slow],
)


# --- an independent checker ----------------------------------------------------------------


@dataclass
class Instance:
    items: list[Item]
    judges: list[Judge]
    k: int
    conflicts: set[Pair] = field(default_factory=set)
    existing: set[Pair] = field(default_factory=set)
    cross_track: bool = False
    seed: int = 0

    def run(self) -> Assignment:
        return assign(
            self.items,
            self.judges,
            self.k,
            conflicts=self.conflicts,
            existing=self.existing,
            cross_track=self.cross_track,
            seed=self.seed,
        )

    def judge(self, judge_id: int) -> Judge:
        return next(j for j in self.judges if j.id == judge_id)

    def item(self, item_id: int) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def eligible(self, judge: Judge, item: Item) -> bool:
        return self.cross_track or judge.track_id in (None, item.track_id)

    def valid(self, pair: Pair) -> bool:
        """A pair that may stand: judge and item known, eligible, not conflicted."""
        judge_id, item_id = pair
        judges = {j.id: j for j in self.judges}
        items = {i.id: i for i in self.items}
        if judge_id not in judges or item_id not in items or pair in self.conflicts:
            return False
        return self.eligible(judges[judge_id], items[item_id])


def is_cross(judge: Judge, item: Item) -> bool:
    return judge.track_id is None or judge.track_id != item.track_id


def below_max(judge: Judge, load: int) -> bool:
    return judge.max_load is None or load < judge.max_load


def judges_by_item(pairs: Iterable[Pair]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for judge_id, item_id in pairs:
        out[item_id].add(judge_id)
    return out


def max_flow(need: dict[int, int], room: dict[int, int], edges: set[Pair]) -> int:
    """Edmonds-Karp on source -> item (need) -> judge (1 per edge) -> sink (room); ``edges``
    holds (judge, item) pairs."""
    Node = tuple[str, int]
    source, sink = ("source", 0), ("sink", 0)
    capacity: dict[Node, dict[Node, int]] = defaultdict(lambda: defaultdict(int))
    for item, n in need.items():
        capacity[source][("item", item)] += n
    for judge, n in room.items():
        capacity[("judge", judge)][sink] += n
    for judge, item in edges:
        capacity[("item", item)][("judge", judge)] += 1
    total = 0
    while True:
        parent: dict[Node, Node] = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v, c in list(capacity[u].items()):
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return total
        v = sink
        while v != source:
            u = parent[v]
            capacity[u][v] -= 1
            capacity[v][u] += 1
            v = u
        total += 1


def check_plan(inst: Instance, result: Assignment) -> None:
    """Guarantees 1, 2, 5 and 7 plus the bookkeeping of the result."""
    judges = {j.id: j for j in inst.judges}
    items = {i.id: i for i in inst.items}
    existing = set(inst.existing)
    valid_existing = {p for p in existing if inst.valid(p)}

    # Bookkeeping: pairs = kept + added; removed = the existing pairs no longer valid.
    assert result.kept == valid_existing
    assert result.removed == existing - valid_existing
    assert result.pairs == result.kept | result.added
    assert not result.added & existing
    assert result.loads == {j: sum(1 for jid, _ in result.pairs if jid == j) for j in judges}

    # 1. Never a conflicted (or ineligible, or unknown) pair.
    assert not result.pairs & inst.conflicts
    assert all(inst.valid(p) for p in result.pairs)

    # 2. Never more than k per item (unless kept pairs already were) and the shortfall adds up.
    per_item = judges_by_item(result.pairs)
    kept_per_item = Counter(item_id for _, item_id in result.kept)
    for item_id in items:
        count = len(per_item.get(item_id, ()))
        assert count <= max(inst.k, kept_per_item[item_id])
        assert result.shortfall.get(item_id, 0) == max(0, inst.k - count)

    # 7. max_load is never exceeded by what is added.
    kept_per_judge = Counter(judge_id for judge_id, _ in result.kept)
    for judge_id, judge in judges.items():
        if judge.max_load is not None:
            assert result.loads[judge_id] <= max(judge.max_load, kept_per_judge[judge_id])
            if kept_per_judge[judge_id] >= judge.max_load:
                assert not any(jid == judge_id for jid, _ in result.added)

    # 2. Coverage is maximal: as many added pairs as the max-flow allows around the kept ones.
    need = {i: max(0, inst.k - kept_per_item[i]) for i in items}
    room = {
        j.id: (len(items) if j.max_load is None else max(0, j.max_load - kept_per_judge[j.id]))
        for j in inst.judges
    }
    edges = {
        (judge.id, item.id)
        for item in inst.items
        for judge in inst.judges
        if inst.valid((judge.id, item.id)) and (judge.id, item.id) not in result.kept
    }
    assert len(result.added) == max_flow(need, room, edges)


def may_hand_over(inst: Instance, result: Assignment, giver: Judge, taker: Judge) -> bool:
    """Whether ``taker`` may take one of ``giver``'s added items in ``giver``'s place, the item
    keeping its number of judges and its cover by a judge from another track."""
    per_item = judges_by_item(result.pairs)
    for judge_id, item_id in result.added:
        if judge_id != giver.id or taker.id in per_item[item_id]:
            continue
        if not inst.valid((taker.id, item_id)):
            continue
        if inst.cross_track:
            item = inst.item(item_id)
            had = any(is_cross(inst.judge(j), item) for j in per_item[item_id])
            cover = [inst.judge(j) for j in per_item[item_id] if j != giver.id] + [taker]
            if had and not any(is_cross(j, item) for j in cover):
                continue
        return True
    return False


def balancing_chains(inst: Instance, result: Assignment) -> list[tuple[int, int]]:
    """Guarantee 3's witnesses: judges (a, b) of one panel, both below max_load, b with two or
    more fewer assignments than a, and a chain of hand-overs a -> ... -> b (through any judges,
    whose loads it leaves as they were). A single move is a chain of one hand-over."""
    hands_to = {
        u.id: [v for v in inst.judges if v.id != u.id and may_hand_over(inst, result, u, v)]
        for u in inst.judges
    }
    by_panel: dict[int, list[Judge]] = defaultdict(list)
    for judge in inst.judges:
        by_panel[judge.panel_id].append(judge)
    witnesses = []
    for members in by_panel.values():
        for a, b in itertools.permutations(members, 2):
            load_a, load_b = result.loads[a.id], result.loads[b.id]
            if load_a < load_b + 2 or not below_max(a, load_a) or not below_max(b, load_b):
                continue
            reached, queue = {a.id}, deque([a])
            while queue:
                for v in hands_to[queue.popleft().id]:
                    if v.id not in reached:
                        reached.add(v.id)
                        queue.append(v)
            if b.id in reached:
                witnesses.append((a.id, b.id))
    return witnesses


def panel_spreads(inst: Instance, result: Assignment) -> dict[int, int]:
    loads: dict[int, list[int]] = defaultdict(list)
    for judge in inst.judges:
        if below_max(judge, result.loads[judge.id]):
            loads[judge.panel_id].append(result.loads[judge.id])
    return {panel: max(v) - min(v) for panel, v in loads.items()}


# --- random instances ------------------------------------------------------------------------


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    existing: bool = False,
    cross_track: bool | None = None,
    conflicts: Literal["rate", "one per judge", "heavy judges"] = "rate",
) -> Instance:
    """Up to 3 tracks with a panel each (0-5 judges) and a shared panel (0-3 judges), up to 10
    items per track, k 1-3, some max_loads, conflicts on up to 10 % of the pairs (or: at most
    one per judge; or some judges conflicted with half or most items), and optionally existing
    pairs (some of them invalid)."""
    n_tracks = draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    ids = itertools.count()
    judges: list[Judge] = []
    panels: list[tuple[int, int | None]] = [(0, None)] + [(t, t) for t in range(1, n_tracks + 1)]
    for panel_id, track_id in panels:
        for _ in range(draw(st.integers(0, 3 if track_id is None else 5))):
            max_load = draw(st.none() | st.integers(0, 6))
            judges.append(Judge(100 + 7 * next(ids), panel_id, track_id, max_load))
    items = [
        Item(5000 + 3 * next(ids), t)
        for t in range(1, n_tracks + 1)
        for _ in range(draw(st.integers(0, 10)))
    ]
    all_pairs = [(j.id, i.id) for j in judges for i in items]
    conflicted: set[Pair] = set()
    if conflicts == "one per judge" and items:
        for judge in judges:
            item = draw(st.none() | st.sampled_from(items))
            if item is not None:
                conflicted.add((judge.id, item.id))
    elif conflicts == "heavy judges":
        coin = draw(st.randoms(use_true_random=False))
        for judge in judges:
            rate = draw(st.sampled_from([0.0, 0.0, 0.5, 0.8]))
            conflicted |= {(judge.id, item.id) for item in items if coin.random() < rate}
    elif all_pairs:
        rate = draw(st.sampled_from([0.0, 0.03, 0.1]))
        conflicted = draw(st.sets(st.sampled_from(all_pairs), max_size=int(rate * len(all_pairs))))
    current: set[Pair] = set()
    if existing and all_pairs:
        current = draw(st.sets(st.sampled_from(all_pairs), max_size=len(all_pairs) // 3))
        current |= draw(st.sets(st.tuples(st.integers(1, 3), st.integers(1, 3)), max_size=2))
    return Instance(
        items=items,
        judges=judges,
        k=k,
        conflicts=conflicted,
        existing=current,
        cross_track=draw(st.booleans()) if cross_track is None else cross_track,
        seed=draw(st.integers(0, 2**32)),
    )


# --- properties ------------------------------------------------------------------------------


@PROPERTY
@given(instances(existing=True))
def test_plan_is_valid_and_coverage_maximal(inst: Instance) -> None:
    check_plan(inst, inst.run())


@PROPERTY
@given(st.one_of(instances(), instances(conflicts="heavy judges")))
def test_fresh_plan_is_valid_and_coverage_maximal(inst: Instance) -> None:
    result = inst.run()
    check_plan(inst, result)
    assert not result.kept and not result.removed


@PROPERTY
@given(st.one_of(instances(), instances(conflicts="heavy judges"), instances(existing=True)))
def test_no_chain_of_moves_would_balance_a_panel(inst: Instance) -> None:
    # Kept pairs never move, but the added ones are balanced around them all the same.
    assert balancing_chains(inst, inst.run()) == []


@PROPERTY
@given(instances(conflicts="one per judge"))
def test_panel_loads_differ_by_at_most_one(inst: Instance) -> None:
    # With at most one conflict per judge, a busier judge of the panel always holds an item the
    # other may take, so balance within one is always reachable -- and must be reached.
    assert all(spread <= 1 for spread in panel_spreads(inst, inst.run()).values())


@PROPERTY
@given(instances(existing=True), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(inst: Instance, rnd: random.Random) -> None:
    items, judges = list(inst.items), list(inst.judges)
    conflicts, existing = sorted(inst.conflicts), sorted(inst.existing)
    for seq in (items, judges, conflicts, existing):
        rnd.shuffle(seq)
    again = assign(
        items,
        judges,
        inst.k,
        conflicts=conflicts,
        existing=existing,
        cross_track=inst.cross_track,
        seed=inst.seed,
    )
    assert again == inst.run()


@PROPERTY
@given(instances(existing=True))
def test_rerun_on_own_result_changes_nothing(inst: Instance) -> None:
    first = inst.run()
    inst.existing = set(first.pairs)
    second = inst.run()
    assert second.added == frozenset()
    assert second.removed == frozenset()
    assert second.pairs == first.pairs
    assert second.shortfall == first.shortfall


@PROPERTY
@given(instances(existing=True, cross_track=True))
def test_cross_track_cover_whenever_a_judge_is_free(inst: Instance) -> None:
    result = inst.run()
    per_item = judges_by_item(result.pairs)
    for item in inst.items:
        on_item = [inst.judge(j) for j in per_item.get(item.id, ())]
        if any(is_cross(j, item) for j in on_item):
            continue
        free = [
            j
            for j in inst.judges
            if is_cross(j, item)
            and (j.id, item.id) not in inst.conflicts
            and below_max(j, result.loads[j.id])
        ]
        only_kept = len(on_item) >= inst.k and all((j.id, item.id) in result.kept for j in on_item)
        assert not free or only_kept, (item, free)


# The repair steps started from arbitrary valid plans (the greedy rarely leaves them work).


def solver_from_random_plan(inst: Instance, rnd: random.Random) -> _Solver:
    solver = _Solver(inst.items, inst.judges, inst.k, inst.conflicts, (), inst.cross_track, 0)
    judges = sorted(inst.judges, key=lambda j: j.id)
    items = sorted(inst.items, key=lambda i: i.id)
    loads = [0] * len(judges)
    for i, item in enumerate(items):
        candidates = [
            j
            for j, judge in enumerate(judges)
            if inst.valid((judge.id, item.id)) and below_max(judge, loads[j])
        ]
        for j in rnd.sample(candidates, rnd.randint(0, min(inst.k, len(candidates)))):
            solver._add(j, i)
            loads[j] += 1
    return solver


def cross_covered(inst: Instance, pairs: Iterable[Pair]) -> set[int]:
    return {
        item_id for judge_id, item_id in pairs if is_cross(inst.judge(judge_id), inst.item(item_id))
    }


@PROPERTY
@given(instances(conflicts="heavy judges"), st.randoms(use_true_random=False))
def test_rebalance_from_any_plan_leaves_no_balancing_chain(
    inst: Instance, rnd: random.Random
) -> None:
    solver = solver_from_random_plan(inst, rnd)
    before = solver.result()
    solver.rebalance()
    after = solver.result()
    check_sizes = Counter(item_id for _, item_id in after.pairs)
    assert check_sizes == Counter(item_id for _, item_id in before.pairs)
    assert all(inst.valid(p) for p in after.pairs)
    for judge in inst.judges:
        assert judge.max_load is None or after.loads[judge.id] <= judge.max_load
    if inst.cross_track:
        assert cross_covered(inst, after.pairs) >= cross_covered(inst, before.pairs)
    assert balancing_chains(inst, after) == []


@PROPERTY
@given(instances(conflicts="one per judge"), st.randoms(use_true_random=False))
def test_rebalance_from_any_plan_reaches_within_one(inst: Instance, rnd: random.Random) -> None:
    solver = solver_from_random_plan(inst, rnd)
    solver.rebalance()
    assert all(spread <= 1 for spread in panel_spreads(inst, solver.result()).values())


@PROPERTY
@given(instances(cross_track=True), st.randoms(use_true_random=False))
def test_cross_cover_from_any_plan(inst: Instance, rnd: random.Random) -> None:
    solver = solver_from_random_plan(inst, rnd)
    # The chain searches share a work budget; spent or not, a free judge is always found.
    solver.cross_search_left = rnd.choice([0, 10, solver.cross_search_left])
    before = solver.result()
    solver.cover_cross_track()
    after = solver.result()
    assert all(inst.valid(p) for p in after.pairs)
    for judge in inst.judges:
        assert judge.max_load is None or after.loads[judge.id] <= judge.max_load
    sizes_before = Counter(item_id for _, item_id in before.pairs)
    sizes_after = Counter(item_id for _, item_id in after.pairs)
    covered = cross_covered(inst, after.pairs)
    assert covered >= cross_covered(inst, before.pairs)
    for item in inst.items:
        assert sizes_before[item.id] <= sizes_after[item.id] <= inst.k
        if item.id in covered:
            continue
        free = [
            j
            for j in inst.judges
            if is_cross(j, item)
            and (j.id, item.id) not in inst.conflicts
            and below_max(j, after.loads[j.id])
        ]
        assert not free, (item, free)


# --- hand-written cases ----------------------------------------------------------------------


def two_tracks(
    conflicts: Collection[Pair] = (), existing: Collection[Pair] = (), cross_track: bool = False
) -> Instance:
    """Track 1: judges 1-3 (panel 10); track 2: judges 4-6 (panel 20); shared: 7 (panel 30);
    items 101-106 in track 1 and 201-204 in track 2."""
    judges = [Judge(j, 10, 1) for j in (1, 2, 3)] + [Judge(j, 20, 2) for j in (4, 5, 6)]
    judges.append(Judge(7, 30, None))
    items = [Item(i, 1) for i in range(101, 107)] + [Item(i, 2) for i in range(201, 205)]
    return Instance(items, judges, 2, set(conflicts), set(existing), cross_track)


def test_each_item_gets_k_judges_of_its_track_or_the_shared_panel() -> None:
    inst = two_tracks()
    result = inst.run()
    check_plan(inst, result)
    per_item = judges_by_item(result.pairs)
    assert all(len(per_item[i.id]) == 2 for i in inst.items)
    for judge_id, item_id in result.pairs:
        assert inst.judge(judge_id).track_id in (None, inst.item(item_id).track_id)
    assert result.shortfall == {}
    assert result.added == result.pairs


def test_conflicts_are_never_assigned_and_existing_conflicted_pairs_are_removed() -> None:
    conflicts = {(1, 101), (2, 101), (4, 201)}
    inst = two_tracks(conflicts=conflicts, existing={(1, 101), (2, 102)})
    result = inst.run()
    check_plan(inst, result)
    assert not result.pairs & conflicts
    assert result.removed == {(1, 101)}
    assert result.kept == {(2, 102)}
    # Item 101 can only have judge 3 and the shared judge 7.
    assert judges_by_item(result.pairs)[101] == {3, 7}


def test_shortfall_reports_what_could_not_be_covered() -> None:
    judges = [Judge(1, 10, 1), Judge(2, 10, 1)]
    items = [Item(101, 1), Item(102, 1), Item(201, 2)]
    result = assign(items, judges, 3, conflicts={(2, 102)})
    assert result.shortfall == {101: 1, 102: 2, 201: 3}
    assert result.pairs == {(1, 101), (2, 101), (1, 102)}
    assert result.loads == {1: 2, 2: 1}


@pytest.mark.parametrize("seed", range(12))
def test_full_judges_hand_over_items_so_everyone_is_covered(seed: int) -> None:
    # Judge 1 may take only one item; judge 2 is conflicted with item 102. Whichever item the
    # greedy gives judge 1 first, the only plan covering both is 101 -> 2, 102 -> 1.
    judges = [Judge(1, 10, 1, max_load=1), Judge(2, 10, 1)]
    items = [Item(101, 1), Item(102, 1)]
    result = assign(items, judges, 1, conflicts={(2, 102)}, seed=seed)
    assert result.pairs == {(2, 101), (1, 102)}
    assert result.shortfall == {}


@pytest.mark.parametrize("seed", range(6))
def test_max_load_is_respected(seed: int) -> None:
    judges = [Judge(1, 10, 1, max_load=2), Judge(2, 10, 1, max_load=0), Judge(3, 10, 1)]
    items = [Item(i, 1) for i in range(101, 111)]
    result = assign(items, judges, 2, seed=seed)
    assert result.loads == {1: 2, 2: 0, 3: 10}
    assert result.shortfall == {i: 1 for i in range(101, 111) if (1, i) not in result.pairs}


def test_panel_loads_are_balanced() -> None:
    judges = [Judge(j, 10, 1) for j in (1, 2, 3)]
    result = assign([Item(i, 1) for i in range(10)], judges, 1)
    assert sorted(result.loads.values()) == [3, 3, 4]


def test_a_chain_of_moves_balances_when_no_direct_move_can() -> None:
    # Panel 10 (track 1) has judges 1 and 2; the shared panel has judge 3. Judge 2 is conflicted
    # with both items judge 1 holds, so only a chain balances them: 1 -> 3 (item 101), then
    # 3 -> 2 (item 103). The state is set by hand: the greedy would not produce it.
    judges = [Judge(1, 10, 1), Judge(2, 10, 1), Judge(3, 30, None)]
    items = [Item(101, 1), Item(102, 1), Item(103, 1)]
    conflicts = {(2, 101), (2, 102)}
    solver = _Solver(items, judges, 1, conflicts, (), False, 0)
    for j, i in [(0, 0), (0, 1), (2, 2)]:
        solver._add(j, i)
    solver.rebalance()
    result = solver.result()
    assert result.loads == {1: 1, 2: 1, 3: 1}
    assert not result.pairs & conflicts
    assert sorted(len(js) for js in judges_by_item(result.pairs).values()) == [1, 1, 1]


def test_balance_cannot_hold_when_conflicts_leave_a_judge_too_little() -> None:
    # Judge 2 is conflicted with every item but one: the panel cannot be within one.
    judges = [Judge(1, 10, 1), Judge(2, 10, 1)]
    items = [Item(i, 1) for i in range(101, 105)]
    conflicts = {(2, 101), (2, 102), (2, 103)}
    result = assign(items, judges, 1, conflicts=conflicts)
    assert result.loads == {1: 3, 2: 1}
    assert result.shortfall == {}


def test_cross_track_gives_each_item_a_judge_from_another_track() -> None:
    inst = two_tracks(cross_track=True)
    inst.judges = [j for j in inst.judges if j.id != 7]  # no shared panel: only other tracks
    result = inst.run()
    check_plan(inst, result)
    per_item = judges_by_item(result.pairs)
    for item in inst.items:
        assert len(per_item[item.id]) == 2
        assert any(inst.judge(j).track_id != item.track_id for j in per_item[item.id])


@pytest.mark.parametrize("seed", range(8))
def test_cross_track_cover_is_skipped_when_other_tracks_are_full(seed: int) -> None:
    judges = [Judge(1, 10, 1), Judge(2, 10, 1), Judge(3, 20, 2, max_load=1)]
    items = [Item(101, 1), Item(102, 1), Item(201, 2)]
    result = assign(items, judges, 2, cross_track=True, seed=seed)
    per_item = judges_by_item(result.pairs)
    # Judge 3 is track 1's only judge from another track and can take one item of track 1.
    covered = [i for i in (101, 102) if 3 in per_item[i]]
    assert len(covered) == 1
    assert result.loads[3] == 1
    # Item 201 (track 2) is covered by track 1's judges, who are "from another track" for it.
    assert per_item[201] == {1, 2}


def test_cross_track_swaps_out_a_same_track_judge_for_a_free_other_track_judge() -> None:
    # After the greedy, coverage moves can leave an item without a judge from another track
    # while one has room: the result must still give it one.
    inst = Instance(
        items=[Item(101, 1), Item(102, 1), Item(201, 2)],
        judges=[Judge(1, 10, 1), Judge(2, 20, 2, max_load=1), Judge(3, 20, 2, max_load=1)],
        k=1,
        conflicts={(1, 201), (3, 201)},
        cross_track=True,
    )
    for seed in range(10):
        inst.seed = seed
        result = inst.run()
        check_plan(inst, result)
        per_item = judges_by_item(result.pairs)
        # 201 can only have judge 2; 101 and 102 then need judge 3 (the other cross judge is
        # full) for one of them and judge 1 for the other.
        assert per_item[201] == {2}
        assert {frozenset(per_item[101]), frozenset(per_item[102])} == {
            frozenset({1}),
            frozenset({3}),
        }


def test_existing_valid_pairs_are_kept_even_above_the_balanced_level() -> None:
    existing = {(1, 101), (1, 102), (1, 103), (1, 104), (1, 105)}
    inst = two_tracks(existing=existing)
    inst.k = 1
    result = inst.run()
    check_plan(inst, result)
    assert result.kept == existing
    assert result.loads[1] == 5  # more than judge 2 or 3 will ever get here
    assert result.removed == frozenset()


def test_existing_pairs_no_longer_valid_are_removed() -> None:
    existing = {
        (1, 101),  # still fine
        (1, 201),  # judge 1 (track 1) may not review track 2 without cross_track
        (99, 102),  # judge gone
        (2, 999),  # item gone
        (3, 103),  # now conflicted
    }
    inst = two_tracks(existing=existing, conflicts={(3, 103)})
    result = inst.run()
    check_plan(inst, result)
    assert result.kept == {(1, 101)}
    assert result.removed == {(1, 201), (99, 102), (2, 999), (3, 103)}


def test_kept_pairs_above_a_lowered_max_load_stay_and_nothing_is_added() -> None:
    judges = [Judge(1, 10, 1, max_load=1), Judge(2, 10, 1)]
    items = [Item(i, 1) for i in range(101, 105)]
    result = assign(items, judges, 1, existing={(1, 101), (1, 102)})
    assert result.kept == {(1, 101), (1, 102)}
    assert result.added == {(2, 103), (2, 104)}
    assert result.loads == {1: 2, 2: 2}


def test_rerun_on_its_own_result_changes_nothing() -> None:
    inst = two_tracks(conflicts={(1, 101)}, cross_track=True)
    first = inst.run()
    inst.existing = set(first.pairs)
    second = inst.run()
    assert (second.added, second.removed) == (frozenset(), frozenset())
    assert second.kept == first.pairs


def test_same_input_same_result_whatever_the_order() -> None:
    inst = two_tracks(conflicts={(1, 101), (5, 202)}, existing={(2, 103), (4, 999)})
    forward = inst.run()
    backward = assign(
        reversed(inst.items),
        reversed(inst.judges),
        inst.k,
        conflicts=sorted(inst.conflicts, reverse=True),
        existing=sorted(inst.existing, reverse=True),
    )
    assert forward == backward
    assert forward == inst.run()


def test_a_different_seed_may_give_a_different_valid_plan() -> None:
    inst = two_tracks(conflicts={(1, 101)})
    plans = set()
    for seed in range(8):
        inst.seed = seed
        result = inst.run()
        check_plan(inst, result)
        assert balancing_chains(inst, result) == []
        plans.add(result.pairs)
    assert len(plans) > 1


def test_nothing_to_do() -> None:
    assert assign([], [], 3) == Assignment(
        frozenset(), frozenset(), frozenset(), frozenset(), {}, {}
    )
    only_items = assign([Item(1, 1)], [], 2)
    assert only_items.shortfall == {1: 2}
    assert assign([Item(1, 1)], [Judge(1, 1, 1)], 0).pairs == frozenset()


@pytest.mark.parametrize(
    ("items", "judges", "k"),
    [
        ([Item(1, 1)], [Judge(1, 1, 1)], -1),
        ([Item(1, 1), Item(1, 2)], [Judge(1, 1, 1)], 1),
        ([Item(1, 1)], [Judge(1, 1, 1), Judge(1, 2, 2)], 1),
        ([Item(1, 1)], [Judge(1, 1, 1, max_load=-1)], 1),
    ],
)
def test_bad_input_is_refused(items: list[Item], judges: list[Judge], k: int) -> None:
    with pytest.raises(ValueError):
        assign(items, judges, k)


# --- least_reviewed_next ---------------------------------------------------------------------


def test_least_reviewed_next_takes_the_item_with_fewest_reviews() -> None:
    counts = {10: 2, 11: 0, 12: 1, 13: 0}
    assert least_reviewed_next(counts, 7) == 11  # tie 11/13: lowest id
    assert least_reviewed_next(counts, 7, conflicts={(7, 11)}) == 13
    assert least_reviewed_next(counts, 7, conflicts={(8, 11)}) == 11  # another judge's conflict
    assert least_reviewed_next(counts, 7, assigned=[11, 13]) == 12
    assert least_reviewed_next(counts, 7, assigned={10, 11, 12, 13}) is None
    assert least_reviewed_next({}, 7) is None


def test_least_reviewed_next_seeded_ties_are_stable_and_spread_over_judges() -> None:
    counts = dict.fromkeys(range(100, 120), 0) | {99: 1}
    picks = {least_reviewed_next(counts, judge, seed=5) for judge in range(30)}
    assert len(picks) > 1  # judges pressing together tend to get different items
    assert 99 not in picks
    assert least_reviewed_next(counts, 3, seed=5) == least_reviewed_next(counts, 3, seed=5)
    assert least_reviewed_next(counts, seed=5) in counts


def test_least_reviewed_next_needs_the_judge_to_check_conflicts() -> None:
    with pytest.raises(ValueError):
        least_reviewed_next({1: 0}, conflicts={(7, 1)})


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.dictionaries(st.integers(0, 30), st.integers(0, 4), max_size=15),
    st.integers(0, 5),
    st.sets(st.tuples(st.integers(0, 5), st.integers(0, 30)), max_size=20),
    st.sets(st.integers(0, 30), max_size=10),
    st.none() | st.integers(0, 3),
)
def test_least_reviewed_next_is_a_fewest_reviews_item_allowed_to_the_judge(
    counts: dict[int, int],
    judge_id: int,
    conflicts: Collection[Pair],
    assigned: set[int],
    seed: int | None,
) -> None:
    pick = least_reviewed_next(counts, judge_id, conflicts=conflicts, assigned=assigned, seed=seed)
    allowed = {
        i: c for i, c in counts.items() if i not in assigned and (judge_id, i) not in conflicts
    }
    if not allowed:
        assert pick is None
        return
    assert pick in allowed
    assert allowed[pick] == min(allowed.values())
    if seed is None:
        assert pick == min(i for i, c in allowed.items() if c == allowed[pick])
