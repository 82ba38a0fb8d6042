"""The judging console of a challenge (its rounds' stages, panels and tracks), and what every
judging template is given: labels of the statuses and kinds, ``can_view_judging``."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.judging import bp, permissions, rubrics
from competitions.judging.forms import StageForm
from competitions.judging.views.pages import judging_challenge
from competitions.judging.views.panels import SHARED_PANEL


@bp.app_template_global()
def can_view_judging(user: object, challenge: Challenge) -> bool:
    return permissions.can_view_judging(user, challenge)


@bp.route("/challenges/<slug>/judging")
@login_required
def console(slug: str) -> ResponseReturnValue:
    challenge = judging_challenge(slug)
    lang = current_language()
    tracks = [t for t in challenge.tracks if permissions.can_view_track_judging(current_user, t)]
    can_edit = permissions.can_edit_rubric(current_user, challenge)
    panel_keys = [(t.slug, _("Panel of %(track)s", track=t.name_in(lang))) for t in tracks]
    if can_edit or tracks:
        panel_keys.append((SHARED_PANEL, _("Shared panel (all tracks)")))
    stages = {r.id: rubrics.stages_of(r) for r in challenge.rounds}
    db.session.commit()  # first stages, created on first view
    return render_template(
        "judging/console.html",
        challenge=challenge,
        stages=stages,
        stage_form=StageForm(formdata=None),
        panel_keys=panel_keys,
        tracks=tracks,
        can_edit=can_edit,
        lang=lang,
    )


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "review_labels": {
            "new": _("Not started"),
            "draft": _("Draft"),
            "submitted": _("Submitted"),
        },
        "flag_labels": {
            "ineligible": _("Possibly ineligible"),
            "plagiarism": _("Possible plagiarism"),
            "other": _("Something else"),
        },
        "leniency_labels": {
            "lenient": _("lenient"),
            "severe": _("severe"),
            "typical": _("typical"),
        },
        "scope_labels": {
            "all": _("Each track's panel and the shared panel"),
            "tracks": _("Each track's own panel only"),
            "shared": _("The shared cross-track panel only"),
        },
        "conflict_sources": {
            "declared": _("declared by the judge"),
            "recused": _("judge stepped back"),
            "member": _("judge is on the team"),
            "organisation": _("same organisation"),
            "email_domain": _("same email domain"),
            "admin": _("recorded by an admin"),
        },
    }
