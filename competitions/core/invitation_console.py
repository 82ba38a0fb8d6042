"""What every console that sends invitations does the same way: sending one from a posted
form, and withdrawing an open one, said with the same messages for every kind. (The page an
invitation's link opens is ``core.invitation_page``.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from flask_wtf import FlaskForm

from competitions.core.invitations import Invitation
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, flash_errors


def send_invitation(form: FlaskForm, invite: Callable[[str], Invitation]) -> None:
    """Send the invitation a console's form posted (``invite(email)``) and say so; a refusal
    or an invalid form is flashed."""
    if form.validate_on_submit():
        with attempt() as done:
            inv = invite(form.email.data or "")
        if done:
            flash(_("Invitation sent to %(email)s.", email=inv.email), "success")
    else:
        flash_errors(form)


def withdraw_invitation(confirm: FlaskForm, inv: Invitation, revoke: Callable[[], Any]) -> None:
    """Once ``confirm`` is posted, withdraw the open invitation ``inv`` (``revoke()``) and say
    so with its address."""
    if confirm.validate_on_submit():
        withdrawn = _("The invitation to %(email)s was withdrawn.", email=inv.email)
        with attempt(success=withdrawn, category="info"):
            revoke()
