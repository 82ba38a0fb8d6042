"""What makes a chosen password unacceptable (NIST SP 800-63B, section 5.1.1.2).

A pure core: ``weakness(password, email)`` returns why a candidate is refused (a ``Weakness``)
or ``None``; the messages are the services' concern. Compared in the NFKC, case-folded form:

- shorter than ``min_length`` or longer than ``MAX_LENGTH`` characters;
- the email address itself, or containing its local part (the whole of it, or any piece of it
  of ``MIN_CONTEXT`` letters or more) or the service's name: context-specific words;
- repetitive or sequential: one unit repeated ("aaaaaaaaaa", "abcabcabca"), or a run where
  every step but at most one goes to the same or a neighbouring character of the alphabet,
  the digits or a keyboard row ("1234567890", "abcdefghij", "1234abcd", "qwertyuiop");
- a common or breached password, or one of them with digits and symbols around it
  ("password123", "basketball2024!"): ``data/common-passwords.txt``, loaded once.

The list is the 19,640 most common passwords (lower-cased, deduplicated) that Django ships in
``django/contrib/auth/common-passwords.txt.gz`` (Django 5.2.19, BSD-3-Clause, licence in
``data/common-passwords.LICENSE``), compiled by Royce Williams from breach corpora. No network
is used.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from itertools import pairwise

MAX_LENGTH = 1024  # argon2 accepts more; nobody needs more, and it bounds the work per request
MIN_CONTEXT = 4  # shorter pieces of an address ("ada", "jo") occur in too many good passwords
SERVICE_NAMES = ("tandem",)
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertzuiop",
    "yxcvbnm",
)
_AROUND = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")


class Weakness(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    IS_EMAIL = "is_email"
    HAS_EMAIL = "has_email"
    HAS_SERVICE = "has_service"
    REPETITIVE = "repetitive"
    COMMON = "common"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process."""
    data = resources.files("competitions.accounts").joinpath("data/common-passwords.txt")
    lines = data.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line.strip()) for line in lines if line.strip())


@lru_cache(maxsize=1)
def _neighbours() -> frozenset[tuple[str, str]]:
    pairs = set()
    for row in SEQUENCES:
        for a, b in pairwise(row):
            pairs.update({(a, b), (b, a)})
    return frozenset(pairs)


def is_repetitive(password: str) -> bool:
    """One unit repeated, or a run with at most one unpredictable step."""
    n = len(password)
    if any(password == (password[:p] * (n // p + 1))[:n] for p in range(1, n // 2 + 1)):
        return True
    neighbours = _neighbours()
    breaks = sum(1 for a, b in pairwise(password) if a != b and (a, b) not in neighbours)
    return breaks <= 1


def _context_words(email: str | None) -> list[str]:
    local = _fold(email).rpartition("@")[0] if email and "@" in email else ""
    pieces = [p for p in re.split(r"[\W\d_]+", local) if len(p) >= MIN_CONTEXT]
    words = [local] if len(local) >= MIN_CONTEXT else []
    return [*words, *pieces]


def weakness(password: str, email: str | None = None, min_length: int = 10) -> Weakness | None:
    """Why ``password`` may not be chosen by the owner of ``email`` (``None``: it may)."""
    if len(password) < min_length:
        return Weakness.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return Weakness.TOO_LONG
    folded = _fold(password)
    if email and folded.strip() == _fold(email.strip()):
        return Weakness.IS_EMAIL
    if any(word in folded for word in _context_words(email)):
        return Weakness.HAS_EMAIL
    if any(name in folded for name in SERVICE_NAMES):
        return Weakness.HAS_SERVICE
    if is_repetitive(folded):
        return Weakness.REPETITIVE
    common = common_passwords()
    core = _AROUND.sub(r"\1", folded.strip())
    if folded.strip() in common or (len(core) >= MIN_CONTEXT and core in common):
        return Weakness.COMMON
    return None
