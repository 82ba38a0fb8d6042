"""``mail.wire_message`` assembles the bytes the outbox sends without ``EmailMessage`` (which
costs more than the SMTP exchange): parsed back, they must say what ``build_message`` says —
the same headers, the same parts and texts, the same envelope as ``smtplib``'s
``send_message`` — and be valid on the wire (CRLF lines, 7-bit, at most 998 characters)."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from competitions.core import mail

SENDER = "Tandem <noreply@tandem.test>"
LINK = "https://tandem.test/outreach/unsubscribe/" + "eyJpIjoxMjM0NSwibiI6ImFiYyJ9." * 4
UNSUBSCRIBE = {
    "List-Unsubscribe": f"<{LINK}>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}
FRENCH = (
    "L'échéance passe au **1er juin**.\n\n--\nVolet 1\nAgence de l'innovation\n"
    "https://tandem.test/c/diffusion\n\n"
    "Vous recevez ceci parce que vous suivez ou participez à Diffusion.\n"
    f"Arrêter ces courriels : {LINK}\n"
)

CASES: dict[str, mail.Mail] = {
    "text only, ASCII": mail.Mail(to="a@example.org", subject="Hello", text="Body\n"),
    "announcement copy in French": mail.Mail(
        to="r1-abc@fan.example",
        subject="Échéance déplacée",
        text=FRENCH,
        html=f'<p>L\'échéance passe au <strong>1er juin</strong>.</p>\n<a href="{LINK}">x</a>\n',
        headers=dict(UNSUBSCRIBE),
        sender="Agence de l'innovation via Tandem <noreply@tandem.test>",
    ),
    "English copy, sender name with a comma": mail.Mail(
        to="b@example.org",
        subject="Deadline moved",
        text="The deadline moved to **1 June**.\n\n" + "Stop these emails: " + LINK + "\n",
        html="<p>The deadline moved.</p>",
        headers=dict(UNSUBSCRIBE),
        sender='"Agency, Inc. via Tandem" <noreply@tandem.test>',
    ),
    "long non-ASCII subject, display-name recipient, odd line breaks": mail.Mail(
        to="Élodie Dupont <elodie@example.org>",
        subject="Rappel : " + "l'échéance de la phase 1 approche à grands pas " * 3,
        text="Windows\r\nline\rbreaks\n\n  trailing spaces  \n.leading dot\nno final break",
        html="<p>" + "é" * 300 + "</p>",
    ),
    "no text at all": mail.Mail(to="c@example.org", subject="Empty", text=""),
    "carbon copies": mail.Mail(
        to="d@example.org",
        subject="Copies",
        text="x",
        headers={"Cc": "e@example.org, Fay <f@example.org>", "Bcc": "g@example.org"},
    ),
}


def sent_by_smtplib(msg: EmailMessage) -> tuple[str, list[str], bytes]:
    """What ``smtplib.SMTP.send_message`` would hand to ``sendmail`` (the previous path)."""
    captured: list[tuple[str, list[str], bytes]] = []

    class Recorder(smtplib.SMTP):
        def ehlo_or_helo_if_needed(self) -> None:
            pass

        def sendmail(self, from_addr: str, to_addrs: Any, msg: Any, *args: Any, **kw: Any) -> Any:
            captured.append((from_addr, list(to_addrs), msg))
            return {}

    Recorder().send_message(msg)
    return captured[0]


def parts(msg: Any) -> list[tuple[str, str, str]]:
    found = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        # Line breaks are CRLF on the wire; how the parser gives them back depends on the
        # transfer encoding (quoted-printable keeps CRLF, base64 and 7bit give LF).
        text = part.get_content().replace("\r\n", "\n")
        found.append((part.get_content_type(), part.get_content_charset(), text))
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_the_wire_bytes_say_what_the_email_package_would_send(case, clock):
    letter = CASES[case]
    wire = mail.wire_message(letter, SENDER, message_id="outbox.7.20260601120000")
    before_from, before_to, before = sent_by_smtplib(
        mail.build_message(letter, SENDER, message_id="outbox.7.20260601120000")
    )
    assert (wire.sender, wire.recipients, wire.options) == (before_from, before_to, ())
    new = message_from_bytes(wire.data, policy=policy.default)
    old = message_from_bytes(before, policy=policy.default)
    assert sorted(k.lower() for k in new) == sorted(k.lower() for k in old)
    for name in {k for k in old if k.lower() not in ("content-type", "mime-version")}:
        assert str(new[name]) == str(old[name]), name
    assert "Bcc" not in new and "Bcc" not in old
    assert new["MIME-Version"] == "1.0"
    assert new.get_content_type() == old.get_content_type()
    assert parts(new) == parts(old)
    assert new.defects == [] and all(p.defects == [] for p in new.walk())
    # Valid on the wire without 8BITMIME: CRLF line ends only, 7-bit, no line over 998.
    assert wire.data.isascii()
    assert b"\n" not in wire.data.replace(b"\r\n", b"")
    assert b"\r" not in wire.data.replace(b"\r\n", b"")
    assert max(len(line) for line in wire.data.split(b"\r\n")) <= 998


def test_the_headers_come_in_the_same_order(clock):
    letter = CASES["announcement copy in French"]
    wire = mail.wire_message(letter, SENDER, message_id="outbox.7.x")
    new = message_from_bytes(wire.data, policy=policy.default)
    assert list(new.keys()) == [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "MIME-Version",
        "Content-Type",
    ]
    assert new["Message-ID"] == "<outbox.7.x@tandem.test>"


def test_a_long_unsubscribe_url_stays_a_url(clock):
    """RFC 2369: the header holds <URL>s. The email package folds a long one into RFC 2047
    encoded words (which mail clients do not decode there); the wire keeps it on one line."""
    letter = CASES["announcement copy in French"]
    wire = mail.wire_message(letter, SENDER, message_id="outbox.7.x")
    assert f"\r\nList-Unsubscribe: <{LINK}>\r\n".encode() in wire.data


def test_the_body_of_each_part_is_encoded_once_and_decodes_exactly(clock):
    letter = CASES["announcement copy in French"]
    new = message_from_bytes(
        mail.wire_message(letter, SENDER, message_id="m").data, policy=policy.default
    )
    text = new.get_body(preferencelist=("plain",))
    html = new.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content().replace("\r\n", "\n") == FRENCH
    assert html.get_content().replace("\r\n", "\n") == letter.html


def test_a_line_break_in_a_header_is_refused(clock):
    with pytest.raises(ValueError):
        mail.wire_message(
            mail.Mail(to="a@example.org", subject="Hi\r\nBcc: evil@example.org", text="x"),
            SENDER,
        )


def test_addresses_that_need_smtputf8_take_the_email_package_way(clock):
    letter = mail.Mail(to="josé@exemple.fr", subject="Bonjour", text="Salut")
    wire = mail.wire_message(letter, SENDER, message_id="m")
    assert wire.recipients == ["josé@exemple.fr"]
    assert wire.options == ("SMTPUTF8", "BODY=8BITMIME")
    assert message_from_bytes(wire.data, policy=policy.default)["To"] == "josé@exemple.fr"


def _decoded(raw: bytes, name: str) -> str:
    """The header as RFC 2047 reads it (``email.header``), not as Python's parser does."""
    from email import message_from_bytes as parse
    from email import policy as policies
    from email.header import decode_header, make_header

    value = parse(raw, policy=policies.compat32)[name]
    return str(make_header(decode_header(value.replace("\r\n", ""))))


def _every_message_of_both_languages() -> list[str]:
    from babel.messages.pofile import read_po

    from tests.core.test_translations import PO

    with PO.open("rb") as fh:
        catalog = read_po(fh)
    texts = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts += [*ids, *strings]
    return texts


def test_every_subject_decodes_to_what_was_written_in_both_languages(clock):
    """CPython folds a subject that mixes plain and encoded words so that a space is lost or
    added ("un défimené"): each message of the catalog, in English and in French, after agency
    names of every length, must decode with ``email.header`` to exactly what was written."""
    from competitions.core.text import one_line

    names = [
        "NASA",
        "Agence spatiale canadienne",
        "Ministère de l\u2019Économie et de l\u2019Innovation",
    ]
    wrong = []
    for text in _every_message_of_both_languages():
        for name in names:
            subject = one_line(f"{name} — {text}")[:300]
            letter = mail.Mail(to="a@example.org", subject=subject, text="x")
            wire = mail.wire_message(letter, SENDER, message_id="m")
            if _decoded(wire.data, "Subject") != subject:
                wrong.append(subject)
            lines = wire.data.split(b"\r\n\r\n")[0].split(b"\r\n")
            assert max(len(line) for line in lines) <= 78 or b" " not in max(lines, key=len)
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    "name",
    [
        "Agência Espacial Brasileira, défi mené à deux via Tandem",
        "Ministère de l\u2019Économie et de l\u2019Innovation du Québec via Tandem",
        "Élodie",
    ],
)
def test_a_display_name_decodes_to_what_was_written(name, clock):
    from email.headerregistry import Address

    sender = str(Address(display_name=name, addr_spec="noreply@tandem.test"))
    letter = mail.Mail(to="a@example.org", subject="Hi", text="x", sender=sender)
    for wire in (
        mail.wire_message(letter, SENDER, message_id="m"),
        mail._wire_of(mail.build_message(letter, SENDER, message_id="m")),
    ):
        decoded = _decoded(wire.data, "From")
        assert decoded.endswith(" <noreply@tandem.test>")
        assert decoded.removesuffix(" <noreply@tandem.test>").strip('"') == name
