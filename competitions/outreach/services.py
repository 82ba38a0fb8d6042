"""Subscribers: following a challenge with double opt-in, preferences and one-click
unsubscribe (RFC 8058).

Every link for a subscription is a signed token naming it and its current nonce. The
confirmation link expires; the unsubscribe and preferences links do not (an old email must
still let its reader stop the emails), and asking again issues a new nonce.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from competitions.accounts.models import normalize_email
from competitions.accounts.services import check_email
from competitions.challenges.models import Challenge
from competitions.challenges.services import get_challenge
from competitions.core import audit, clock, mail, tokens
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.outreach.models import Subscription, SubscriptionStatus

PURPOSE = "subscription"
NEVER = 60 * 60 * 24 * 365 * 20  # unsubscribe links keep working
RESEND_AFTER = timedelta(minutes=2)


class LinkExpired(DomainError):
    """A confirmation link too old to use (the page says so and how to ask again)."""


def published_challenge(slug: str) -> Challenge:
    """The challenge of a public outreach page: one that is published (else ``NotFound``)."""
    challenge = get_challenge(slug)
    if not challenge.is_published:
        raise NotFound(_("No such challenge."))
    return challenge


def link_token(sub: Subscription) -> str:
    return tokens.make_token(PURPOSE, {"i": sub.id, "n": sub.nonce})


def from_token(token: str, max_age: int = NEVER) -> Subscription:
    """The subscription a link names: ``NotFound`` for a link that is not valid,
    ``LinkExpired`` for a confirmation link that is too old."""
    expired = LinkExpired(
        _("This confirmation link has expired. Ask to follow the challenge again.")
    )
    invalid = NotFound(_("This link is not valid."))
    sub, data = tokens.linked_row(
        PURPOSE, token, max_age, Subscription, "i", expired=expired, invalid=invalid
    )
    if sub is None or sub.nonce != data.get("n"):
        raise NotFound(_("This link is not valid any more: use the one in the latest email."))
    return sub


def _language(lang: str) -> str:
    return lang if lang in languages() else languages()[0]


def unsubscribe_headers(sub: Subscription) -> dict[str, str]:
    """The headers that let mail clients offer one-click unsubscribe (RFC 2369 + RFC 8058)."""
    url = external_url("outreach.unsubscribe", token=link_token(sub))
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def follow(actor: Actor, challenge: Challenge, email: str, lang: str) -> None:
    """Ask to follow ``challenge``. The answer and the page are the same whether or not the
    address already follows it (no enumeration); the email says which."""
    if not challenge.is_published:
        raise NotFound(_("No such challenge."))
    display, normalized = check_email(email)
    lang = _language(lang)
    now = clock.now()
    sub = db.session.scalar(
        select(Subscription).where(
            Subscription.challenge_id == challenge.id,
            Subscription.email_normalized == normalized,
        )
    )
    if sub is not None and now - sub.requested_at < RESEND_AFTER:
        return  # asked a moment ago: one email is enough
    if sub is None:
        sub = Subscription(
            challenge=challenge,
            email=display,
            email_normalized=normalized,
            language=lang,
            nonce=tokens.new_nonce(),
        )
        db.session.add(sub)
        db.session.flush()
    sub.requested_at = now
    if sub.status == SubscriptionStatus.ACTIVE:
        _send(sub, "outreach/already_following", _l("You already follow %(title)s"))
        return
    sub.status = SubscriptionStatus.PENDING.value
    sub.language = lang
    sub.nonce = tokens.new_nonce()  # older confirmation links stop working
    audit.record(actor, "subscription.requested", obj=sub, after={"language": lang})
    _send(sub, "outreach/confirm", _l("Confirm that you want to follow %(title)s"))


def _send(sub: Subscription, template: str, subject: object, **extra: object) -> None:
    lang = sub.language
    title = sub.challenge.title_in(lang)
    token = link_token(sub)
    mail.send_after_commit(
        mail.render_mail(
            template,
            sub.email,
            lang,
            LazyFormat(subject, title=title),
            title=title,
            confirm_link=external_url("outreach.confirm", token=token),
            preferences_link=external_url("outreach.preferences", token=token),
            challenge_link=external_url("challenges.challenge_page", slug=sub.challenge.slug),
            days=current_app.config["SUBSCRIPTION_CONFIRM_MAX_AGE"] // 86400,
            **extra,
        )
    )


class LazyFormat:
    """A lazy subject formatted once the recipient's language is set (a value may be a
    callable, then called in that language too)."""

    def __init__(self, subject: object, **values: object) -> None:
        self.subject, self.values = subject, values

    def __str__(self) -> str:
        values = {k: v() if callable(v) else v for k, v in self.values.items()}
        return str(self.subject) % values


def confirm(actor: Actor, token: str) -> Subscription:
    sub = from_token(token, current_app.config["SUBSCRIPTION_CONFIRM_MAX_AGE"])
    if sub.status == SubscriptionStatus.ACTIVE:
        return sub
    if sub.status == SubscriptionStatus.UNSUBSCRIBED:
        raise DomainError(_("You stopped following this challenge; ask again to follow it."))
    sub.status = SubscriptionStatus.ACTIVE.value
    sub.confirmed_at = clock.now()
    sub.unsubscribed_at = None
    audit.record(actor, "subscription.confirmed", obj=sub)
    mail_welcome(sub)
    return sub


def mail_welcome(sub: Subscription) -> None:
    """The first email a subscriber gets: it already carries the one-click unsubscribe."""
    lang = sub.language
    title = sub.challenge.title_in(lang)
    send_with_unsubscribe(
        sub,
        "outreach/welcome",
        sub.email,
        lang,
        LazyFormat(_l("You now follow %(title)s"), title=title),
        source=f"subscription:{sub.id}:welcome:{sub.nonce}",
        title=title,
        preferences_link=external_url("outreach.preferences", token=link_token(sub)),
        challenge_link=external_url("challenges.challenge_page", slug=sub.challenge.slug),
    )


def send_with_unsubscribe(
    sub: Subscription,
    template: str,
    to: str,
    lang: str,
    subject: LazyFormat,
    *,
    source: str,
    **context: Any,
) -> None:
    """One email to the outbox (once per ``source`` and address) that carries ``sub``'s
    one-click unsubscribe: the link in the message (``unsubscribe_link``) and the headers."""
    headers = unsubscribe_headers(sub)
    message = mail.render_mail(
        template,
        to,
        lang,
        subject,
        unsubscribe_link=headers["List-Unsubscribe"].strip("<>"),
        **context,
    )
    message.headers.update(headers)
    mail.send_after_commit(message, source=source)


def unsubscribe(actor: Actor, sub: Subscription) -> None:
    """Takes effect at once: no email of this challenge is written for the address after."""
    if sub.status != SubscriptionStatus.UNSUBSCRIBED:
        sub.status = SubscriptionStatus.UNSUBSCRIBED.value
        sub.unsubscribed_at = clock.now()
        audit.record(actor, "subscription.unsubscribed", obj=sub)


def set_language(actor: Actor, sub: Subscription, lang: str) -> None:
    if lang not in languages():
        raise DomainError(_("Choose a language."), field="language")
    if lang != sub.language:
        before = sub.language
        sub.language = lang
        audit.record(
            actor,
            "subscription.language",
            obj=sub,
            before={"language": before},
            after={"language": lang},
        )


def subscriptions_by_address(challenge: Challenge) -> tuple[dict[str, Subscription], set[str]]:
    """The challenge's subscriptions by normalized address, and the addresses that
    unsubscribed (nothing of the challenge is sent to those)."""
    subs = {
        s.email_normalized: s
        for s in db.session.scalars(
            select(Subscription).where(Subscription.challenge_id == challenge.id)
        )
    }
    gone = {k for k, s in subs.items() if s.status == SubscriptionStatus.UNSUBSCRIBED}
    return subs, gone


def active_subscribers(challenge: Challenge) -> list[Subscription]:
    """The challenge's confirmed subscribers (not the pending or unsubscribed ones)."""
    return list(
        db.session.scalars(
            select(Subscription)
            .where(
                Subscription.challenge_id == challenge.id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
            .order_by(Subscription.id)
        )
    )


def ensure_subscription(
    challenge: Challenge, email: str, lang: str, existing: Subscription | None = None
) -> Subscription:
    """The address's subscription, created for an entrant who has none (an active subscriber:
    they entered), so that their one-click unsubscribe works like everyone else's."""
    if existing is not None:
        return existing
    sub = Subscription(
        challenge=challenge,
        email=email,
        email_normalized=normalize_email(email),
        language=_language(lang),
        status=SubscriptionStatus.ACTIVE.value,
        nonce=tokens.new_nonce(),
        confirmed_at=clock.now(),
    )
    db.session.add(sub)
    db.session.flush()
    return sub
