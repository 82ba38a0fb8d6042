"""The shapes the API answers with: the OpenAPI document is generated from these."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from competitions.challenges.eligibility import EntrantType, Status
from competitions.core.i18n import is_valid_jurisdiction
from competitions.core.translate import gettext as _

Instant = fields.AwareDateTime
ISO_3166 = {"description": "ISO 3166-1 alpha-2 country or ISO 3166-2 subdivision code."}


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
    residence = fields.String(required=True, validate=_place, metadata=ISO_3166)
    age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 150))


class EligibilityArgs(Schema):
    entrant_type = fields.String(
        required=True, validate=validate.OneOf([t.value for t in EntrantType])
    )
    organisation_country = fields.String(
        load_default=None, allow_none=True, validate=_place, metadata=ISO_3166
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
    subject = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Per language (`en`, `fr`)."},
    )
    body = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Per language, Markdown."},
    )
    audiences = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    round_id = fields.Integer(load_default=None, allow_none=True)


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


class PrizeConditionArgs(Schema):
    text = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    entrant_types = fields.List(
        fields.String(validate=validate.OneOf([t.value for t in EntrantType])),
        load_default=list,
        metadata={"description": "The entrant types it applies to; empty: every type."},
    )


class RulesArgs(Schema):
    """A track's eligibility rules, whole (what is left out takes its default)."""

    allowed_countries = fields.List(fields.String(), metadata=ISO_3166)
    excluded_countries = fields.List(fields.String())
    establishment_countries = fields.List(fields.String())
    entrant_types = fields.List(fields.String())
    team_min = fields.Integer(allow_none=True)
    team_max = fields.Integer(allow_none=True)
    minimum_age = fields.Integer(allow_none=True)
    member_policy = fields.String(validate=validate.OneOf(["all", "lead", "majority"]))
    recognition_for_others = fields.Boolean()
    exclusive = fields.Boolean()
    prize_conditions = fields.List(fields.Nested(PrizeConditionArgs))


class PrizeArgs(Schema):
    label = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Per language."},
    )
    amount = fields.String(
        required=True, metadata={"description": "A decimal amount, such as `150000.00`."}
    )
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code."})
    count = fields.Integer(load_default=1)
    condition = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
