"""The receipt a submitter gets for each version: what was received, when, its files and
their SHA-256, in the submitter's language, through the outbox with the version's commit."""

from __future__ import annotations

from competitions.accounts.models import User
from competitions.challenges.models import Round
from competitions.core import mail
from competitions.core.actor import Actor
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.entries.models import Entry
from competitions.submissions.models import SubmissionVersion


def send_receipt(actor: Actor, entry: Entry, round_: Round, version: SubmissionVersion) -> None:
    user = actor.user
    if not isinstance(user, User):
        return
    lang = user.preferred_language
    mail.send_after_commit(
        mail.render_mail(
            "submissions/receipt",
            user.email,
            lang,
            _l("Receipt: version %(n)d of your submission", n=version.number),
            entry=entry,
            round=round_,
            version=version,
            files=version.files,
            link=external_url(
                "submissions.receipt", entry_id=entry.id, round_id=round_.id, number=version.number
            ),
        ),
        source=f"submission_version:{version.id}:receipt",
        new_source=True,  # the version was inserted just before, in this transaction
    )
