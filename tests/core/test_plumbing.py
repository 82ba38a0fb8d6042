"""Clock, signed tokens, mail after commit, storage, audit neutralization."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from flask import url_for
from sqlalchemy import select

from competitions.core import audit, mail, tokens
from competitions.core.actor import Actor
from competitions.core.db import UTCDateTime
from competitions.core.storage import LocalStorage, TooLarge, sniff_image
from competitions.core.urls import external_url, id_url, is_safe_next


def test_clock_can_be_frozen_and_moved(clock):
    start = datetime(2021, 7, 30, 22, 0, tzinfo=UTC)
    clock.set_now(start)
    assert clock.now() == start
    clock.advance(timedelta(hours=1))
    assert clock.now() == start + timedelta(hours=1)
    with pytest.raises(ValueError):
        clock.set_now(datetime(2021, 7, 30, 22, 0))  # naive


def test_naive_datetimes_are_refused_by_the_database_type():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2021, 1, 1), None)  # type: ignore[arg-type]


def test_instants_round_trip_as_utc(db, world):
    paris = datetime(2021, 7, 31, 0, 0, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    world.innovator.last_login_at = paris
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(type(world.innovator), world.innovator.id).last_login_at
    assert stored == paris
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_signed_tokens_expire_with_the_application_clock(db, clock):
    token = tokens.make_token("purpose", {"u": 1})
    assert tokens.read_token("purpose", token, max_age=60) == {"u": 1}
    clock.advance(timedelta(seconds=61))
    with pytest.raises(tokens.InvalidToken) as excinfo:
        tokens.read_token("purpose", token, max_age=60)
    assert excinfo.value.expired


def test_tokens_are_bound_to_their_purpose_and_tamper_proof(db):
    token = tokens.make_token("verify-email", {"u": 1})
    with pytest.raises(tokens.InvalidToken) as excinfo:
        tokens.read_token("reset-password", token, max_age=60)
    assert not excinfo.value.expired
    with pytest.raises(tokens.InvalidToken):
        tokens.read_token("verify-email", token[:-2] + "xx", max_age=60)


def test_external_urls_come_from_base_url_not_the_request(app, db):
    with app.test_request_context("/", base_url="http://evil.example"):
        assert external_url("accounts.login") == "https://tandem.test/login"


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("/agencies/", True),
        ("/account?x=1", True),
        ("//evil.example/", False),
        ("https://evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_safe_next(target, ok):
    assert is_safe_next(target) is ok


def test_id_url_builds_what_url_for_builds_for_every_id(app):
    with app.test_request_context("/"):
        entry_url = id_url("entries.entry", "entry_id")
        round_url = id_url("submissions.edit", "round_id", entry_id=7)
        for n in (1, 42, 987_654_321, 2**31 - 1):
            assert entry_url(n) == url_for("entries.entry", entry_id=n)
            assert round_url(n) == url_for("submissions.edit", entry_id=7, round_id=n)
        with pytest.raises(ValueError):
            id_url("challenges.challenge_page", "page", slug="x")  # a query argument


def test_mail_is_sent_only_after_commit(db, mail):
    mail_obj = mail_message("after-commit@example.org")
    mail_module_send(mail_obj)
    assert mail.to("after-commit@example.org") == []
    db.session.commit()
    assert len(mail.to("after-commit@example.org")) == 1


def test_mail_waits_for_the_outer_commit_not_a_savepoint(db, mail):
    with db.session.begin_nested():
        mail_module_send(mail_message("nested@example.org"))
    assert mail.to("nested@example.org") == []
    db.session.commit()
    assert len(mail.to("nested@example.org")) == 1


def test_mail_is_dropped_on_rollback(db, mail):
    mail_module_send(mail_message("rolled-back@example.org"))
    db.session.rollback()
    db.session.commit()
    assert mail.to("rolled-back@example.org") == []


def test_mail_queued_in_a_savepoint_that_rolls_back_is_dropped_alone(db, mail):
    mail_module_send(mail_message("kept-before@example.org"))
    savepoint = db.session.begin_nested()
    mail_module_send(mail_message("in-savepoint@example.org"))
    savepoint.rollback()
    mail_module_send(mail_message("kept-after@example.org"))
    db.session.commit()
    assert mail.to("in-savepoint@example.org") == []
    assert len(mail.to("kept-before@example.org")) == 1
    assert len(mail.to("kept-after@example.org")) == 1


def test_a_first_mail_in_a_rolled_back_savepoint_does_not_cancel_later_ones(db, mail):
    savepoint = db.session.begin_nested()
    mail_module_send(mail_message("first-in-savepoint@example.org"))
    savepoint.rollback()
    mail_module_send(mail_message("later@example.org"))
    db.session.commit()
    assert mail.to("first-in-savepoint@example.org") == []
    assert len(mail.to("later@example.org")) == 1


def test_undo_runs_when_its_savepoint_rolls_back_and_is_forgotten_on_commit(db):
    from competitions.core.after_commit import run_after_commit, run_after_rollback

    calls: list[str] = []
    run_after_rollback(lambda: calls.append("outer undo"))
    savepoint = db.session.begin_nested()
    run_after_rollback(lambda: calls.append("inner undo"))
    run_after_commit(lambda: calls.append("inner done"))
    savepoint.rollback()
    assert calls == ["inner undo"]
    run_after_commit(lambda: calls.append("outer done"))
    db.session.commit()
    assert calls == ["inner undo", "outer done"]


def mail_message(to: str) -> mail.Mail:
    return mail.Mail(to=to, subject="Hello", text="Body", html="<p>Body</p>")


def mail_module_send(m: mail.Mail) -> None:
    mail.send_after_commit(m)


def test_file_transport_writes_eml(tmp_path, app, db):
    transport = mail.FileTransport({"MAIL_OUTBOX_DIR": str(tmp_path)})
    transport.send_many([mail.build_message(mail_message("x@example.org"), "T <t@example.org>")])
    (path,) = tmp_path.glob("*.eml")
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "x@example.org"
    assert parsed.get_body(preferencelist=("html",)) is not None


def test_local_storage_streams_with_a_size_cap_and_random_names(tmp_path):
    storage = LocalStorage(tmp_path)
    stored = storage.save(io.BytesIO(b"a" * 1000), max_bytes=1000)
    assert stored.size == 1000 and len(stored.sha256) == 64
    with storage.open(stored.key) as fh:
        assert fh.read() == b"a" * 1000
    other = storage.save(io.BytesIO(b"a"), max_bytes=10)
    assert other.key != stored.key
    with pytest.raises(TooLarge):
        storage.save(io.BytesIO(b"a" * 1001), max_bytes=1000)
    # Nothing half-written is left behind.
    assert not list(tmp_path.rglob("*.part"))
    with pytest.raises(ValueError):
        storage.open("../../etc/passwd")


def test_image_sniffing_uses_content_not_names():
    assert sniff_image(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff_image(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WAVE") is None
    assert sniff_image(b"<svg xmlns=...>") is None


def test_audit_neutralizes_control_characters(db):
    actor = Actor(None, ip="10.0.0.1\r\nforged: yes", via="web")
    event = audit.record(
        actor,
        "test.event",
        object_type="thing",
        object_label="line1\nline2\x1b[31mred\u202eevil",
        after={"name\n": "a\x00b", "nested": ["\r"]},
    )
    db.session.commit()
    stored = db.session.scalar(select(audit.AuditEvent).where(audit.AuditEvent.id == event.id))
    text = f"{stored.object_label}{stored.after}{stored.ip}"
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in text)
    assert "\\u000a" in stored.object_label and "\\u001b" in stored.object_label
    assert stored.after == {"name\\u000a": "a\\u0000b", "nested": ["\\u000d"]}
