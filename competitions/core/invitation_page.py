"""The page an invitation's link opens, the same for every kind of invitation.

The link is checked first (a clear page when it cannot be used); a visitor is asked to sign
in with the invited address; someone signed in with another address is told so; then the
addressee accepts or declines. The domain gives its form, its template and what accepting
does (``accept`` returns the confirmation to flash and where to go next).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from competitions.core import invitations
from competitions.core.errors import DomainError
from competitions.core.translate import gettext as _
from competitions.core.web import attempt, current_actor

Accept = Callable[[Any], tuple[str, str]]


def invitation_page(
    kind: invitations.InvitationKind[Any],
    token: str,
    form: FlaskForm,
    template: str,
    accept: Accept,
    *,
    prepare: Callable[[Any], str | None] | None = None,
    **context: Any,
) -> ResponseReturnValue:
    """Answer ``GET`` and ``POST`` of an invitation link.

    ``prepare(inv)`` readies the form for this invitation and its signed-in addressee (e.g.
    the agencies they could join with) and returns a reason of the domain why they cannot
    accept, if there is one; the page then shows it instead of the buttons.
    """
    try:
        inv = invitations.from_token(kind, token)
    except DomainError as err:
        return render_template("accounts/link_problem.html", message=err.message), 400
    if not current_user.is_authenticated:
        flash(
            _(
                "Sign in or create an account with %(email)s to answer this invitation.",
                email=inv.email,
            ),
            "info",
        )
        return redirect(url_for("accounts.login", next=request.path))
    reason = _wrong_addressee(inv) or (prepare(inv) if prepare else None)
    status = 200
    if request.method == "POST" and reason is None and form.validate_on_submit():
        if request.form.get("answer") == "decline":
            with attempt(success=_("You declined the invitation."), category="info") as done:
                invitations.decline(current_actor(), kind, token)
            if done:
                return redirect(url_for("core.home"))
        else:
            with attempt(form) as done:
                confirmation, target = accept(inv)
            if done:
                flash(confirmation, "success")
                return redirect(target)
        status = 400
    return render_template(template, invitation=inv, form=form, problem=reason, **context), status


def _wrong_addressee(inv: invitations.Invitation) -> str | None:
    try:
        invitations.addressee(current_actor(), inv)
    except invitations.WrongAddressee as err:
        return err.message
    return None
