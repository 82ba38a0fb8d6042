"""The figures counted by the database, against the known scene of ``conftest`` (run on SQLite
and, with DATABASE_URL, on PostgreSQL)."""

from __future__ import annotations

from datetime import date

from competitions.insights import aggregation
from competitions.insights.aggregation import KeyCount, OutreachCount


def _by_track(rows, ca, us):
    names = {ca.id: "ca", us.id: "us"}
    return sorted((names[r.track_id], r.key, r.count) for r in rows)


def test_registrations_are_counted_per_track_and_day(scene, challenge, ca_track, us_track):
    rows = aggregation.registrations(challenge)
    got = {(r.track_id, r.day): r.count for r in rows}
    assert got == {
        (ca_track.id, date(2027, 5, 1)): 1,
        (us_track.id, date(2027, 5, 1)): 1,
        (ca_track.id, date(2027, 6, 1)): 3,
        (us_track.id, date(2027, 6, 1)): 2,
    }


def test_entrants_by_country_type_outcome_and_reason(scene, challenge, ca_track, us_track):
    ca, us = ca_track, us_track
    assert _by_track(aggregation.countries(challenge), ca, us) == [
        ("ca", "CA", 4),
        ("us", "FR", 1),
        ("us", "US", 2),
    ]
    assert _by_track(aggregation.entrant_types(challenge), ca, us) == [
        ("ca", "individual", 1),
        ("ca", "team", 3),
        ("us", "team", 3),
    ]
    assert _by_track(aggregation.outcomes(challenge), ca, us) == [
        ("ca", "eligible", 3),
        ("ca", "not_eligible", 1),
        ("us", "eligible", 2),
        ("us", "recognition_only", 1),
    ]
    assert _by_track(aggregation.reasons(challenge), ca, us) == [
        ("ca", "members_too_young", 1),
        ("us", "residence_not_met", 1),
    ]


def test_the_funnel_per_track_and_round(scene, challenge, ca_track, us_track):
    round_id = scene["round"].id
    got = {
        r.track_id: (r.round_id, r.submitted, r.eligible, r.advanced)
        for r in aggregation.funnel(challenge)
    }
    assert got == {ca_track.id: (round_id, 3, 2, 1), us_track.id: (round_id, 2, 2, 1)}


def test_judging_progress_and_score_bins(scene, challenge, ca_track, us_track):
    round_id = scene["round"].id
    progress = {(r.track_id, r.state): r.count for r in aggregation.progress(challenge)}
    assert progress == {
        (ca_track.id, "new"): 1,
        (ca_track.id, "draft"): 1,
        (ca_track.id, "submitted"): 2,
        (us_track.id, "submitted"): 1,
    }
    assert {r.round_id for r in aggregation.progress(challenge)} == {round_id}
    # (8, 5) weighted 2:1 on 0-10 is 70; (3, 3) is 30; (10, 10) is 100 (the last bin).
    bins = sorted((r.track_id, r.bin, r.count) for r in aggregation.scores(challenge))
    assert bins == sorted([(ca_track.id, 7, 1), (ca_track.id, 3, 1), (us_track.id, 9, 1)])


def test_outreach_per_track_language_and_state(scene, challenge, us_track):
    assert sorted(aggregation.outreach(challenge), key=lambda r: (r.track_id or 0, r.language)) == [
        OutreachCount(None, "", 0, 0, 1, 0),
        OutreachCount(None, "en", 0, 1, 0, 0),
        OutreachCount(None, "fr", 0, 1, 0, 1),
        OutreachCount(us_track.id, "en", 1, 0, 0, 0),
    ]


def test_withdrawn_entries_leave_the_entrant_figures_but_not_the_registrations(
    scene, challenge, ca_track, us_track
):
    from competitions.core import clock
    from competitions.core.extensions import db

    scene["solo"].withdrawn_at = clock.now()
    scene["solo"].exclusive_challenge_id = None
    db.session.commit()
    assert KeyCount(ca_track.id, "individual", 1) not in aggregation.entrant_types(challenge)
    assert sum(r.count for r in aggregation.registrations(challenge)) == 7


def test_each_review_keeps_its_weighted_score_and_a_reset_clears_it(scene, world, challenge):
    """The score distribution reads the score each review keeps: the results' formula on the
    review's scores, written with them; a rubric reset (scores cleared) clears it too."""
    from sqlalchemy import select

    from competitions.core.extensions import db
    from competitions.judging import results, rubrics
    from competitions.judging.models import Assignment, Review
    from tests.entries.conftest import act

    round_ = scene["round"]
    kept = dict(
        db.session.execute(
            select(Review.id, Review.weighted_score)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .where(Assignment.round_id == round_.id)
        ).all()
    )
    # (8, 5) weighted 2:1 on 0-10: 70; (3, 3): 30; (10, 10): 100; the (6, 6) draft: 60.
    assert sorted(round(v, 9) for v in kept.values()) == [30.0, 60.0, 70.0, 100.0]
    raw = {round(r.raw, 9) for r in db.session.execute(results._raw_per_review(round_.id))}
    assert raw == {30.0, 70.0, 100.0}  # the submitted ones, as the results weigh them

    rubrics.reset(act(world.admin_a), challenge, rubrics.get_stage(round_, 1), "New criteria")
    db.session.commit()
    assert set(db.session.scalars(select(Review.weighted_score))) == {None}
    assert aggregation.scores(challenge) == ()


def test_the_leniency_is_read_apart_from_the_kept_results(scene):
    """The insights read the judges' leniency kept apart from the round's whole results; the
    same rows as the results' report."""
    from competitions.core.extensions import db
    from competitions.judging import results
    from competitions.judging.models import RoundResult

    round_ = scene["round"]
    computed = results.results_of(round_).leniency
    db.session.commit()
    kept = db.session.get(RoundResult, (round_.id, 1))
    assert kept is not None and kept.leniency is not None
    assert len(kept.leniency) == len(computed)
    assert any(row.difference is not None for row in computed)
    assert results.leniency_of(round_) == computed
