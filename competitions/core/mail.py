"""The one mail transport: SMTP (production, tests) or .eml files (embedded default).

Mail that a request decides to send is written to the outbox (``core.outbox``) in the same
transaction and handed to the transport only after that transaction commits, so a rolled-back
change never emails anyone and a commit never loses its email.
"""

from __future__ import annotations

import binascii
import io
import logging
import re
import secrets
import smtplib
import ssl
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from competitions.core import after_commit, clock, headers
from competitions.core.text import one_line, text_block

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

    ``subject`` may be a lazy string; it is resolved in ``lang`` too. Whatever went into it
    (a title stored before titles were cleaned), the subject is one line and the bodies hold
    no control character but line breaks and tabs: a line break in a header would make the
    message unsendable, and PostgreSQL refuses a NUL in the outbox's text columns.
    """
    with force_locale(lang):
        text = render_template(f"emails/{template}.txt", lang=lang, **context)
        html: str | None
        try:
            html = text_block(render_template(f"emails/{template}.html", lang=lang, **context))
        except Exception as exc:  # template missing: text-only mail
            if type(exc).__name__ != "TemplateNotFound":
                raise
            html = None
        return Mail(to=to, subject=one_line(str(subject)), text=text_block(text), html=html)


def build_message(mail: Mail, default_sender: str, message_id: str | None = None) -> EmailMessage:
    """``message_id`` (the left part): the same for every attempt at one outbox row, so that a
    copy resent after a crash is recognised as the same message by mail clients."""
    msg = EmailMessage(policy=headers.POLICY)
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


@dataclass(frozen=True)
class Wire:
    """A message as it goes to the SMTP server: the envelope and the RFC 5322 bytes."""

    sender: str
    recipients: list[str]
    data: bytes
    options: tuple[str, ...] = ()


# The outbox sends thousands of messages a minute: building each with ``EmailMessage`` (header
# objects, ``set_content``, the generator) costs about 1.5 ms, more than the SMTP exchange, so
# ``wire_message`` assembles the same message as bytes. What it cannot write plainly (non-ASCII
# or long headers, display names) goes through the email package's own folding, cached: such
# values (subject, sender) are the same for every recipient of one announcement copy.
_FOLD = headers.WIRE
_PLAIN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*\Z")  # printable ASCII, single spaces
_ADDR_SPEC = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")
_ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender"}
_MAX_LINE = 78  # RFC 5322's "SHOULD" (998 is its "MUST")


@lru_cache(maxsize=2048)
def _folded(name: str, value: str) -> bytes:
    return _FOLD.header_factory(name, value).fold(policy=_FOLD).encode("ascii")


def _header(name: str, value: str) -> bytes:
    """``Name: value`` CRLF, as the email package would fold it; a value with a line break is
    refused (``ValueError``, as ``EmailMessage`` does): it would inject headers."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"Header values may not contain linefeed or carriage return: {name}")
    if name.lower() in _ADDRESS_HEADERS:
        if _ADDR_SPEC.match(value):  # a bare address: written as is
            return f"{name}: {value}\r\n".encode("ascii")
    elif _PLAIN.match(value):
        size = len(name) + 2 + len(value)
        # One long word (an unsubscribe URL) cannot be folded; the email package would turn it
        # into RFC 2047 encoded words, which a URL header (RFC 2369) must not contain.
        if size <= _MAX_LINE or (" " not in value and size <= 998):
            return f"{name}: {value}\r\n".encode("ascii")
    return _folded(name, value)


def _part(text: str) -> tuple[bytes, bytes]:
    """A text body as ``set_content`` would store it (line breaks normalised, a final one),
    answering (Content-Transfer-Encoding, encoded CRLF bytes): 7bit when it is ASCII with short
    lines, else quoted-printable (7-bit safe, needs no 8BITMIME)."""
    lines = text.encode("utf-8").splitlines()
    data = b"\r\n".join(lines) + b"\r\n"
    if data.isascii() and max(map(len, lines), default=0) <= _MAX_LINE:
        return b"7bit", data
    return b"quoted-printable", binascii.b2a_qp(data, istext=True)


def _text_headers(subtype: bytes, cte: bytes) -> bytes:
    return (
        b"Content-Type: text/" + subtype + b'; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: " + cte + b"\r\n"
    )


@lru_cache(maxsize=256)
def _envelope_sender(header: str) -> str:
    return getaddresses([header])[0][1]


def wire_message(mail: Mail, default_sender: str, message_id: str | None = None) -> Wire:
    """The message ``build_message`` builds, as ``smtplib``'s ``send_message`` would send it
    (envelope from the From/Sender, To, Cc and Bcc headers; Bcc not written), about twenty
    times cheaper. Addresses that need SMTPUTF8 take the email package's way."""
    sender = mail.sender or default_sender
    headers = {"From": sender, "To": mail.to, "Subject": mail.subject}
    headers["Date"] = format_datetime(clock.now())
    domain = default_sender.rsplit("@", 1)[-1].strip(">") or "tandem.localhost"
    headers["Message-ID"] = f"<{message_id}@{domain}>" if message_id else make_msgid(domain=domain)
    extra = {k.lower(): v for k, v in mail.headers.items()}
    if any(k in extra for k in ("from", "to", "subject", "date", "message-id")):
        return _wire_of(build_message(mail, default_sender, message_id))
    headers.update(mail.headers)
    envelope_from = _envelope_sender(extra.get("sender", sender))
    if _ADDR_SPEC.match(mail.to) and not ({"cc", "bcc"} & extra.keys()):
        recipients = [mail.to]
    else:  # in send_message's order: To, Bcc, Cc
        fields = [mail.to, *(extra[k] for k in ("bcc", "cc") if k in extra)]
        recipients = [a for _name, a in getaddresses(fields)]
    if not (envelope_from.isascii() and all(r.isascii() for r in recipients)):
        return _wire_of(build_message(mail, default_sender, message_id))
    out = [_header(k, v) for k, v in headers.items() if k.lower() not in ("bcc", "resent-bcc")]
    out.append(b"MIME-Version: 1.0\r\n")
    cte, text = _part(mail.text)
    if not mail.html:
        out += [_text_headers(b"plain", cte), b"\r\n", text]
    else:
        html_cte, html = _part(mail.html)
        boundary = b"=_" + secrets.token_hex(16).encode()
        while b"--" + boundary in text or b"--" + boundary in html:  # pragma: no cover
            boundary = b"=_" + secrets.token_hex(16).encode()
        delimiter = b"\r\n--" + boundary + b"\r\n"
        out += [
            b'Content-Type: multipart/alternative;\r\n boundary="' + boundary + b'"\r\n\r\n',
            b"--" + boundary + b"\r\n" + _text_headers(b"plain", cte) + b"\r\n",
            text,
            delimiter + _text_headers(b"html", html_cte) + b"\r\n",
            html,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    return Wire(envelope_from, recipients, b"".join(out))


def _wire_of(msg: EmailMessage) -> Wire:
    """What ``smtplib.SMTP.send_message`` sends for ``msg`` (the slow, general way)."""
    sender = msg["Sender"] or msg["From"]
    from_addr = getaddresses([str(sender)])[0][1]
    fields = [str(v) for name in ("To", "Bcc", "Cc") for v in msg.get_all(name, [])]
    recipients = [a for _name, a in getaddresses(fields)]
    del msg["Bcc"]
    del msg["Resent-Bcc"]
    international = not (from_addr.isascii() and all(r.isascii() for r in recipients))
    buffer = io.BytesIO()
    if international:
        BytesGenerator(buffer, policy=policy.SMTPUTF8).flatten(msg, linesep="\r\n")
        return Wire(from_addr, recipients, buffer.getvalue(), ("SMTPUTF8", "BODY=8BITMIME"))
    BytesGenerator(buffer).flatten(msg, linesep="\r\n")
    return Wire(from_addr, recipients, buffer.getvalue())


class Refused(smtplib.SMTPException):
    """The server refused one message (``smtp_code`` 4xx: try again later; 5xx: never)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.smtp_code = code


class Unsendable(Exception):
    """This message cannot be sent as it is (never tried again); the connection is fine."""


class Transport(Protocol):
    def send_many(self, messages: Sequence[EmailMessage]) -> None: ...

    def send_each(self, messages: Sequence[Wire]) -> Iterator[BaseException | None]:
        """Send one by one, answering each message's error (``None``: accepted) as soon as the
        server answered it. A failure of the connection itself is raised (``OSError`` or
        ``smtplib.SMTPException``); any other exception raised is the message's own."""
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

    def _open(self) -> smtplib.SMTP:
        conn = self._connect()
        try:
            if self.username:
                conn.login(self.username, self.password)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        """A connection, signed in when a user name is configured, closed on leaving. Failing
        to open it is a failure of the connection (``SMTPException``) whatever raised it (a
        setting smtplib cannot use, say), never the fault of the message to be sent first."""
        try:
            conn = self._open()
        except (OSError, smtplib.SMTPException):
            raise
        except Exception as exc:
            raise smtplib.SMTPException(f"cannot open an SMTP session: {exc}") from exc
        with conn:
            yield conn

    def send_many(self, messages: Sequence[EmailMessage]) -> None:
        if not messages:
            return
        with self._session() as conn:
            for msg in messages:
                conn.send_message(msg)

    def send_each(self, messages: Sequence[Wire]) -> Iterator[BaseException | None]:
        if not messages:
            return
        with self._session() as conn:
            for msg in messages:
                try:
                    refused = conn.sendmail(msg.sender, msg.recipients, msg.data, msg.options)
                except smtplib.SMTPRecipientsRefused as exc:
                    code, reply = next(iter(exc.recipients.values()))
                    yield Refused(code, reply.decode(errors="replace"))
                except smtplib.SMTPServerDisconnected:
                    raise
                except smtplib.SMTPResponseException as exc:
                    error = exc.smtp_error
                    text = error.decode(errors="replace") if isinstance(error, bytes) else error
                    yield Refused(exc.smtp_code, str(text))
                except (smtplib.SMTPNotSupportedError, ValueError) as exc:
                    # smtplib refused it before sending it (an extension the server lacks, a
                    # command it cannot encode): this message only; the session starts over.
                    conn.rset()
                    yield Unsendable(f"{type(exc).__name__}: {exc}")
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

    def send_each(self, messages: Sequence[Wire]) -> Iterator[BaseException | None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        for msg in messages:
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
            path = self.folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            path.write_bytes(msg.data.replace(b"\r\n", b"\n"))  # as send_many writes them
            yield None


def get_transport(config: dict[str, Any] | None = None) -> Transport:
    config = config if config is not None else dict(current_app.config)
    kind = config.get("MAIL_TRANSPORT", "file")
    if kind == "smtp":
        return SMTPTransport(config)
    if kind == "file":
        return FileTransport(config)
    raise ValueError(f"unknown MAIL_TRANSPORT {kind!r}")


def send_after_commit(mail: Mail, *, source: str | None = None, new_source: bool = False) -> None:
    """Write ``mail`` to the outbox in the current transaction; it is delivered once that
    transaction commits (and never if it, or the SAVEPOINT it was written in, rolls back).

    ``source`` names what caused it: one message per source and address (a second one is
    ignored), so a retried task or a double click does not email twice. ``new_source``: the
    source was created in this same transaction (e.g. a new version's id), so no earlier
    message can exist and the lookup is skipped (the unique constraint still holds).
    """
    from competitions.core.extensions import db
    from competitions.core.outbox import OutboxMessage

    session = db.session()
    if source is not None:
        pending = any(
            isinstance(o, OutboxMessage) and o.source == source and o.to_address == mail.to
            for o in session.new
        )
        exists = pending or (
            not new_source
            and session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.source == source, OutboxMessage.to_address == mail.to
                )
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
