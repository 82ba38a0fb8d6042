"""A round's review stages, each with its rubric (criteria shared by every track), judging
settings and panels; lock and audited reset."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select, update

from competitions.challenges.models import Challenge, Round
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import Conflict, DomainError, PermissionDenied, must_exist
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.text import blocks_in, lines_in, plain_number
from competitions.core.translate import gettext as _
from competitions.judging import permissions
from competitions.judging.models import (
    PANEL_SCOPES,
    Advancement,
    Assignment,
    Criterion,
    Panel,
    PanelScope,
    Review,
    ReviewStatus,
    Rubric,
    Score,
)

MAX_CRITERIA = 20
MAX_LEVELS = 101


MAX_STAGES = 5


def rubric_for(round_: Round, stage: int = 1, create: bool = True) -> Rubric | None:
    """The rubric of the round's stage (the first stage's is created, empty, on first use)."""
    rubric = db.session.scalar(
        select(Rubric).where(Rubric.round_id == round_.id, Rubric.stage == stage)
    )
    if rubric is None and create and stage == 1:
        rubric = Rubric(round=round_, stage=1)
        db.session.add(rubric)
        db.session.flush()
    return rubric


def stages_of(round_: Round) -> list[Rubric]:
    """The round's review stages in order (at least the first, created on first use)."""
    query = select(Rubric).where(Rubric.round_id == round_.id).order_by(Rubric.stage)
    stages = list(db.session.scalars(query))
    if not any(r.stage == 1 for r in stages):
        rubric_for(round_)
        stages = list(db.session.scalars(query))
    return stages


def last_stage(round_: Round) -> int:
    """The stage whose decision is the round's (1 when the round has a single stage)."""
    found = db.session.scalar(select(func.max(Rubric.stage)).where(Rubric.round_id == round_.id))
    return found or 1


def judges_stage(rubric: Rubric, panel: Panel) -> bool:
    """Whether the panel's judges judge the stage (its panel scope)."""
    if rubric.panel_scope == PanelScope.TRACKS:
        return not panel.is_shared
    if rubric.panel_scope == PanelScope.SHARED:
        return panel.is_shared
    return True


def last_stage_of(round_id: Any) -> Any:
    """SQL for the round's last stage (1 without stages), for decisions that are the round's."""
    return func.coalesce(
        select(func.max(Rubric.stage)).where(Rubric.round_id == round_id).scalar_subquery(), 1
    )


def get_stage(round_: Round, stage: int) -> Rubric:
    return must_exist(rubric_for(round_, stage), _("No such review stage."))


def _check_stage(name: dict[str, str], panel_scope: str) -> tuple[dict[str, str], str]:
    clean = lines_in(name, languages())
    if not clean:
        raise DomainError(_("Name the stage, e.g. “Jury”."), field="name_en")
    if any(len(v) > 100 for v in clean.values()):
        raise DomainError(_("A stage's name must be 100 characters or fewer."), field="name_en")
    if panel_scope not in PANEL_SCOPES:
        raise DomainError(_("Choose which panels judge this stage."), field="panel_scope")
    return clean, panel_scope


def add_stage(
    actor: Actor, challenge: Challenge, round_: Round, name: dict[str, str], panel_scope: str
) -> Rubric:
    """A new last stage: it judges the entries the stage before it shortlists, with its own
    criteria (empty) and the panels chosen. The previous last stage's decision becomes a
    shortlist; only added before any decision of the round's last stage."""
    _require_editor(actor, challenge)
    clean, scope = _check_stage(name, panel_scope)
    current = stages_of(round_)
    if len(current) >= MAX_STAGES:
        raise DomainError(_("A round has at most %(n)d review stages.", n=MAX_STAGES))
    last = current[-1]
    decided = db.session.scalar(
        select(func.count())
        .select_from(Advancement)
        .where(Advancement.round_id == round_.id, Advancement.stage == last.stage)
    )
    if decided:
        raise Conflict(
            _("Entries already advance from this round: add stages before deciding who advances.")
        )
    if not last.name:  # the first stage gets a name once there are several
        last.name = {"en": "Review", "fr": "Évaluation"}
    rubric = Rubric(
        round=round_,
        stage=last.stage + 1,
        name=clean,
        panel_scope=scope,
        reviews_per_submission=last.reviews_per_submission,
        blind=last.blind,
        min_reviews=last.min_reviews,
    )
    after = {"stage": rubric.stage, "name": clean, "panel_scope": scope}
    agency_id = challenge.lead_agency_id
    return audit.created(actor, "rubric.stage_added", rubric, agency_id=agency_id, after=after)


def update_stage(
    actor: Actor, challenge: Challenge, rubric: Rubric, name: dict[str, str], panel_scope: str
) -> None:
    """Rename a stage or change its panels (assignments already made stay)."""
    _require_editor(actor, challenge)
    clean, scope = _check_stage(name, panel_scope)
    before = {"name": rubric.name, "panel_scope": rubric.panel_scope}
    rubric.name, rubric.panel_scope = clean, scope
    after = {"name": clean, "panel_scope": scope}
    _record(actor, challenge, "rubric.stage_changed", rubric, before=before, after=after)


def _require_editor(actor: Actor, challenge: Challenge) -> None:
    if not permissions.can_edit_rubric(actor.user, challenge):
        raise PermissionDenied(_("Only the challenge's lead admins can change the rubric."))


def _record(actor: Actor, challenge: Challenge, action: str, obj: Any, **change: Any) -> None:
    """The rubric is the whole challenge's: its changes show in the lead agency's log."""
    audit.record(actor, action, obj=obj, agency_id=challenge.lead_agency_id, **change)


def _require_unlocked(rubric: Rubric) -> None:
    if rubric.locked_at is not None:
        raise Conflict(
            _(
                "The rubric is locked: judges have started scoring. Reset it (which clears every "
                "score of this round) to change it."
            )
        )


@dataclass
class Settings:
    reviews_per_submission: int
    blind: bool
    cross_track: bool
    min_reviews: int
    seed: int = 0


def save_settings(actor: Actor, challenge: Challenge, rubric: Rubric, data: Settings) -> None:
    """The round's judging settings. Blind judging and the number of reviews can change while
    judging runs (they do not alter a score); the criteria cannot."""
    _require_editor(actor, challenge)
    if not 1 <= data.reviews_per_submission <= 20:
        raise DomainError(
            _("Reviews per submission must be between 1 and 20."), field="reviews_per_submission"
        )
    if not 1 <= data.min_reviews <= 100:
        raise DomainError(_("The minimum must be between 1 and 100."), field="min_reviews")
    before = _settings(rubric)
    rubric.reviews_per_submission = data.reviews_per_submission
    rubric.blind = data.blind
    rubric.cross_track = data.cross_track
    rubric.min_reviews = data.min_reviews
    rubric.seed = data.seed
    rubric.updated_at = clock.now()
    _record(
        actor, challenge, "rubric.settings_changed", rubric, before=before, after=_settings(rubric)
    )


def _settings(rubric: Rubric) -> dict[str, Any]:
    """The rubric's judging settings (the fields of ``Settings``), as the audit log records them."""
    return {f.name: getattr(rubric, f.name) for f in fields(Settings)}


@dataclass
class CriterionData:
    title: dict[str, str]
    guidance: dict[str, str]
    weight: Any
    scale_min: Any
    scale_max: Any
    step: Any
    descriptors: dict[str, dict[str, str]] = field(default_factory=dict)


def _decimal(value: Any, name: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(message, field=name) from exc
    if not number.is_finite() or abs(number) >= Decimal(10000):
        raise DomainError(message, field=name)
    return number.quantize(Decimal("0.01"))


def _check(data: CriterionData) -> dict[str, Any]:
    """The criterion's values, cleaned; a ``DomainError`` on the field of the first problem."""
    title = lines_in(data.title, languages())
    if not title:
        raise DomainError(_("Give the criterion a title in at least one language."), "title_en")
    if any(len(v) > 200 for v in title.values()):
        raise DomainError(_("A title has at most 200 characters."), "title_en")
    weight = _decimal(data.weight, "weight", _("The weight must be a number."))
    if weight <= 0:
        raise DomainError(_("The weight must be more than zero."), "weight")
    lo, hi, step = _scale(data)
    return {
        "title": title,
        "guidance": blocks_in(data.guidance, languages()),
        "weight": weight,
        "scale_min": lo,
        "scale_max": hi,
        "step": step,
        "descriptors": _descriptors(data, lo, hi, step),
    }


def _scale(data: CriterionData) -> tuple[Decimal, Decimal, Decimal]:
    """The lowest and highest score and the step: a scale of at most ``MAX_LEVELS`` levels."""
    lo = _decimal(data.scale_min, "scale_min", _("The lowest score must be a number."))
    hi = _decimal(data.scale_max, "scale_max", _("The highest score must be a number."))
    step = _decimal(data.step, "step", _("The step must be a number."))
    if hi <= lo:
        raise DomainError(_("The highest score must be above the lowest."), "scale_max")
    if step <= 0:
        raise DomainError(_("The step must be more than zero."), "step")
    if (hi - lo) % step != 0:
        raise DomainError(
            _("The step must divide the scale evenly (from the lowest to the highest score)."),
            "step",
        )
    if (hi - lo) / step + 1 > MAX_LEVELS:
        raise DomainError(_("The scale has too many levels (at most 101)."), "step")
    return lo, hi, step


def _descriptors(
    data: CriterionData, lo: Decimal, hi: Decimal, step: Decimal
) -> dict[str, dict[str, str]]:
    """What each level means, per language, keyed by a score on the scale."""
    descriptors: dict[str, dict[str, str]] = {}
    for level, texts in data.descriptors.items():
        clean = lines_in(texts, languages())
        if not clean:
            continue
        value = _decimal(level, "descriptors", _("A descriptor's level must be a score."))
        if value < lo or value > hi or (value - lo) % step != 0:
            raise DomainError(
                _("The descriptor for %(level)s is not a score on this scale.", level=level),
                "descriptors",
            )
        descriptors[plain_number(value)] = clean
    return descriptors


def add_criterion(
    actor: Actor, challenge: Challenge, rubric: Rubric, data: CriterionData
) -> Criterion:
    _require_editor(actor, challenge)
    _require_unlocked(rubric)
    if len(rubric.criteria) >= MAX_CRITERIA:
        raise DomainError(_("A rubric has at most 20 criteria."))
    values = _check(data)
    criterion = Criterion(position=len(rubric.criteria), **values)
    rubric.criteria.append(criterion)
    rubric.updated_at = clock.now()
    db.session.flush()
    _record(actor, challenge, "rubric.criterion_added", criterion, after=_criterion_data(criterion))
    return criterion


def update_criterion(
    actor: Actor, challenge: Challenge, criterion: Criterion, data: CriterionData
) -> None:
    _require_editor(actor, challenge)
    _require_unlocked(criterion.rubric)
    before = _criterion_data(criterion)
    for key, value in _check(data).items():
        setattr(criterion, key, value)
    criterion.rubric.updated_at = clock.now()
    after = _criterion_data(criterion)
    _record(actor, challenge, "rubric.criterion_changed", criterion, before=before, after=after)


def remove_criterion(actor: Actor, challenge: Challenge, criterion: Criterion) -> None:
    _require_editor(actor, challenge)
    rubric = criterion.rubric
    _require_unlocked(rubric)
    _record(
        actor, challenge, "rubric.criterion_removed", criterion, before=_criterion_data(criterion)
    )
    rubric.criteria.remove(criterion)
    for position, c in enumerate(rubric.criteria):
        c.position = position
    rubric.updated_at = clock.now()


def move_criterion(actor: Actor, challenge: Challenge, criterion: Criterion, offset: int) -> None:
    _require_editor(actor, challenge)
    rubric = criterion.rubric
    _require_unlocked(rubric)
    items = list(rubric.criteria)
    i = items.index(criterion)
    j = max(0, min(len(items) - 1, i + offset))
    items.insert(j, items.pop(i))
    for position, c in enumerate(items):
        c.position = position


def get_criterion(rubric: Rubric, criterion_id: int) -> Criterion:
    criterion = next((c for c in rubric.criteria if c.id == criterion_id), None)
    return must_exist(criterion, _("No such criterion."))


def _criterion_data(c: Criterion) -> dict[str, Any]:
    return {
        "title": c.title,
        "weight": str(c.weight),
        "scale": [str(c.scale_min), str(c.scale_max), str(c.step)],
        "descriptors": c.described_levels,
    }


def lock(rubric: Rubric) -> None:
    """Called when the first score is entered: from then on the criteria cannot change."""
    if rubric.locked_at is None:
        rubric.locked_at = clock.now()


def reset(actor: Actor, challenge: Challenge, rubric: Rubric, reason: str) -> int:
    """Unlock the rubric by clearing every score of its stage (reviews go back to drafts,
    comments kept). Audited with the number of reviews affected. Returns that number."""
    _require_editor(actor, challenge)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the rubric is reset: judges will have to score again."))
    review_ids = (
        select(Review.id)
        .join(Assignment)
        .where(Assignment.round_id == rubric.round_id, Assignment.stage == rubric.stage)
    )
    affected = (
        db.session.scalar(select(func.count()).select_from(Review).where(Review.id.in_(review_ids)))
        or 0
    )
    db.session.execute(delete(Score).where(Score.review_id.in_(review_ids)))
    db.session.execute(
        update(Review)
        .where(Review.id.in_(review_ids))
        .values(
            status=ReviewStatus.DRAFT.value,
            submitted_at=None,
            weighted_score=None,
            revision=Review.revision + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    rubric.locked_at = None
    rubric.resets += 1
    after = {"reason": reason, "reviews_cleared": affected, "reset": rubric.resets}
    _record(actor, challenge, "rubric.reset", rubric, after=after)
    db.session.flush()
    db.session.expire_all()  # the bulk UPDATE changed reviews behind the identity map
    return affected
