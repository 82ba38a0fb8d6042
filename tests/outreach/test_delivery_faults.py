"""Delivery under faults, with real parts (issue 6, point 7): Celery worker and beat processes on
Redis, PostgreSQL, and a real SMTP server (aiosmtpd) that counts what it accepts.

One announcement is released at one instant to 2,000 entrants over 3 tracks (half of them
reading French) while a worker is SIGKILLed, the broker is emptied, the SMTP server is busy or
refuses an address, or two ticks run at once.

**What "exactly once" means here.** Every recipient has exactly ONE DISTINCT Message-ID among
the messages the SMTP server accepted: nobody has none, nobody has two. Each outbox row carries
a stable Message-ID (``outbox.<row id>.<created>``). When a worker is killed after the SMTP
server accepted a message but before the worker recorded the row as sent, sending it again is
unavoidable at the protocol level (SMTP and our database share no transaction); the copy has
the same Message-ID, so the receiving side can drop it. The tests count and print such raw
duplicates and assert that they are only ever copies of the recipient's one Message-ID. There
must be none without a kill, and exactly one per kill in the kill tests, which kill the worker
at that worst moment (each outcome is committed as soon as the server accepts the message, so
no more than the message in flight can be sent twice).

**The broker fault** is ``FLUSHDB`` on the broker's own Redis database (its number parsed from
``CELERY_BROKER_URL``). For the broker it is the same fault as ``FLUSHALL``, which would also
wipe everything else on that Redis server.

All but the last test need PostgreSQL (``DATABASE_URL``) and Redis (``CELERY_BROKER_URL``) and
are skipped without them. They work in a database of their own (``<name>_faults``, dropped at
the end) and on a Celery queue of their own, so the rest of the suite sees neither their rows
nor their tasks. To fit faults and recoveries in seconds, their workers and beat
(tests/support/fault_celery.py) tick every second (production: 5 s) and retry a temporary
refusal after 1 s (production: 30 s; doubling in both), and the kill tests reclaim a row left
"sending" after 5 s (production: 300 s).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from bench.fanout import setup as build_entrants
from competitions.accounts.models import User
from competitions.challenges.models import Challenge
from competitions.core import clock, outbox, tasks
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.entries.models import Entry, TeamMember
from competitions.outreach import announcements
from tests.entries import conftest as entrants
from tests.support.database import normalize_url, prepare_database
from tests.support.delivery import (
    CeleryProcess,
    CountingSMTP,
    Deliveries,
    flush_broker,
    headers,
    parse,
)
from tests.support.live import app_from_environment, wait_until
from tests.support.smtp import SMTPCapture

DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")

REAL_PARTS = pytest.mark.skipif(
    not (
        normalize_url(DATABASE_URL).startswith("postgresql")
        and BROKER_URL.startswith(("redis://", "rediss://"))
    ),
    reason="needs PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL), as CI's 2nd leg",
)

RECIPIENTS = 2000
TRACKS = 3
CLAIM_TIMEOUT = "5"  # seconds, in the kill tests (production: 300)
SUBJECT = {"en": "Deadline moved", "fr": "Échéance déplacée"}
BODY = {"en": "The deadline moved to **1 June**.", "fr": "L'échéance passe au **1er juin**."}
FOOTER = {"en": "You receive this because", "fr": "Vous recevez ceci parce que"}


@dataclass(frozen=True)
class Expected:
    """What one recipient's copy must say: their language, their track's signature."""

    lang: str
    track: str
    agency: str
    contact: str


@dataclass
class Rig:
    app: Flask
    env: dict[str, str]
    smtp: CountingSMTP
    challenge_id: int
    expected: dict[str, Expected]
    beat: CeleryProcess


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    instance = tmp_path_factory.mktemp("faults")
    url = prepare_database(DATABASE_URL, "faults")
    queue = f"tandem-faults-{uuid.uuid4().hex[:8]}"
    smtp = CountingSMTP()
    smtp.start()
    env = {
        "TANDEM_ENV": "testing",
        "TANDEM_INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER_URL,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "BASE_URL": "https://tandem.test",
        "STORAGE_DIR": str(instance / "storage"),
        "OUTBOX_DELIVERY": "worker",
        "TANDEM_TEST_QUEUE": queue,
        "TANDEM_TEST_TICK": "1",
        "TANDEM_TEST_FIRST_RETRY": "1",
    }
    app = app_from_environment(env)
    app.config["CELERY"]["task_default_queue"] = queue
    beat: CeleryProcess | None = None
    try:
        challenge_id, _emails = build_entrants(app, RECIPIENTS, TRACKS)
        expected = _expected(app, challenge_id)
        beat = CeleryProcess(env, "beat", kind="beat")
        beat.start()
        yield Rig(app, env, smtp, challenge_id, expected, beat)
    finally:
        if beat is not None:
            beat.stop()
        smtp.stop()
        with app.app_context():
            db.engine.dispose()
        _forget_queue(queue)
        _drop_database(url)


def _expected(app: Flask, challenge_id: int) -> dict[str, Expected]:
    with app.app_context():
        challenge = db.session.get(Challenge, challenge_id)
        assert challenge is not None
        tracks = {t.id: t for t in challenge.tracks}
        people = db.session.execute(
            select(User.email, User.preferred_language, Entry.track_id)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(Entry, Entry.team_id == TeamMember.team_id)
            .where(Entry.challenge_id == challenge_id)
        ).all()
        expected = {}
        for email, lang, track_id in people:
            track = tracks[track_id]
            expected[email.lower()] = Expected(
                lang, track.name_in(lang), track.agency.name, track.contact_email or ""
            )
        db.session.rollback()
    # Every track has readers of both languages (else the test would prove less).
    assert len(expected) == RECIPIENTS
    assert len({(e.lang, e.track) for e in expected.values()}) == 2 * TRACKS
    return expected


def _forget_queue(queue: str) -> None:
    client = redis.Redis.from_url(BROKER_URL)
    try:
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)
    finally:
        client.close()


def _drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = sa.create_engine(make_url(normalize_url(DATABASE_URL)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


class Fleet:
    """The worker processes of one test (stopped at its end), and their logs on failure."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.procs: list[CeleryProcess] = []

    def start(self, *names: str, **env: str) -> list[CeleryProcess]:
        """Start workers (one pool process each) side by side; ``env`` adds to the rig's."""
        procs = [
            CeleryProcess({**self.rig.env, **env}, f"{name}-{uuid.uuid4().hex[:6]}")
            for name in names
        ]
        self.procs += procs
        for proc in procs:
            proc.launch()
        for proc in procs:
            proc.wait_ready()
        return procs

    def logs(self) -> str:
        return "\n".join(
            f"----- {p.name} ({p.kind}) -----\n{p.output()}" for p in [self.rig.beat, *self.procs]
        )

    @contextmanager
    def explained(self) -> Iterator[None]:
        """On failure, print the workers' and beat's logs (pytest shows them with the error)."""
        try:
            yield
        except BaseException:
            print(self.logs())
            raise

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.stop()


@pytest.fixture
def fleet(rig: Rig) -> Iterator[Fleet]:
    rig.smtp.clear()
    with rig.app.app_context():  # what a failed test left undelivered stays out of this one
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.status.not_in(["sent", "failed"]))
        )
        db.session.commit()
    crew = Fleet(rig)
    try:
        yield crew
    finally:
        crew.stop()


# --- helpers ------------------------------------------------------------------------------------


def schedule(rig: Rig, lead: float) -> tuple[int, datetime]:
    """A challenge-wide announcement to every entrant, scheduled ``lead`` seconds from now:
    beat's next tick releases it (writes the rows), the workers deliver at the instant."""
    with rig.app.app_context():
        challenge = db.session.get(Challenge, rig.challenge_id)
        root = db.session.scalar(select(User).where(User.is_platform_admin.is_(True)))
        assert challenge is not None and root is not None
        item = announcements.create(
            Actor(root),
            challenge,
            None,
            announcements.Draft(dict(SUBJECT), dict(BODY), ["entries"], None),
        )
        release_at = clock.now() + timedelta(seconds=lead)
        announcements.schedule(Actor(root), item, release_at)
        db.session.commit()
        return item.id, release_at


def progress(rig: Rig, announcement_id: int) -> dict[str, int]:
    with rig.app.app_context():
        counts = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.source == f"announcement:{announcement_id}")
                .group_by(OutboxMessage.status)
            ).all()
        )
        db.session.rollback()
    return {str(k): int(v) for k, v in counts.items()}


def outbox_rows(rig: Rig, announcement_id: int) -> list[OutboxMessage]:
    with rig.app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.source == f"announcement:{announcement_id}"
                )
            )
        )
        db.session.expunge_all()
        db.session.rollback()
    return rows


def wait_until_settled(rig: Rig, announcement_id: int, timeout: float = 90.0) -> dict[str, int]:
    """Every row of the announcement sent or failed, then the SMTP server quiet for a second
    (a late duplicate would still arrive)."""

    def settled() -> dict[str, int] | None:
        counts = progress(rig, announcement_id)
        done = counts.get("sent", 0) + counts.get("failed", 0)
        return counts if done == sum(counts.values()) == RECIPIENTS else None

    try:
        counts: dict[str, int] = wait_until(settled, timeout=timeout, interval=0.25)
    except AssertionError:
        raise AssertionError(
            f"not delivered within {timeout} s: {progress(rig, announcement_id)}"
        ) from None
    seen = -1
    while seen != rig.smtp.count():
        seen = rig.smtp.count()
        time.sleep(1.0)
    return counts


def wait_for_copies(rig: Rig, n: int, timeout: float = 60.0) -> None:
    wait_until(lambda: rig.smtp.count() >= n, timeout=timeout, interval=0.02)


@dataclass
class Outcome:
    deliveries: Deliveries
    received: list[tuple[float, bytes]]  # (instant, message) as the SMTP server accepted them
    rows: list[OutboxMessage]


def check_exactly_once(
    rig: Rig, announcement_id: int, *, refused: frozenset[str] = frozenset(), max_resent: int = 0
) -> Outcome:
    """Each expected recipient (minus ``refused``) has exactly one distinct Message-ID, that of
    their own outbox row; raw duplicates are copies of it, at most ``max_resent`` of them."""
    received = rig.smtp.snapshot()
    got = Deliveries.of(received)
    print(f"announcement {announcement_id}: {got.summary()}")
    rows = outbox_rows(rig, announcement_id)
    row_ids = {r.to_address.lower(): f"outbox.{r.id}." for r in rows}
    wanted = set(rig.expected) - refused
    missing = sorted(wanted - got.recipients)
    unexpected = sorted(got.recipients - wanted)
    assert not missing, f"{len(missing)} recipient(s) got nothing, e.g. {missing[:5]}"
    assert not unexpected, f"{len(unexpected)} unexpected recipient(s), e.g. {unexpected[:5]}"
    twice = got.twice
    assert not twice, f"{len(twice)} recipient(s) got 2+ emails, e.g. {list(twice.items())[:3]}"
    foreign = [
        (to, mid)
        for to, ids in got.by_recipient.items()
        for mid in ids
        if not mid.startswith(f"<{row_ids.get(to, '?')}")
    ]
    assert not foreign, f"Message-IDs not of the recipient's outbox row: {foreign[:5]}"
    assert got.resent <= max_resent, (
        f"{got.resent} resent copies (of the same Message-ID), at most {max_resent} expected"
    )
    return Outcome(got, received, rows)


def content_errors(rig: Rig, received: list[tuple[float, bytes]]) -> list[str]:
    """Each copy in its reader's language, from and signed by their track's agency."""
    errors = []
    for _at, raw in received:
        msg = parse(raw)
        to = str(msg["To"]).strip().lower()
        who = rig.expected[to]
        text = SMTPCapture.text(msg)
        sender = parseaddr(str(msg["From"]))[0]
        checks = {
            "subject": msg["Subject"] == SUBJECT[who.lang],
            "sender": sender == f"{who.agency} via Tandem",
            "body": BODY[who.lang] in text,  # the text part is the Markdown
            "footer": FOOTER[who.lang] in text,
            "signature": all(line in text for line in (who.track, who.agency, who.contact)),
            "unsubscribe": bool(msg["List-Unsubscribe"]),
        }
        errors += [f"{to} ({who.lang}, {who.track}): {k}" for k, ok in checks.items() if not ok]
    return errors


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.worker
@REAL_PARTS
def test_a_synchronised_release_reaches_each_of_2000_recipients_once_in_their_language(
    rig: Rig, fleet: Fleet
) -> None:
    """Scheduled a few seconds ahead: beat's tick releases it (writes its rows, due at the
    instant), two workers deliver from the instant on. Each copy in its reader's language, in
    the name of and signed by their track's agency; none before the instant."""
    with fleet.explained():
        fleet.start("w1", "w2")
        announcement_id, release_at = schedule(rig, lead=4)
        counts = wait_until_settled(rig, announcement_id)
        assert counts == {"sent": RECIPIENTS}
        outcome = check_exactly_once(rig, announcement_id, max_resent=0)
        errors = content_errors(rig, outcome.received)
        assert not errors, f"{len(errors)} wrong copies, e.g. {errors[:5]}"
        # Synchronised: nobody got it before the instant, whatever their track.
        instants = [at for at, _raw in outcome.received]
        assert min(instants) >= release_at.timestamp()
        first: dict[str, float] = {}
        for at, raw in outcome.received:
            first.setdefault(str(headers(raw)["From"]), at)
        print(
            f"first copy {min(instants) - release_at.timestamp():.2f} s after the instant, "
            f"last {max(instants) - release_at.timestamp():.2f} s; skew between the tracks' "
            f"first copies {max(first.values()) - min(first.values()):.3f} s"
        )
        assert len(first) == TRACKS  # one sender name per track


@pytest.mark.worker
@REAL_PARTS
@pytest.mark.parametrize("flush", [False, True], ids=["killed", "killed-and-broker-emptied"])
def test_a_worker_killed_mid_fan_out_then_a_new_one_still_sends_each_email_once(
    rig: Rig, fleet: Fleet, flush: bool
) -> None:
    """SIGKILL the only worker (and its pool process) a third of the way through, at the worst
    moment: the SMTP server has just stored a message and the worker has not yet heard "250",
    so that message can only be sent again (with its Message-ID: one raw duplicate, exactly).
    With ``flush``, the broker's database is emptied at the same instant, so the killed task's
    unacknowledged message and every queued tick are gone too. A new worker finishes from the
    ledger alone: due rows on beat's next tick, the killed batch once its claim times out."""
    with fleet.explained():
        (doomed,) = fleet.start("doomed", OUTBOX_CLAIM_TIMEOUT=CLAIM_TIMEOUT)

        def sabotage(accepted: int) -> None:
            if accepted == RECIPIENTS // 3:
                doomed.kill()
                if flush:
                    flush_broker(BROKER_URL)

        rig.smtp.on_accept = sabotage
        announcement_id, _release_at = schedule(rig, lead=3)
        wait_until(lambda: doomed.proc is not None and doomed.proc.poll() is not None, 60)
        at_kill = progress(rig, announcement_id)
        print(f"at the kill: {at_kill}, {rig.smtp.count()} message(s) accepted")
        stranded = at_kill.get("sending", 0)
        assert 0 < stranded <= outbox.BATCH  # mid-batch: the batch stays claimed by the dead
        fleet.start("heir", OUTBOX_CLAIM_TIMEOUT=CLAIM_TIMEOUT)
        counts = wait_until_settled(rig, announcement_id)
        assert counts == {"sent": RECIPIENTS}
        outcome = check_exactly_once(rig, announcement_id, max_resent=1)
        assert outcome.deliveries.resent == 1  # the one the server stored as the worker died
        reclaimed = [r for r in outcome.rows if r.attempts > 1]
        assert len(reclaimed) == stranded  # claimed again after the timeout, nothing else


@pytest.mark.worker
@REAL_PARTS
def test_emptying_the_broker_mid_fan_out_loses_nothing_and_sends_nothing_twice(
    rig: Rig, fleet: Fleet
) -> None:
    """FLUSHDB a third of the way through, under two running workers: their running
    dispatches keep their claims and go on; queued ticks and wake-ups are lost; beat's next
    ticks still reach the workers through the emptied database."""
    with fleet.explained():
        workers = fleet.start("w1", "w2")
        announcement_id, _release_at = schedule(rig, lead=3)
        wait_for_copies(rig, RECIPIENTS // 3)
        assert flush_broker(BROKER_URL) == int(urlsplit(BROKER_URL).path.strip("/") or 0)
        offsets = [w.log_size() for w in workers]
        print(f"at the flush: {progress(rig, announcement_id)}")
        counts = wait_until_settled(rig, announcement_id)
        assert counts == {"sent": RECIPIENTS}
        check_exactly_once(rig, announcement_id, max_resent=0)
        wait_until(
            lambda: (
                sum(w.received("outbox.dispatch", o) for w, o in zip(workers, offsets, strict=True))
                >= 2
            ),
            timeout=15,
        )


@pytest.mark.worker
@REAL_PARTS
def test_a_busy_smtp_server_is_retried_and_a_refused_address_recorded(
    rig: Rig, fleet: Fleet
) -> None:
    """The SMTP server answers 421 to every message for the first two seconds of the fan-out
    (each 421 also closes the connection, so the rest of that batch is retried too), and 550
    to one address all along."""
    refused = sorted(rig.expected)[7]
    rig.smtp.refuse[refused] = "550 5.1.1 No such user"
    rig.smtp.busy_for(2.0)
    with fleet.explained():
        fleet.start("w1", "w2")
        announcement_id, _release_at = schedule(rig, lead=3)
        counts = wait_until_settled(rig, announcement_id)
        assert counts == {"sent": RECIPIENTS - 1, "failed": 1}
        outcome = check_exactly_once(rig, announcement_id, refused=frozenset({refused}))
        assert rig.smtp.busy_refusals > 0  # the fault did happen
        (failed,) = [r for r in outcome.rows if r.status == "failed"]
        assert failed.to_address == refused and "550" in (failed.last_error or "")
        retried = [r for r in outcome.rows if r.status == "sent" and r.attempts > 1]
        print(f"{rig.smtp.busy_refusals} 421 answer(s); {len(retried)} row(s) sent after a retry")
        assert retried


def at_once(rig: Rig, step: Any, *then: Any) -> list[list[Any]]:
    """Run ``step`` (then each of ``then``) in two threads at once, each with its own app
    context (its own session and connection): both start each step together."""
    barrier = threading.Barrier(2)
    results: list[list[Any]] = [[], []]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            with rig.app.app_context():
                for fn in (step, *then):
                    barrier.wait(30)
                    results[n].append(fn())
                    db.session.remove()
        except BaseException as exc:  # reported below
            barrier.abort()
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    return results


@pytest.mark.worker
@REAL_PARTS
def test_two_beat_ticks_at_once_release_once_and_send_each_email_once(
    rig: Rig, fleet: Fleet
) -> None:
    """Two beat processes' ticks at the same instant, as two threads on PostgreSQL (no
    worker): each runs the release tick, waits for the instant, then the outbox tick."""
    announcement_id, release_at = schedule(rig, lead=3)

    def at_the_instant() -> dict[str, int]:
        time.sleep(max(0.0, release_at.timestamp() - time.time()))
        return outbox.dispatch()

    (released_a, sent_a), (released_b, sent_b) = at_once(
        rig, announcements.release_due, at_the_instant
    )
    assert sorted([released_a, released_b]) == [0, 1]
    assert Counter(sent_a) + Counter(sent_b) == {"sent": RECIPIENTS}
    assert sent_a and sent_b  # both dispatchers did send a share
    assert wait_until_settled(rig, announcement_id, timeout=10) == {"sent": RECIPIENTS}
    check_exactly_once(rig, announcement_id, max_resent=0)


@pytest.mark.worker
@REAL_PARTS
def test_without_the_tick_lock_two_release_ticks_still_release_once(rig: Rig) -> None:
    """The release tick's body, twice at once, as if its advisory lock were lost: the row
    claim alone (SELECT … FOR UPDATE SKIP LOCKED) lets one of them release the announcement
    (the previous test dispatches concurrently; this one stops at the rows)."""
    announcement_id, _release_at = schedule(rig, lead=30)
    (released_a,), (released_b,) = at_once(rig, announcements._release_due)
    assert sorted([released_a, released_b]) == [0, 1]
    assert progress(rig, announcement_id) == {"queued": RECIPIENTS}
    with rig.app.app_context():  # not to be sent: nobody waits for it
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.source == f"announcement:{announcement_id}")
        )
        db.session.commit()


# --- the wake-up at the instant (in-process, both engines) -------------------------------------


def test_the_release_wakes_the_dispatchers_for_the_instant_however_long_writing_took(
    world: Any, clock: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the wake-up's countdown was measured before the rows were written and used
    after their commit, so the dispatchers woke late by as long as the release took (about two
    seconds for 2,000 recipients in the tests above; beat's next outbox tick sent them)."""
    clock.set_now(entrants.NOW)
    challenge = entrants.build(world, "wake")
    lead = entrants.person("CA", email="wake@example.org")
    entrants.register(entrants.new_team(lead, "CA", 30, name="Wake"), challenge.tracks[0])
    item = announcements.create(
        entrants.act(world.admin_a),
        challenge,
        None,
        announcements.Draft(dict(SUBJECT), dict(BODY), ["entries"], None),
    )
    release_at = entrants.NOW + timedelta(seconds=50)
    announcements.schedule(entrants.act(world.admin_a), item, release_at)
    db.session.commit()

    write = announcements.insert_once

    def slow_write(rows: list[dict[str, Any]]) -> int:  # a large audience takes a while
        written = write(rows)
        clock.advance(timedelta(seconds=20))
        return written

    woken: list[datetime] = []

    def send_task(name: str, *args: Any, countdown: float | None = None, **kw: Any) -> None:
        assert name == "outbox.dispatch"
        woken.append(clock.now() + timedelta(seconds=countdown or 0))

    monkeypatch.setattr(announcements, "insert_once", slow_write)
    monkeypatch.setattr(tasks, "send_task", send_task)
    monkeypatch.setitem(app.config, "OUTBOX_DELIVERY", "worker")
    assert announcements.release_due() == 1
    assert woken and set(woken) == {release_at}
