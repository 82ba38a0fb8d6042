"""Questions and answers: the public Q&A of a challenge and of a track, asking, reporting an
answer, stopping the Q&A digest from its email; the agencies' queue, a question's page
(answer, publish, approve, decline, merge, hide), correcting or withdrawing a published answer
and resolving reports."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Track
from competitions.challenges.permissions import can_edit_track
from competitions.core.extensions import csrf, limiter
from competitions.core.forms import fill_per_language, per_language
from competitions.core.i18n import current_language, language_name
from competitions.core.page_cache import cached_public_page
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.translate import lazy_pgettext
from competitions.core.web import attempt, current_actor, flash_errors, guard, require
from competitions.questions import answers, bp, corrections, digest, permissions, services
from competitions.questions.forms import (
    AnswerForm,
    AskForm,
    ButtonForm,
    CorrectionForm,
    MergeForm,
    ReasonForm,
)
from competitions.questions.models import Answer, Question, QuestionStatus

SEARCH_MAX = 200


def _public_page(challenge: Challenge, track: Track | None) -> ResponseReturnValue:
    lang = current_language()
    query = request.args.get("q", "")[:SEARCH_MAX].strip()
    found = answers.published(challenge, track, query)
    return render_template(
        "questions/public.html",
        challenge=challenge,
        track=track,
        lang=lang,
        query=query,
        groups=answers.by_topic(found, lang),
        total=len(found),
        mine=services.asked_by(current_user, challenge),
        report_form=ButtonForm() if current_user.is_authenticated else None,
        statuses=STATUS_LABELS,
    )


@bp.route("/challenges/<slug>/questions")
@cached_public_page
def public(slug: str) -> ResponseReturnValue:
    challenge = challenge_services.get_visible_challenge(current_user, slug)
    return _public_page(challenge, None)


@bp.route("/challenges/<slug>/tracks/<track_slug>/questions")
@cached_public_page
def track_public(slug: str, track_slug: str) -> ResponseReturnValue:
    challenge = challenge_services.get_visible_challenge(current_user, slug)
    return _public_page(challenge, challenge_services.get_track(challenge, track_slug))


def _ask_limit() -> str:
    return str(current_app.config["RATELIMIT_ASK"])


@bp.signed_in("/challenges/<slug>/questions/ask", methods=["GET", "POST"])
@limiter.limit(_ask_limit, methods=["POST"])
def ask(slug: str) -> ResponseReturnValue:
    challenge = challenge_services.get_visible_challenge(current_user, slug)
    require(challenge.is_published, challenge)
    form = AskForm()
    lang = current_language()
    form.track.choices = [SelectChoice("", _("No track in particular (every track)"))] + [
        SelectChoice(t.slug, t.name_in(lang)) for t in challenge.tracks
    ]
    if request.method == "GET":
        form.track.data = request.args.get("track", "")
    if form.validate_on_submit():
        with attempt(form, success=_("Your question is sent to the agencies.")) as done:
            services.ask(
                current_actor(), challenge, form.track.data or "", form.body.data or "", lang
            )
        if done:
            return redirect(url_for("questions.public", slug=challenge.slug, _anchor="mine"))
    return render_template("questions/ask.html", challenge=challenge, form=form), (
        400 if form.errors else 200
    )


@bp.signed_in("/challenges/<slug>/answers/<int:answer_id>/report", methods=["POST"])
def report(slug: str, answer_id: int) -> ResponseReturnValue:
    challenge = challenge_services.get_visible_challenge(current_user, slug)
    answer = answers.get_published(challenge, answer_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with attempt(success=_("Thank you: the agency that wrote the answer will look at it.")):
            answers.report(current_actor(), answer, form.reason.data or "")
    else:
        flash_errors(form)
    return redirect(url_for("questions.public", slug=challenge.slug, _anchor=f"a{answer.id}"))


# --- the agencies' side -------------------------------------------------------------------------

STATUS_LABELS = {
    QuestionStatus.NEW: _l("New"),
    QuestionStatus.BEING_ANSWERED: _l("Being answered"),
    QuestionStatus.ANSWERED: lazy_pgettext("Q&A", "Answered"),
    QuestionStatus.DECLINED: _l("Declined"),
    QuestionStatus.MERGED: _l("Merged into another question"),
}


@bp.signed_in("/challenges/<slug>/manage/questions")
def queue(slug: str) -> ResponseReturnValue:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_view_queue)
    status = request.args.get("status", "")
    if status not in {s.value for s in QuestionStatus}:
        status = ""
    show_hidden = request.args.get("hidden") == "1"
    found = services.queue(current_user, challenge, status, show_hidden)
    return render_template(
        "questions/queue.html",
        challenge=challenge,
        queue=found,
        # the published answers the user may correct, linked from their row
        correctable={
            q.id
            for q in found.questions
            if q.answer is not None
            and q.answer.is_published
            and permissions.can_answer(current_user, q)
        },
        reports=answers.open_reports(current_user, challenge),
        status=status,
        show_hidden=show_hidden,
        statuses=STATUS_LABELS,
        button=ButtonForm(),
    )


def _question(slug: str, question_id: int) -> Question:
    challenge = challenge_services.get_challenge(slug)
    return guard(services.get_question(challenge, question_id), permissions.can_see_question)


def _question_url(question: Question) -> str:
    return url_for("questions.question", slug=question.challenge.slug, question_id=question.id)


def _answer_form(question: Question) -> AnswerForm:
    form = AnswerForm(content_languages=question.challenge.declared_languages)
    lang = current_language()
    tracks = permissions.answering_tracks(current_user, question)
    form.scope.choices = [
        SelectChoice(t.slug, _("The track %(track)s only", track=t.name_in(lang))) for t in tracks
    ] + [SelectChoice("", _("Every track of the challenge (the lead agency approves)"))]
    answer = question.answer
    if request.method == "GET":
        if answer is not None:
            form.scope.data = answer.track.slug if answer.track is not None else ""
            form.changes_rules.data = answer.changes_rules
            fill_per_language(form, "topic", answer.topic)
            fill_per_language(form, "question", answer.question_text)
            fill_per_language(form, "body", answer.body)
        elif question.track is not None:
            form.scope.data = question.track.slug
    return form


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>", methods=["GET", "POST"])
def question(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    form = _answer_form(q)
    if request.method == "POST" and form.validate_on_submit():
        draft = answers.AnswerDraft(
            scope_track=form.scope.data or "",
            topic=per_language(form, "topic", q.answer.topic if q.answer else None),
            question_text=per_language(
                form, "question", q.answer.question_text if q.answer else None
            ),
            body=per_language(form, "body", q.answer.body if q.answer else None),
            changes_rules=bool(form.changes_rules.data),
        )
        with attempt(form, success=_("The answer is saved as a draft.")) as done:
            answers.save_draft(current_actor(), q, draft)
        if done:
            return redirect(_question_url(q))
    return _question_page(q, form)


def _question_page(q: Question, form: AnswerForm) -> ResponseReturnValue:
    answer: Answer | None = q.answer
    lang = current_language()
    return render_template(
        "questions/question.html",
        challenge=q.challenge,
        question=q,
        answer=answer,
        form=form,
        can_answer=permissions.can_answer(current_user, q),
        can_approve=permissions.can_approve(current_user, q.challenge),
        can_withdraw=answer is not None and corrections.can_withdraw(current_user, answer),
        missing=", ".join(language_name(c) for c in answers.missing_languages(answer))
        if answer is not None
        else "",
        stale_terms=[(t, can_edit_track(current_user, t)) for t in answers.terms_to_update(answer)]
        if answer is not None
        else [],
        merge_form=_merge_form(q),
        reason_form=ReasonForm(formdata=None),
        button=ButtonForm(),
        statuses=STATUS_LABELS,
        lang=lang,
    ), (400 if form.errors else 200)


def _merge_form(q: Question) -> MergeForm:
    form = MergeForm(formdata=None)
    form.target.choices = [
        SelectChoice(str(t.id), _("Question %(n)d", n=t.id) + f" — {t.body[:80]}")
        for t in services.merge_targets(current_user, q)
    ]
    return form


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>/publish", methods=["POST"])
def publish(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    if ButtonForm().validate_on_submit():
        with attempt() as done:
            status = answers.publish(current_actor(), q, current_language())
        if done:
            _flash_status(status)
    return redirect(_question_url(q))


def _flash_status(status: str) -> None:
    if status == "published":
        flash(_("The answer is published."), "success")
    else:
        flash(_("The answer is sent to the lead agency for approval."), "success")


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>/approve", methods=["POST"])
def approve(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    if ButtonForm().validate_on_submit():
        with attempt(success=_("Approved: the answer is published for every track.")):
            answers.approve(current_actor(), q, current_language())
    return redirect(_question_url(q))


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>/send-back", methods=["POST"])
def send_back(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with attempt(success=_("The answer is back with its agency as a draft.")):
            answers.send_back(current_actor(), q, form.reason.data or "")
    else:
        flash_errors(form)
    return redirect(_question_url(q))


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>/decline", methods=["POST"])
def decline(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with attempt(success=_("The question is declined; its asker sees why.")):
            services.decline(current_actor(), q, form.reason.data or "")
    else:
        flash_errors(form)
    return redirect(_question_url(q))


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>/merge", methods=["POST"])
def merge(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    form = MergeForm()
    if form.validate_on_submit():
        target = form.target.data or ""
        with attempt(success=_("The question is merged; its answer will be the other's.")):
            services.merge(current_actor(), q, int(target) if target.isdigit() else None)
    else:
        flash_errors(form)
    return redirect(_question_url(q))


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>/hide", methods=["POST"])
def hide(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with attempt(success=_("The question is hidden from the queue.")):
            services.hide(current_actor(), q, form.reason.data or "")
    else:
        flash_errors(form)
    return redirect(_question_url(q))


@bp.signed_in("/challenges/<slug>/manage/questions/<int:question_id>/unhide", methods=["POST"])
def unhide(slug: str, question_id: int) -> ResponseReturnValue:
    q = _question(slug, question_id)
    if ButtonForm().validate_on_submit():
        with attempt(success=_("The question is back in the queue.")):
            services.unhide(current_actor(), q)
    return redirect(_question_url(q))


@bp.signed_in(
    "/challenges/<slug>/manage/question-reports/<int:report_id>/resolve", methods=["POST"]
)
def resolve_report(slug: str, report_id: int) -> ResponseReturnValue:
    challenge = guard(challenge_services.get_challenge(slug), permissions.can_view_queue)
    row = answers.get_report(challenge, report_id)
    if ButtonForm().validate_on_submit():
        with attempt(success=_("The report is resolved.")):
            answers.resolve_report(current_actor(), row)
    return redirect(url_for("questions.queue", slug=challenge.slug))


# --- correcting and withdrawing a published answer ----------------------------------------------


def _published_answer(slug: str, answer_id: int) -> Answer:
    """A published answer of the challenge, for the agencies that may see its question."""
    challenge = challenge_services.get_challenge(slug)
    answer = answers.get_published(challenge, answer_id)
    guard(answer.question, permissions.can_see_question)
    return answer


@bp.signed_in("/challenges/<slug>/manage/answers/<int:answer_id>/correct", methods=["GET", "POST"])
def correct(slug: str, answer_id: int) -> ResponseReturnValue:
    answer = _published_answer(slug, answer_id)
    q = answer.question
    require(permissions.can_answer(current_user, q), q)
    form = CorrectionForm(content_languages=q.challenge.declared_languages)
    if request.method == "GET":
        fill_per_language(form, "topic", answer.topic)
        fill_per_language(form, "question", answer.question_text)
        fill_per_language(form, "body", answer.body)
    elif form.validate_on_submit():
        draft = answers.AnswerDraft(
            scope_track="",
            topic=per_language(form, "topic", answer.topic),
            question_text=per_language(form, "question", answer.question_text),
            body=per_language(form, "body", answer.body),
            changes_rules=bool(form.changes_rules.data),
        )
        with attempt(form) as done:
            status = corrections.correct(current_actor(), q, draft, form.note.data or "")
        if done:
            if status == "published":
                flash(_("The correction is published."), "success")
            else:
                flash(_("The correction is sent to the lead agency for approval."), "success")
            return redirect(_question_url(q))
    return render_template(
        "questions/correct.html",
        challenge=q.challenge,
        question=q,
        answer=answer,
        form=form,
        needs_approval=answer.is_challenge_wide
        and not permissions.can_approve(current_user, q.challenge),
        lang=current_language(),
    ), (400 if form.errors else 200)


@bp.signed_in(
    "/challenges/<slug>/manage/answers/<int:answer_id>/approve-correction", methods=["POST"]
)
def approve_correction(slug: str, answer_id: int) -> ResponseReturnValue:
    answer = _published_answer(slug, answer_id)
    if ButtonForm().validate_on_submit():
        with attempt(success=_("Approved: the correction is published for every track.")):
            corrections.approve_correction(current_actor(), answer.question)
    return redirect(_question_url(answer.question))


@bp.signed_in(
    "/challenges/<slug>/manage/answers/<int:answer_id>/send-back-correction", methods=["POST"]
)
def send_back_correction(slug: str, answer_id: int) -> ResponseReturnValue:
    answer = _published_answer(slug, answer_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with attempt(success=_("The correction is refused; the published text stays.")):
            corrections.send_back_correction(
                current_actor(), answer.question, form.reason.data or ""
            )
    else:
        flash_errors(form)
    return redirect(_question_url(answer.question))


@bp.signed_in("/challenges/<slug>/manage/answers/<int:answer_id>/withdraw", methods=["POST"])
def withdraw(slug: str, answer_id: int) -> ResponseReturnValue:
    answer = _published_answer(slug, answer_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with attempt(success=_("The answer is withdrawn: it is a draft again.")):
            corrections.withdraw(current_actor(), answer.question, form.reason.data or "")
    else:
        flash_errors(form)
    return redirect(_question_url(answer.question))


# --- stopping the Q&A digest (the link in its email) --------------------------------------------


@bp.route("/questions/digest/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the credential; mail clients POST here (RFC 8058)
def stop_digest(token: str) -> ResponseReturnValue:
    """GET only shows a button: mail scanners open links, and must not stop anything."""
    subs = digest.from_stop_token(token)
    if request.method == "POST":
        again = request.form.get("again") == "1"
        with attempt():
            if again:
                digest.resume(current_actor(), subs)
            else:
                digest.stop(current_actor(), subs)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "", 204  # a mail client's one-click request: nobody reads a page
    return render_template(
        "questions/stop_digest.html",
        subs=subs,
        stopped=digest.stopped(subs),
        lang=current_language(),
    )
