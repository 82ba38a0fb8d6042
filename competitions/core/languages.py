"""The languages Tandem speaks, and which of them a deployment, a track or a form uses.

``SUPPORTED_LANGUAGES`` are those Tandem has catalogs for; a deployment chooses its interface
languages among them with one setting (``TANDEM_LANGUAGES``, read by ``config``); each track
declares the languages its content and emails use (``Track.languages``), and a per-language
form shows one field per language its object's track(s) declare (``core.forms``).

This module imports no Flask at import time: ``config`` uses it before there is an app.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_app_context

# Languages with a catalog under competitions/translations, in the order forms list them.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es", "ar")


def parse_languages(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """A deployment's languages from ``"en,fr,de"`` (or a sequence): the first is the default.

    Empty means all supported languages; an unknown or repeated code is a ``ValueError`` that
    names it and lists the supported ones."""
    if raw is None:
        return SUPPORTED_LANGUAGES
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    codes = [str(c).strip().lower().replace("_", "-") for c in items if str(c).strip()]
    if not codes:
        return SUPPORTED_LANGUAGES
    unknown = [c for c in codes if c not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ValueError(
            f"unsupported language(s) {', '.join(unknown)}; "
            f"Tandem supports {', '.join(SUPPORTED_LANGUAGES)}"
        )
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise ValueError(f"language(s) listed twice: {', '.join(repeated)}")
    return tuple(codes)


def deployment_languages() -> tuple[str, ...]:
    """The deployment's interface languages (``LANGUAGES``), the default first."""
    if not has_app_context():
        return SUPPORTED_LANGUAGES
    return tuple(current_app.config["LANGUAGES"])


def content_languages(declared: Iterable[str] | None = None) -> tuple[str, ...]:
    """The languages a per-language form shows: those ``declared`` (by a track, or the union
    of a challenge's tracks) that Tandem supports, in a stable order (the deployment's, then
    Tandem's); the deployment's languages when nothing is declared."""
    wanted = {c for c in (declared or ()) if c in SUPPORTED_LANGUAGES}
    if not wanted:
        return deployment_languages()
    order = deployment_languages() + tuple(
        c for c in SUPPORTED_LANGUAGES if c not in deployment_languages()
    )
    return tuple(c for c in order if c in wanted)


def email_language(
    wanted: str | None,
    track_languages: Iterable[str] | None,
    written: Iterable[str] | None = None,
) -> str:
    """The language of an email to someone who reads ``wanted``: that one if their track
    declares it, else the track's first language. ``written``: the languages the email's text
    exists in (an announcement's), when it is not the interface's catalogs; without a track
    (a follower of the whole challenge) any of them (or of the deployment's) will do."""
    available = list(written) if written is not None else list(deployment_languages())
    declared = [code for code in track_languages or () if code in available]
    candidates = declared or available
    if not candidates:
        return wanted or deployment_languages()[0]
    return wanted if wanted in candidates else candidates[0]
