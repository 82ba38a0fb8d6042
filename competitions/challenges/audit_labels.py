"""How the audit log names the fields of challenges, tracks and timelines (not their column
names: "Results released", not ``results_at``)."""

from __future__ import annotations

from competitions.challenges.timeline import INSTANT_LABELS
from competitions.core.audit_words import label_fields
from competitions.core.translate import lazy_gettext as _l

label_fields(INSTANT_LABELS)
label_fields(
    {
        "allowed_countries": _l("Countries (or subdivisions) whose residents may win prizes"),
        "excluded_countries": _l("Excluded countries"),
        "establishment_countries": _l("Where organisations must be established"),
        "entrant_types": _l("Who may enter"),
        "team_min": _l("Smallest team"),
        "team_max": _l("Largest team"),
        "minimum_age": _l("Minimum age"),
        "member_policy": _l("Which members must reside in those countries"),
        "recognition_for_others": _l(
            "Entrants from elsewhere may take part for recognition, without prize money"
        ),
        "exclusive": _l("Entrants may not enter more than one track of this challenge"),
        "prize_conditions": _l("Condition on receiving a prize"),
        "label": _l("Prize name"),
        "amount": _l("Amount"),
        "currency": _l("Currency"),
        "count": _l("How many are awarded"),
        "starts_at": _l("Starts"),
        "ends_at": _l("Ends"),
        "reason": _l("Reason for the change"),
        "timezone": _l("Legal time zone"),
        "languages": _l("Languages of the track"),
        "contact_email": _l("Contact email for entrants"),
    }
)
