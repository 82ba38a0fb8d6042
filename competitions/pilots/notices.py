"""Pilot reminders, sent by a beat tick (``run_due``), each once.

* **Status updates:** the team of an active pilot is reminded to post one when its last update
  (or the pilot's start) is ``UPDATE_EVERY`` old — once per period.
* **Milestones:** the team and the host's admins are reminded ``BEFORE_DUE`` days before a
  milestone not signed off is due, and ``AFTER_DUE`` day after it, while still not signed off.

Once: every message has a source key (``pilot:<id>:update:<period>``,
``pilot-milestone:<id>:before|after``) and the outbox keeps one message per source and address
(a unique constraint), so a second tick, a second beat process or a retried task sends nothing
twice. A pilot that fails is logged and tried again at the next tick.
"""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy import func, select

from competitions.core import clock
from competitions.core.extensions import db
from competitions.core.locks import tick_lock
from competitions.core.periodic import isolated
from competitions.core.translate import gettext as _
from competitions.pilots import services
from competitions.pilots.models import Pilot, PilotStatus, PilotUpdate


def run_due(today: date | None = None) -> int:
    """One tick at a time across processes (a second beat process skips its tick)."""
    with tick_lock("pilots.reminders") as mine:
        return _run_due(today) if mine else 0


def _run_due(today: date | None) -> int:
    today = today or clock.now().date()
    sent = 0
    last_update = dict(
        db.session.execute(
            select(PilotUpdate.pilot_id, func.max(PilotUpdate.posted_at)).group_by(
                PilotUpdate.pilot_id
            )
        ).all()
    )
    pilots = db.session.scalars(
        select(Pilot).where(Pilot.status == PilotStatus.ACTIVE).order_by(Pilot.id)
    ).all()
    for pilot in pilots:
        with isolated("pilots.reminders", f"pilot {pilot.id}"):
            sent += _remind(pilot, today, last_update.get(pilot.id))
            db.session.commit()
    return sent


def _remind(pilot: Pilot, today: date, last: object) -> int:
    sent = 0
    since = last.date() if last is not None else pilot.starts_on  # type: ignore[attr-defined]
    every = services.UPDATE_EVERY.days
    if today >= pilot.starts_on and (today - since).days >= every:
        period = (today - pilot.starts_on).days // every
        sent += services.send(
            pilot,
            services.team_users(pilot),
            "pilots/update_reminder",
            lambda: _("Post a status update on your pilot at %(host)s", host=pilot.host.name),
            source=f"pilot:{pilot.id}:update:{period}",
        )
    for m in pilot.milestones:
        if m.is_signed_off:
            continue
        days = (m.due_on - today).days
        if 0 <= days <= services.BEFORE_DUE:
            when = "before"
        elif days <= -services.AFTER_DUE:
            when = "after"
        else:
            continue
        users = services.team_users(pilot) + services.host_admins(pilot)
        sent += services.send(
            pilot,
            users,
            "pilots/milestone_reminder",
            functools.partial(_milestone_subject, m.title, when == "after"),
            source=f"pilot-milestone:{m.id}:{when}",
            milestone=m,
            overdue=when == "after",
        )
    return sent


def _milestone_subject(title: str, overdue: bool) -> str:
    if overdue:
        return _("Pilot milestone overdue: %(title)s", title=title)
    return _("Pilot milestone due soon: %(title)s", title=title)
