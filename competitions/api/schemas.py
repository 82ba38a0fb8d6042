"""The shapes the API answers with: the OpenAPI document is generated from these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pycountry
from marshmallow import Schema, ValidationError, fields, validate

from competitions.api.conventions import PageArgs
from competitions.challenges.eligibility import EntrantType, MemberPolicy, Status
from competitions.core.i18n import is_valid_jurisdiction
from competitions.core.languages import SUPPORTED_LANGUAGES
from competitions.core.translate import gettext as _
from competitions.judging.rubrics import MAX_STAGES
from competitions.outreach.models import Audience

Instant = fields.AwareDateTime
ISO_3166 = {"description": "ISO 3166-1 alpha-2 country or ISO 3166-2 subdivision code."}
PLACE = {**ISO_3166, "pattern": "^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$", "example": "CA"}
# Texts may be given in any language Tandem supports; a deployment offers its own
# (``LANGUAGES``) and a track uses those it declares. The schemas are built at import, for all
# of them; the document each app serves lists its deployment's (``api.document.for_languages``).
LANGUAGES = SUPPORTED_LANGUAGES
PER_LANGUAGE = "x-tandem-per-language"  # marks a text per language (removed when served)
CURRENCIES = sorted(c.alpha_3 for c in pycountry.currencies)
ENTRANT_TYPES = [t.value for t in EntrantType]


def language_keys(description: str, least: int, languages: Sequence[str]) -> dict[str, Any]:
    """What the document says of a text per language written in ``languages``."""
    text = {"type": "string", "description": "Empty: none in this language."}
    return {
        "description": f"{description} Per language ("
        + ", ".join(f"`{code}`" for code in languages)
        + ").",
        "propertyNames": {"enum": list(languages)},
        "additionalProperties": text,
        "minProperties": least,
        # As the services check: empty means none, and a required text needs one language
        # that is not blank.
        **({"anyOf": [_written_in(code) for code in languages]} if least else {}),
    }


def per_language(
    description: str, example: dict[str, str], least: int = 1, **kwargs: Any
) -> fields.Dict:
    """A text per language (``en``, ``fr``, ``de``...): what the document says of it, for its
    readers and for the generators of test data. Other keys are ignored, as on the pages."""
    return fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            **language_keys(description, least, LANGUAGES),
            PER_LANGUAGE: {"description": description, "least": least},
            "example": example,
        },
        **kwargs,
    )


def _written_in(code: str) -> dict[str, Any]:
    return {"required": [code], "properties": {code: {"type": "string", "pattern": r"\S"}}}


class StrictBoolean(fields.Boolean):
    """JSON's ``true`` and ``false`` only: not 0, 1 or "yes", which the document does not say."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def documented(**schema: Any) -> dict[str, Any]:
    """What the document says of a field that the service checks itself (its message wins)."""
    return schema


class ProblemSchema(Schema):
    """An error (RFC 9457 problem details), sent as ``application/problem+json``."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Messages per field of refused input."})


class PageSchema(Schema):
    next_cursor = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Pass as `cursor` for the rows after this page: the next page, or "
            "later, what is new. Null only when there was no row yet."
        },
    )
    has_more = fields.Boolean(
        required=True, metadata={"description": "Whether another page follows now."}
    )


class AgencySchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    jurisdiction = fields.String(required=True, metadata=ISO_3166)
    timezone = fields.String(required=True, metadata={"description": "IANA time zone."})
    languages = fields.List(fields.String(), required=True)
    website = fields.String(allow_none=True)


class PrizeSchema(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    amount = fields.Decimal(as_string=True, required=True, metadata={"type": "string"})
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code."})
    count = fields.Integer(required=True)
    condition = fields.String(allow_none=True)


class RulesSchema(Schema):
    allowed_countries = fields.List(fields.String(), required=True, metadata=ISO_3166)
    excluded_countries = fields.List(fields.String(), required=True)
    establishment_countries = fields.List(fields.String(), required=True)
    entrant_types = fields.List(fields.String(), required=True)
    team_min = fields.Integer(required=True)
    team_max = fields.Integer(allow_none=True, required=True)
    minimum_age = fields.Integer(allow_none=True, required=True)
    member_policy = fields.String(required=True)
    recognition_for_others = fields.Boolean(required=True)
    exclusive = fields.Boolean(required=True)
    prize_conditions = fields.List(fields.String(), required=True)


class TrackSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    agency = fields.Nested(AgencySchema, required=True)
    languages = fields.List(fields.String(), required=True)
    timezone = fields.String(
        required=True, metadata={"description": "The legal time zone of the track's deadlines."}
    )
    rules = fields.Nested(RulesSchema, allow_none=True, required=True)
    prizes = fields.List(fields.Nested(PrizeSchema), required=True)
    terms_version = fields.Integer(allow_none=True, required=True)


class TrackDetailSchema(TrackSchema):
    description = fields.String(required=True)
    terms = fields.String(allow_none=True, required=True)


class ChallengeSummarySchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    status = fields.String(required=True)
    published_at = Instant(allow_none=True, required=True)
    lead_agency = fields.String(required=True, metadata={"description": "The agency's slug."})
    languages = fields.List(fields.String(), required=True)


class ChallengePageSchema(PageSchema):
    items = fields.List(fields.Nested(ChallengeSummarySchema), required=True)


class RoundSummarySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    position = fields.Integer(required=True)


class ChallengeSchema(ChallengeSummarySchema):
    description = fields.String(required=True)
    timezone = fields.String(required=True)
    tracks = fields.List(fields.Nested(TrackSchema), required=True)
    rounds = fields.List(fields.Nested(RoundSummarySchema), required=True)


class LocalInstantSchema(Schema):
    track = fields.String(required=True)
    timezone = fields.String(required=True)
    at = Instant(required=True, metadata={"description": "The instant in the track's zone."})


class InstantSchema(Schema):
    kind = fields.String(required=True)
    at = Instant(required=True, metadata={"description": "The instant in UTC."})
    local = fields.List(fields.Nested(LocalInstantSchema), required=True)


class TimelineRoundSchema(RoundSummarySchema):
    instants = fields.List(fields.Nested(InstantSchema), required=True)


class MilestoneSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    track = fields.String(allow_none=True, required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(allow_none=True, required=True)
    url = fields.String(allow_none=True)


class TimelineSchema(Schema):
    timezone = fields.String(required=True)
    rounds = fields.List(fields.Nested(TimelineRoundSchema), required=True)
    milestones = fields.List(fields.Nested(MilestoneSchema), required=True)


def _place(code: str) -> bool:
    if not is_valid_jurisdiction(code.upper()):
        raise ValidationError(_("Not an ISO 3166 country or subdivision code."))
    return True


class MemberArgs(Schema):
    residence = fields.String(required=True, validate=_place, metadata=PLACE)
    age = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 150)
    )


class EligibilityArgs(Schema):
    entrant_type = fields.String(
        required=True, validate=validate.OneOf([t.value for t in EntrantType])
    )
    organisation_country = fields.String(
        load_default=None, allow_none=True, validate=_place, metadata=PLACE
    )
    members = fields.List(
        fields.Nested(MemberArgs),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "The first member is the team's lead."},
    )


class ReasonSchema(Schema):
    code = fields.String(required=True)
    severity = fields.String(required=True)
    explanation = fields.String(required=True)


class EligibilityOptionSchema(Schema):
    track = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in Status]))
    status_label = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    prize_conditions = fields.List(fields.String(), required=True)


class EligibilitySchema(Schema):
    options = fields.List(
        fields.Nested(EligibilityOptionSchema),
        required=True,
        metadata={"description": "Every track's decision, best first (the page's order)."},
    )


class WinnerSchema(Schema):
    rank = fields.Integer(allow_none=True, required=True)
    team = fields.String(required=True)


class TrackWinnersSchema(Schema):
    track = fields.String(required=True)
    winners = fields.List(fields.Nested(WinnerSchema), required=True)


class WinnersSchema(Schema):
    round = fields.Nested(RoundSummarySchema, required=True)
    results_at = Instant(required=True)
    tracks = fields.List(fields.Nested(TrackWinnersSchema), required=True)


# --- agency-scoped (token) ---------------------------------------------------------------


class TokenInfoSchema(Schema):
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(["read", "write"]))
    expires_at = Instant(required=True)


class WhoAmISchema(Schema):
    agency = fields.Nested(AgencySchema, required=True)
    token = fields.Nested(TokenInfoSchema, required=True)


class EntrySchema(Schema):
    id = fields.Integer(required=True)
    team = fields.String(required=True)
    entrant_type = fields.String(required=True)
    registered_at = Instant(required=True)
    withdrawn_at = Instant(allow_none=True, required=True)
    eligibility = fields.String(
        required=True, metadata={"description": "The decision in force (an override wins)."}
    )
    evaluated = fields.String(required=True, metadata={"description": "The evaluator's."})
    override_reason = fields.String(allow_none=True, required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    terms_version = fields.Integer(required=True)


class EntryPageSchema(PageSchema):
    items = fields.List(fields.Nested(EntrySchema), required=True)


class FileSchema(Schema):
    id = fields.Integer(required=True)
    field = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)


class VersionSchema(Schema):
    number = fields.Integer(required=True)
    submitted_at = Instant(required=True)
    deadline = Instant(required=True)
    files = fields.List(fields.Nested(FileSchema), required=True)


class SubmissionSchema(Schema):
    id = fields.Integer(required=True)
    entry_id = fields.Integer(required=True)
    round_id = fields.Integer(required=True)
    withdrawn_at = Instant(allow_none=True, required=True)
    versions = fields.List(fields.Nested(VersionSchema), required=True)


class SubmissionPageSchema(PageSchema):
    items = fields.List(fields.Nested(SubmissionSchema), required=True)


class DeliverySchema(Schema):
    queued = fields.Integer(required=True)
    sending = fields.Integer(required=True)
    sent = fields.Integer(required=True)
    retrying = fields.Integer(required=True)
    failed = fields.Integer(required=True)


class AnnouncementSchema(Schema):
    id = fields.Integer(required=True)
    track = fields.String(allow_none=True, required=True)
    subject = fields.String(required=True)
    status = fields.String(required=True)
    audiences = fields.List(fields.String(), required=True)
    release_at = Instant(allow_none=True, required=True)
    released_at = Instant(allow_none=True, required=True)
    recipients = fields.Integer(allow_none=True, required=True)
    delivery = fields.Nested(DeliverySchema, required=True)


class AnnouncementPageSchema(PageSchema):
    items = fields.List(fields.Nested(AnnouncementSchema), required=True)


class AuditEventSchema(Schema):
    id = fields.Integer(required=True)
    at = Instant(required=True)
    actor = fields.String(allow_none=True, required=True)
    role = fields.String(required=True)
    action = fields.String(required=True)
    object_type = fields.String(allow_none=True, required=True)
    object_id = fields.String(allow_none=True, required=True)
    object_label = fields.String(allow_none=True, required=True)
    via = fields.String(required=True)


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)


class AuditArgs(Schema):
    action = fields.String(
        load_default=None,
        validate=validate.Length(max=80),
        metadata={"description": "A prefix of the action, such as `entry.`."},
    )


class AnnouncementArgs(Schema):
    track = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "The track it is from (its slug); none: the whole challenge."},
    )
    subject = per_language(
        "One line; in the same languages as the body.",
        {"en": "Results are out", "fr": "Les résultats sont publiés"},
        required=True,
    )
    body = per_language(
        "Markdown.", {"en": "Thank you all.", "fr": "Merci à toutes et à tous."}, required=True
    )
    audiences = fields.List(
        fields.String(metadata=documented(enum=[a.value for a in Audience])),
        required=True,
        validate=validate.Length(min=1),
        metadata={"example": [Audience.ENTRIES.value]},
    )
    round_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "The round the round's audiences (submitted…) are drawn from."},
    )


class ResultSchema(Schema):
    entry_id = fields.Integer(required=True)
    submission_id = fields.Integer(required=True)
    team = fields.String(required=True)
    rank = fields.Integer(allow_none=True, required=True, metadata={"description": "In the track."})
    rank_overall = fields.Integer(allow_none=True, required=True)
    raw = fields.Float(allow_none=True, required=True)
    normalized = fields.Float(allow_none=True, required=True)
    reviews = fields.Integer(required=True)
    tied = fields.Boolean(required=True)
    advancing = fields.Boolean(
        allow_none=True, required=True, metadata={"description": "The track's decision, if made."}
    )


class TrackResultsSchema(Schema):
    round = fields.Nested(RoundSummarySchema, required=True)
    stage = fields.Integer(required=True)
    released = fields.Boolean(required=True)
    results = fields.List(fields.Nested(ResultSchema), required=True)


class ReviewPageArgs(PageArgs):
    stage = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_STAGES),
        metadata={"description": "The review stage (1 to 5); the round's last by default."},
    )


class JudgeSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)


class ReviewScoreSchema(Schema):
    criterion_id = fields.Integer(required=True)
    criterion = fields.String(
        required=True, metadata={"description": "Its title in the language asked for."}
    )
    value = fields.Float(required=True, metadata={"example": 7.5})


class ReviewSchema(Schema):
    id = fields.Integer(required=True)
    submission_id = fields.Integer(required=True)
    entry_id = fields.Integer(required=True)
    stage = fields.Integer(required=True)
    judge = fields.Nested(JudgeSchema, required=True)
    submitted_at = Instant(required=True)
    weighted_score = fields.Float(
        allow_none=True, required=True, metadata={"description": "Weighted raw score, 0 to 100."}
    )
    scores = fields.List(fields.Nested(ReviewScoreSchema), required=True)
    comment_to_team = fields.String(required=True)
    comment_to_admins = fields.String(required=True)


class ReviewPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReviewSchema), required=True)


class PrizeConditionArgs(Schema):
    text = per_language(
        "What the prize asks; a condition without any text is left out.",
        {"en": "Based in Canada", "fr": "Établi au Canada"},
        least=0,
        required=True,
    )
    entrant_types = fields.List(
        fields.String(validate=validate.OneOf(ENTRANT_TYPES)),
        load_default=list,
        metadata={"description": "The entrant types it applies to; empty: every type."},
    )


class RulesArgs(Schema):
    """A track's eligibility rules, whole (what is left out takes its default)."""

    # Empty strings are left out (as a form's empty rows are): no pattern here.
    allowed_countries = fields.List(fields.String(metadata=ISO_3166))
    excluded_countries = fields.List(fields.String(metadata=ISO_3166))
    establishment_countries = fields.List(fields.String(metadata=ISO_3166))
    entrant_types = fields.List(fields.String(metadata=documented(enum=ENTRANT_TYPES)))
    team_min = fields.Integer(
        allow_none=True, strict=True, metadata=documented(minimum=1, maximum=1000)
    )
    team_max = fields.Integer(
        allow_none=True, strict=True, metadata=documented(minimum=1, maximum=1000)
    )
    minimum_age = fields.Integer(
        allow_none=True, strict=True, metadata=documented(minimum=0, maximum=120)
    )
    member_policy = fields.String(validate=validate.OneOf([p.value for p in MemberPolicy]))
    recognition_for_others = StrictBoolean()
    exclusive = StrictBoolean()
    prize_conditions = fields.List(fields.Nested(PrizeConditionArgs))


class PrizeArgs(Schema):
    label = per_language(
        "The prize's name.", {"en": "Grand prize", "fr": "Grand prix"}, required=True
    )
    amount = fields.String(
        required=True,
        metadata=documented(
            description="A decimal amount from 0 to 999999999999.99, such as `150000.00`.",
            pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$",
            example="150000.00",
        ),
    )
    currency = fields.String(
        required=True,
        metadata=documented(description="ISO 4217 code.", enum=CURRENCIES, example="CAD"),
    )
    count = fields.Integer(
        load_default=1,
        strict=True,
        metadata=documented(
            description="How many of this prize are awarded.", minimum=1, maximum=1000
        ),
    )
    condition = per_language(
        "What a winner must do or be; none: nothing.",
        {"en": "Build a prototype", "fr": "Construire un prototype"},
        least=0,
        load_default=dict,
    )


# Whole request bodies that the operations accept, for the reference and the test generators.
ELIGIBILITY_EXAMPLE = {
    "entrant_type": "team",
    "members": [{"residence": "CA", "age": 34}, {"residence": "FR"}],
}
ANNOUNCEMENT_EXAMPLE = {
    "subject": {"en": "Judging has begun", "fr": "L\u2019évaluation a commencé"},
    "body": {"en": "Thank you for your proposals.", "fr": "Merci pour vos propositions."},
    "audiences": ["entries"],
}
RULES_EXAMPLE = {
    "allowed_countries": ["CA", "US"],
    "entrant_types": ["team", "business"],
    "team_min": 1,
    "team_max": 5,
    "minimum_age": 18,
    "member_policy": "lead",
    "prize_conditions": [{"text": {"en": "Based in Canada"}, "entrant_types": ["business"]}],
}
PRIZE_EXAMPLE = {
    "label": {"en": "Grand prize", "fr": "Grand prix"},
    "amount": "150000.00",
    "currency": "CAD",
    "count": 1,
}
