"""Judging forms, and what each gives the services. The scoring form has one field per
criterion of the stage's rubric, so its class is built per rubric (``score_form``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from competitions.challenges.forms import LocalDateTimeField
from competitions.core.errors import DomainError
from competitions.core.forms import (
    BaseForm,
    TimeZoneField,
    add_translated,
    fill_per_language,
    invitee_email,
    per_language,
)
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.judging import rubrics
from competitions.judging.models import AdvancementMethod, Criterion, FlagKind, PanelScope, Rubric


def _count(label: Any, missing: Any, high: int, range_: Any, description: Any) -> IntegerField:
    """A required whole number from 1 to ``high``."""
    validators = [DataRequired(missing), NumberRange(min=1, max=high, message=range_)]
    return IntegerField(label, validators=validators, description=description)


class SettingsForm(BaseForm):
    reviews_per_submission = _count(
        _l("Reviews per submission"),
        _l("Enter how many judges review each submission."),
        20,
        _l("Between 1 and 20."),
        _l("Automatic assignment gives every submission this many judges."),
    )
    blind = BooleanField(_l("Blind judging: judges see no team, member or organisation names"))
    cross_track = BooleanField(
        _l("Cross-track calibration: at least one judge from another track per submission")
    )
    min_reviews = _count(
        _l("Reviews a judge needs before their scores are normalized"),
        _l("Enter a number."),
        100,
        _l("Between 1 and 100."),
        _l("Judges with fewer reviews keep their raw scores in the results."),
    )
    seed = IntegerField(
        _l("Assignment seed"),
        validators=[Optional(), NumberRange(min=0, max=2**31 - 1)],
        description=_l("The same seed gives the same assignment for the same submissions."),
        default=0,
    )

    def settings(self) -> rubrics.Settings:
        return rubrics.Settings(
            reviews_per_submission=self.reviews_per_submission.data or 0,
            blind=bool(self.blind.data),
            cross_track=bool(self.cross_track.data),
            min_reviews=self.min_reviews.data or 0,
            seed=self.seed.data or 0,
        )


class CriterionForm(BaseForm):
    weight = StringField(
        _l("Weight"), default="1", validators=[DataRequired(_l("Enter a weight."))]
    )
    scale_min = StringField(
        _l("Lowest score"), default="0", validators=[DataRequired(_l("Enter the lowest score."))]
    )
    scale_max = StringField(
        _l("Highest score"), default="10", validators=[DataRequired(_l("Enter the highest score."))]
    )
    step = StringField(_l("Step"), default="1", validators=[DataRequired(_l("Enter a step."))])

    @classmethod
    def of(cls, criterion: Criterion, languages: list[str] | None = None) -> CriterionForm:
        """The form filled with a criterion, to edit it."""
        form = cls(
            formdata=None,
            content_languages=languages,
            weight=str(criterion.weight),
            scale_min=str(criterion.scale_min),
            scale_max=str(criterion.scale_max),
            step=str(criterion.step),
        )
        fill_per_language(form, "title", criterion.title)
        fill_per_language(form, "guidance", criterion.guidance)
        descriptors = {code: _descriptor_lines(criterion, code) for code in form.content_languages}
        fill_per_language(form, "descriptors", descriptors)
        return form

    def criterion_data(self, stored: Criterion | None = None) -> rubrics.CriterionData:
        """What the rubric services take (over the texts ``stored`` in languages the form does
        not show); a descriptor line without "score: meaning" is a ``DomainError`` on its
        field."""
        return rubrics.CriterionData(
            title=per_language(self, "title", stored.title if stored else None),
            guidance=per_language(self, "guidance", stored.guidance if stored else None),
            weight=self.weight.data,
            scale_min=self.scale_min.data,
            scale_max=self.scale_max.data,
            step=self.step.data,
            descriptors=self._descriptors(stored),
        )

    def _descriptors(self, stored: Criterion | None) -> dict[str, dict[str, str]]:
        """Lines "level: text" per language → {level: {lang: text}}."""
        shown = set(self.content_languages)
        out: dict[str, dict[str, str]] = {}
        for level, texts in (stored.described_levels if stored else {}).items():
            kept = {code: text for code, text in texts.items() if code not in shown}
            if kept:
                out[level] = kept
        for lang, raw in per_language(self, "descriptors").items():
            for line in (raw or "").splitlines():
                level, sep, text = line.partition(":")
                if not sep or not text.strip():
                    if line.strip():
                        raise DomainError(
                            _("Write each descriptor as “score: meaning”."),
                            field=f"descriptors_{lang}",
                        )
                    continue
                out.setdefault(level.strip(), {})[lang] = text.strip()
        return out


add_translated(CriterionForm, "title", _l("Title"), StringField, 200)
add_translated(CriterionForm, "guidance", _l("Guidance for judges"), TextAreaField, 4000)
add_translated(
    CriterionForm,
    "descriptors",
    _l("Level descriptors"),
    TextAreaField,
    8000,
    description=_l("One per line: a score, a colon, what it means. For example “10: Flawless”."),
)


def _descriptor_lines(criterion: Criterion, lang: str) -> str:
    return "\n".join(
        f"{level}: {texts[lang]}"
        for level, texts in criterion.described_levels.items()
        if lang in texts
    )


class StageForm(BaseForm):
    panel_scope = RadioField(
        _l("Judged by"),
        choices=[
            SelectChoice(PanelScope.ALL, _l("Each track's panel and the shared panel")),
            SelectChoice(PanelScope.TRACKS, _l("Each track's own panel only")),
            SelectChoice(PanelScope.SHARED, _l("The shared cross-track panel only")),
        ],
        default=PanelScope.ALL,
        validators=[DataRequired(_l("Choose which panels judge this stage."))],
    )

    @classmethod
    def of(cls, stage: Rubric, languages: list[str] | None = None) -> StageForm:
        """The form filled with a stage, to rename it or change its panels."""
        form = cls(formdata=None, content_languages=languages, panel_scope=stage.panel_scope)
        fill_per_language(form, "name", stage.name)
        return form

    def values(self, stored: Rubric | None = None) -> tuple[dict[str, str], str]:
        """The stage's name per language (over the stored names of languages not shown) and
        its panel scope, as the rubric services take them."""
        return (
            per_language(self, "name", stored.name if stored else None),
            self.panel_scope.data or "",
        )


add_translated(StageForm, "name", _l("Name of the stage"), StringField, 100)


class ResetForm(BaseForm):
    reason = TextAreaField(
        _l("Why the rubric must change"),
        validators=[
            DataRequired(_l("Say why: judges will have to score again.")),
            Length(max=2000),
        ],
    )


class InviteJudgeForm(BaseForm):
    email = invitee_email(_l("Judge's email address"))


class JudgeProfileForm(BaseForm):
    organisation = StringField(
        _l("Your organisation"),
        validators=[Length(max=200)],
        description=_l("Teams from your organisation will not be assigned to you."),
    )
    expertise = StringField(
        _l("Your areas of expertise"),
        validators=[Length(max=1000)],
        description=_l("Separated by commas."),
    )
    conflicts = TextAreaField(
        _l("Organisations you have a conflict of interest with"),
        validators=[Length(max=4000)],
        description=_l("One per line: a former employer, a client, a partner."),
    )

    def values(self) -> tuple[str, list[str], list[str]]:
        """Organisation, expertise tags (comma-separated) and conflicted organisations (one per
        line), as the panel services take them."""
        return (
            self.organisation.data or "",
            (self.expertise.data or "").split(","),
            (self.conflicts.data or "").splitlines(),
        )


class DeclareConflictForm(BaseForm):
    team = SelectField(_l("Team"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Why (optional)"), validators=[Length(max=1000)])


class AdminConflictForm(BaseForm):
    judge = SelectField(_l("Judge"), coerce=int, validate_choice=False)
    team = SelectField(_l("Team"), coerce=int, validate_choice=False)
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Say why.")), Length(max=1000)]
    )


class RecuseForm(BaseForm):
    reason = TextAreaField(
        _l("Why you step back"),
        validators=[DataRequired(_l("Say briefly why you step back.")), Length(max=1000)],
    )


class FlagForm(BaseForm):
    kind = SelectField(
        _l("Concern"),
        choices=[
            SelectChoice(FlagKind.INELIGIBLE, _l("Possibly ineligible")),
            SelectChoice(FlagKind.PLAGIARISM, _l("Possible plagiarism")),
            SelectChoice(FlagKind.OTHER, _l("Something else")),
        ],
    )
    note = TextAreaField(
        _l("What the track's admins should know"),
        validators=[DataRequired(_l("Describe the concern.")), Length(max=5000)],
    )


class AssignForm(BaseForm):
    judge = SelectField(_l("Judge"), coerce=int, validate_choice=False)


class AdvancementForm(BaseForm):
    method = RadioField(
        _l("Who advances"),
        choices=[
            SelectChoice(AdvancementMethod.TOP_N, _l("The top N of the track")),
            SelectChoice(
                AdvancementMethod.THRESHOLD, _l("Every entry at or above a normalized score")
            ),
            SelectChoice(AdvancementMethod.MANUAL, _l("The entries I tick")),
        ],
        default=AdvancementMethod.TOP_N,
        validators=[DataRequired(_l("Choose how entries are selected."))],
    )
    n = IntegerField(_l("N"), validators=[Optional(), NumberRange(min=0, max=100000)], default=10)
    threshold = DecimalField(
        _l("Normalized score to reach (0 to 100)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
        places=2,
    )


def score_form(rubric: Rubric) -> FlaskForm:
    """The scoring form of a review stage: a text field per criterion (``c<id>``; the service
    checks each score against its scale) and the two comments. Its only validation is the
    CSRF token; a service's refusal goes onto the criterion's field."""

    class ScoreForm(FlaskForm):
        comment_to_team = TextAreaField()
        comment_to_admins = TextAreaField()

    for criterion in rubric.criteria:
        setattr(ScoreForm, score_key(criterion), StringField())
    return ScoreForm()


def score_key(criterion: Criterion) -> str:
    return f"c{criterion.id}"


def typed_scores(values: Mapping[str, Any], rubric: Rubric) -> dict[int, Any]:
    """Criterion id → what was typed for it, as sent ("" when nothing was; the service
    refuses what is not text)."""
    return {
        c.id: "" if values.get(score_key(c)) is None else values[score_key(c)]
        for c in rubric.criteria
    }


class ReleaseForm(BaseForm):
    """When a round's results are released: a wall-clock time in the zone chosen."""

    results_at = LocalDateTimeField(
        _l("Release the results at"),
        description=_l("Every track's audience gets them at this instant."),
    )
    timezone = TimeZoneField(
        _l("Time zone"), description=_l("The challenge's shared timeline zone by default.")
    )
