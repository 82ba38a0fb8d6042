"""What this transaction already read about an entry in a round.

A final submission saves the draft, then submits it (in a SAVEPOINT), in one transaction.
What the first step read — whether the entry takes part in the round, its extension, the
submission row it locked and its draft files — is kept for the second here, so that the
instant that counts is reached with fewer round trips. Forgotten when any transaction ends,
a SAVEPOINT included (what was read or written in a rolled-back one is not to be trusted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from competitions.challenges.models import Round
from competitions.core.extensions import db
from competitions.entries.models import Entry

_FACTS = "tandem_submission_facts"


def of(entry: Entry, round_: Round) -> dict[str, Any]:
    """What is known about the entry in the round, in this transaction (a dict to fill)."""
    known: dict[tuple[int, int], dict[str, Any]] = db.session.info.setdefault(_FACTS, {})
    return known.setdefault((entry.id, round_.id), {})


def remembered(entry: Entry, round_: Round, key: str, read: Callable[[], Any]) -> Any:
    """``read()`` once per transaction for this entry and round."""
    known = of(entry, round_)
    if key not in known:
        known[key] = read()
    return known[key]


@event.listens_for(Session, "after_transaction_end")
def _forget_facts(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None or transaction.nested:  # not a flush's own subtransaction
        session.info.pop(_FACTS, None)
