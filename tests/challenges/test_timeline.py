"""Pure timeline functions: window state at the exact boundaries, wall-clock times to UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from competitions.challenges.timeline import (
    LocalTimeError,
    WindowState,
    check_round,
    check_sequence,
    shift,
    to_utc,
    window_state,
)
from tests.challenges.helpers import PHASE_1, PHASE_2, utc

OPENS, DEADLINE = PHASE_1["submission_opens"], PHASE_1["submission_deadline"]
TICK = timedelta(microseconds=1)


@pytest.fixture(autouse=True)
def _app_context(app):
    """Messages are translated, so the functions run inside the application."""
    with app.app_context():
        yield


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (OPENS - timedelta(days=30), WindowState.UPCOMING),
        (OPENS - TICK, WindowState.UPCOMING),
        (OPENS, WindowState.OPEN),
        (DEADLINE - TICK, WindowState.OPEN),
        (DEADLINE, WindowState.OPEN),  # the deadline instant itself still counts
        (DEADLINE + TICK, WindowState.CLOSED),
        (DEADLINE + timedelta(days=300), WindowState.CLOSED),
    ],
)
def test_window_state_at_the_boundaries(now, state):
    assert window_state(OPENS, DEADLINE, now) == state


def test_a_window_without_one_end_is_open_on_that_side():
    assert window_state(None, DEADLINE, OPENS - timedelta(days=365)) == WindowState.OPEN
    assert window_state(OPENS, None, DEADLINE + timedelta(days=365)) == WindowState.OPEN
    assert window_state(None, None, DEADLINE) == WindowState.OPEN


def test_the_state_does_not_depend_on_the_zone_an_instant_is_expressed_in():
    chicago_deadline = DEADLINE.astimezone(ZoneInfo("America/Chicago"))
    tokyo_now = (DEADLINE + TICK).astimezone(ZoneInfo("Asia/Tokyo"))

    assert window_state(OPENS, chicago_deadline, tokyo_now) == WindowState.CLOSED


def test_phase_1_closed_at_17_00_central_time_which_is_22_00_utc():
    deadline = to_utc(datetime(2021, 7, 30, 17, 0), "America/Chicago")

    assert deadline == datetime(2021, 7, 30, 22, 0, tzinfo=UTC)
    assert deadline.utcoffset() == timedelta(0)


def test_the_same_wall_clock_time_is_another_instant_in_winter():
    assert to_utc(datetime(2021, 12, 1, 17, 0), "America/Chicago") == utc(2021, 12, 1, 23)
    assert to_utc(datetime(2021, 7, 31, 0, 0), "Europe/Paris") == utc(2021, 7, 30, 22)


@pytest.mark.parametrize("minute", [0, 30, 59])
def test_a_time_skipped_by_spring_forward_is_refused(minute):
    with pytest.raises(LocalTimeError) as refused:
        to_utc(datetime(2021, 3, 14, 2, minute), "America/Chicago")

    assert "does not exist in America/Chicago" in str(refused.value)


def test_the_times_around_the_spring_forward_gap_exist():
    assert to_utc(datetime(2021, 3, 14, 1, 59), "America/Chicago") == utc(2021, 3, 14, 7, 59)
    assert to_utc(datetime(2021, 3, 14, 3, 0), "America/Chicago") == utc(2021, 3, 14, 8, 0)


def test_an_ambiguous_fall_back_time_is_its_first_occurrence():
    first = to_utc(datetime(2021, 11, 7, 1, 30), "America/Chicago")

    assert first == utc(2021, 11, 7, 6, 30)  # 01:30 CDT, not 01:30 CST (07:30 UTC)


def test_an_aware_time_is_only_converted():
    paris = datetime(2021, 7, 31, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))

    converted = to_utc(paris, "America/Chicago")

    assert converted == utc(2021, 7, 30, 22)
    assert converted.utcoffset() == timedelta(0)


def test_a_consistent_round_has_no_problem():
    assert check_round(PHASE_1) == []
    assert check_round(PHASE_2) == []


def test_every_problem_of_a_round_is_reported_on_its_field():
    problems = check_round(
        {
            "registration_opens": OPENS + timedelta(days=1),
            "registration_closes": DEADLINE + timedelta(days=1),
            "submission_opens": OPENS,
            "submission_deadline": DEADLINE,
            "judging_closes": DEADLINE - timedelta(hours=1),
            "results_at": None,
        }
    )

    assert sorted(p.field for p in problems) == [
        "judging_closes",
        "registration_closes",
        "registration_opens",
        "results_at",
    ]
    assert all(p.message for p in problems)


def test_rounds_must_have_strictly_increasing_deadlines():
    assert check_sequence([("Phase 1", DEADLINE), ("Phase 2", DEADLINE + TICK)]) == []

    [problem] = check_sequence(
        [("Phase 1", DEADLINE), ("Phase 2", DEADLINE), ("Phase 3", DEADLINE + TICK)]
    )
    assert "Phase 2" in problem and "Phase 1" in problem


def test_shift_keeps_a_missing_instant_missing():
    assert shift(None, timedelta(days=365)) is None
    assert shift(DEADLINE, timedelta(days=364)) == utc(2022, 7, 29, 22)
