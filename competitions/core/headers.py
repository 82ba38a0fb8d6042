"""Email headers whose non-ASCII text reads back exactly as it was written.

The email package (CPython 3.11 to 3.13 at least) folds a header that mixes plain words and
RFC 2047 encoded words wrongly: the space between two encoded words ends up outside both, where
RFC 2047 says a reader must drop it, so a French subject "un défi mené en parallèle" reaches
the reader as "un défimené" (or gains a space in a display name), depending on where the line
breaks. ``POLICY`` (``WIRE`` with CRLF) writes such headers itself instead:

- a subject (any unstructured header) that is not plain ASCII becomes encoded words only,
  spaces included, so whitespace between them is folding and nothing else;
- an address whose display name is not ASCII gets its name as encoded words (phrase-safe Q
  encoding), its address as it is.

ASCII headers and messages sent with SMTPUTF8 (``policy.utf8``) keep the email package's way.
"""

from __future__ import annotations

from email import policy as email_policy
from email import quoprimime
from email.headerregistry import Address, AddressHeader, BaseHeader, HeaderRegistry
from email.policy import Policy

MAX_LINE = 78  # RFC 5322's "SHOULD"
MAX_WORD = 75  # RFC 2047: an encoded word is at most 75 characters


def _encode(text: str) -> str:
    return quoprimime.header_encode(text.encode("utf-8", "replace"), charset="utf-8")


def encoded_words(text: str, first: int = MAX_WORD) -> list[str]:
    """``text`` as Q-encoded words, the first at most ``first`` characters long and the others
    at most 75, split after a space where one fits (some readers, Python's address parser
    among them, put a space between two encoded words), else between two characters."""
    words: list[str] = []
    chunk, limit = "", max(min(first, MAX_WORD), 30)
    for char in text:
        chunk += char
        if len(_encode(chunk)) <= limit:
            continue
        head = chunk[:-1]
        cut = head.rfind(" ") + 1 or len(head)
        words.append(_encode(head[:cut]))
        chunk, limit = head[cut:] + char, MAX_WORD
        if len(_encode(chunk)) > limit:
            words.append(_encode(chunk[:-1]))
            chunk = char
    words.append(_encode(chunk))
    return words


def fold(name: str, tokens: list[str], linesep: str) -> str:
    """``Name: token token ...`` with a line break before a token that would pass 78."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > MAX_LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += f" {token}"
    return linesep.join(lines) + linesep


def _address_tokens(address: Address, first: int) -> list[str]:
    name = address.display_name
    if not name or name.isascii():
        return [str(address)]
    return [*encoded_words(name, first), f"<{address.addr_spec}>"]


def _tokens(header: BaseHeader) -> list[str] | None:
    """What to write for ``header``; ``None`` when the email package's folding is right."""
    if isinstance(header, AddressHeader):
        if header.groups and any(g.display_name for g in header.groups):
            return None  # groups are never written by Tandem
        if all(a.display_name.isascii() for a in header.addresses):
            return None
        tokens: list[str] = []
        first = MAX_LINE - len(header.name) - 2
        for i, address in enumerate(header.addresses):
            part = _address_tokens(address, first if i == 0 else MAX_WORD)
            if i < len(header.addresses) - 1:
                part[-1] += ","
            tokens += part
        return tokens
    text = str(header)
    if text.isascii():
        return None
    return encoded_words(text, first=MAX_LINE - len(header.name) - 2)


class _Header(BaseHeader):
    def fold(self, *, policy: Policy) -> str:
        tokens = None if getattr(policy, "utf8", False) else _tokens(self)
        if tokens is None:
            return super().fold(policy=policy)
        return fold(self.name, tokens, policy.linesep)


# The policy of every message Tandem builds; ``WIRE`` is the same with CRLF line ends.
POLICY = email_policy.default.clone(header_factory=HeaderRegistry(base_class=_Header))
WIRE = POLICY.clone(linesep="\r\n")
