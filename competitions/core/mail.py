"""The one mail transport: SMTP (production, tests) or .eml files (embedded default).

Mail that a request decides to send is written to the outbox (``core.outbox``) in the same
transaction and handed to the transport only after that transaction commits, so a rolled-back
change never emails anyone and a commit never loses its email.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from competitions.core import after_commit, clock

log = logging.getLogger(__name__)

_QUEUE_KEY = "tandem_mail_after_commit"


@dataclass
class Mail:
    """A rendered email, ready for a transport."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sender: str | None = None


def render_mail(template: str, to: str, lang: str, subject: Any, **context: Any) -> Mail:
    """Render ``emails/<template>.txt`` (and ``.html`` if it exists) in the recipient's language.

    ``subject`` may be a lazy string; it is resolved in ``lang`` too.
    """
    with force_locale(lang):
        text = render_template(f"emails/{template}.txt", lang=lang, **context)
        html: str | None
        try:
            html = render_template(f"emails/{template}.html", lang=lang, **context)
        except Exception as exc:  # template missing: text-only mail
            if type(exc).__name__ != "TemplateNotFound":
                raise
            html = None
        return Mail(to=to, subject=str(subject), text=text, html=html)


def build_message(mail: Mail, default_sender: str, message_id: str | None = None) -> EmailMessage:
    """``message_id`` (the left part): the same for every attempt at one outbox row, so that a
    copy resent after a crash is recognised as the same message by mail clients."""
    msg = EmailMessage()
    msg["From"] = mail.sender or default_sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(clock.now())
    domain = default_sender.rsplit("@", 1)[-1].strip(">") or "tandem.localhost"
    msg["Message-ID"] = f"<{message_id}@{domain}>" if message_id else make_msgid(domain=domain)
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    return msg


class Refused(smtplib.SMTPException):
    """The server refused one message (``smtp_code`` 4xx: try again later; 5xx: never)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.smtp_code = code


class Transport(Protocol):
    def send_many(self, messages: Sequence[EmailMessage]) -> None: ...

    def send_each(self, messages: Sequence[EmailMessage]) -> Iterator[BaseException | None]:
        """Send one by one, answering each message's error (``None``: accepted). A failure of
        the connection itself is raised."""
        ...


class SMTPTransport:
    """Sends a batch over one SMTP connection."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host = config["MAIL_HOST"]
        self.port = int(config["MAIL_PORT"])
        self.security = config.get("MAIL_SECURITY", "none")
        self.username = config.get("MAIL_USERNAME") or ""
        self.password = config.get("MAIL_PASSWORD") or ""
        self.timeout = int(config.get("MAIL_TIMEOUT", 20))

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            conn.starttls(context=ssl.create_default_context())
        return conn

    def send_many(self, messages: Sequence[EmailMessage]) -> None:
        if not messages:
            return
        with self._connect() as conn:
            if self.username:
                conn.login(self.username, self.password)
            for msg in messages:
                conn.send_message(msg)

    def send_each(self, messages: Sequence[EmailMessage]) -> Iterator[BaseException | None]:
        if not messages:
            return
        with self._connect() as conn:
            if self.username:
                conn.login(self.username, self.password)
            for msg in messages:
                try:
                    refused = conn.send_message(msg)
                except smtplib.SMTPRecipientsRefused as exc:
                    code, reply = next(iter(exc.recipients.values()))
                    yield Refused(code, reply.decode(errors="replace"))
                except smtplib.SMTPServerDisconnected:
                    raise
                except smtplib.SMTPResponseException as exc:
                    error = exc.smtp_error
                    text = error.decode(errors="replace") if isinstance(error, bytes) else error
                    yield Refused(exc.smtp_code, str(text))
                else:
                    if refused:  # one address of several refused (we send one per message)
                        code, reply = next(iter(refused.values()))
                        yield Refused(code, reply.decode(errors="replace"))
                    else:
                        yield None


class FileTransport:
    """Writes each message as an .eml file (the embedded default: nothing leaves the machine)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.folder = Path(config["MAIL_OUTBOX_DIR"])

    def send_many(self, messages: Sequence[EmailMessage]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for msg in messages:
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
            path = self.folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            path.write_bytes(bytes(msg))

    def send_each(self, messages: Sequence[EmailMessage]) -> Iterator[BaseException | None]:
        for msg in messages:
            self.send_many([msg])
            yield None


def get_transport(config: dict[str, Any] | None = None) -> Transport:
    config = config if config is not None else dict(current_app.config)
    kind = config.get("MAIL_TRANSPORT", "file")
    if kind == "smtp":
        return SMTPTransport(config)
    if kind == "file":
        return FileTransport(config)
    raise ValueError(f"unknown MAIL_TRANSPORT {kind!r}")


def send_after_commit(mail: Mail, *, source: str | None = None) -> None:
    """Write ``mail`` to the outbox in the current transaction; it is delivered once that
    transaction commits (and never if it, or the SAVEPOINT it was written in, rolls back).

    ``source`` names what caused it: one message per source and address (a second one is
    ignored), so a retried task or a double click does not email twice.
    """
    from competitions.core.outbox import OutboxMessage
    from competitions.extensions import db

    session = db.session()
    if source is not None:
        pending = any(
            isinstance(o, OutboxMessage) and o.source == source and o.to_address == mail.to
            for o in session.new
        )
        exists = pending or session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.source == source, OutboxMessage.to_address == mail.to
            )
        )
        if exists:
            log.info("outbox: %s to %s already written", source, mail.to)
            return
    row = OutboxMessage(
        source=source,
        to_address=mail.to,
        sender=mail.sender,
        subject=mail.subject,
        text_body=mail.text,
        html_body=mail.html,
        headers=dict(mail.headers),
    )
    session.add(row)
    written: list[OutboxMessage] | None = session.info.get(_QUEUE_KEY)
    if written is None:
        written = session.info[_QUEUE_KEY] = []

        def kick() -> None:
            rows = session.info.pop(_QUEUE_KEY, [])
            ids = [key[0] for key in (inspect(r).identity for r in rows) if key is not None]
            if ids:
                from competitions.core.outbox import kick as wake

                wake(ids)

        after_commit.run_after_commit(kick, session=session)
    written.append(row)


@event.listens_for(Session, "after_soft_rollback")
def _drop_batch(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_QUEUE_KEY, None)


def send_now(mails: Iterable[Mail]) -> None:
    """Deliver ``mails`` immediately through the configured transport (no ledger: for tools
    and checks; the application writes to the outbox with ``send_after_commit``)."""
    sender = current_app.config["MAIL_FROM"]
    messages = [build_message(m, sender) for m in mails]
    if messages:
        get_transport().send_many(messages)


def format_address(name: str, email: str) -> str:
    local, _, domain = email.partition("@")
    return str(Address(display_name=name, username=local, domain=domain))
