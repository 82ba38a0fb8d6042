"""The judging console of a challenge (its rounds' stages, panels and tracks), and what every
judging template is given: labels of the statuses and kinds, ``can_view_judging``."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.i18n import current_language
from competitions.core.translate import gettext as _
from competitions.judging import bp, permissions, rubrics
from competitions.judging.forms import StageForm
from competitions.judging.leniency import Leniency
from competitions.judging.models import ConflictSource, FlagKind, PanelScope, ReviewProgress
from competitions.judging.views.pages import judging_challenge
from competitions.judging.views.panels import SHARED_PANEL


@bp.app_template_global()
def can_view_judging(user: object, challenge: Challenge) -> bool:
    return permissions.can_view_judging(user, challenge)


@bp.signed_in("/challenges/<slug>/judging")
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
        stage_form=StageForm(formdata=None, content_languages=challenge.declared_languages),
        panel_keys=panel_keys,
        tracks=tracks,
        assignable=[t for t in tracks if permissions.can_assign(current_user, t)],
        can_edit=can_edit,
        lang=lang,
    )


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "review_labels": {
            ReviewProgress.NEW: _("Not started"),
            ReviewProgress.DRAFT: _("Draft"),
            ReviewProgress.SUBMITTED: _("Submitted"),
        },
        "flag_labels": {
            FlagKind.INELIGIBLE: _("Possibly ineligible"),
            FlagKind.PLAGIARISM: _("Possible plagiarism"),
            FlagKind.OTHER: _("Something else"),
        },
        "leniency_labels": {
            Leniency.LENIENT: _("lenient"),
            Leniency.SEVERE: _("severe"),
            Leniency.TYPICAL: _("typical"),
        },
        "scope_labels": {
            PanelScope.ALL: _("Each track's panel and the shared panel"),
            PanelScope.TRACKS: _("Each track's own panel only"),
            PanelScope.SHARED: _("The shared cross-track panel only"),
        },
        "conflict_sources": {
            ConflictSource.DECLARED: _("declared by the judge"),
            ConflictSource.RECUSED: _("judge stepped back"),
            ConflictSource.MEMBER: _("judge is on the team"),
            ConflictSource.ORGANISATION: _("same organisation"),
            ConflictSource.EMAIL_DOMAIN: _("same email domain"),
            ConflictSource.ADMIN: _("recorded by an admin"),
        },
    }
