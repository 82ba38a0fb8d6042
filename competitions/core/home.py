"""The home page is built from what is true now for whoever looks at it: each domain package
registers the sections it knows about (an innovator's entries, a judge's queues, an agency's
challenges, the open challenges for everyone), and the home page shows those that answer.
Core knows no domain: a package registers its section when it is imported.

A section provider takes the user (anonymous or not) and answers a ``Section`` or ``None``
(nothing to show this user). It must run a bounded number of queries, whatever the size of the
data: at most a page of rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROWS = 8  # rows a section shows at most; it links to the full list


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[Any], Section | None]
_providers: list[tuple[int, Provider]] = []


def section(order: int) -> Callable[[Provider], Provider]:
    """Register a home section; lower ``order`` shows first."""

    def register(provider: Provider) -> Provider:
        _providers.append((order, provider))
        _providers.sort(key=lambda p: p[0])
        return provider

    return register


def sections_for(user: Any) -> list[Section]:
    found = (provider(user) for _order, provider in _providers)
    return [s for s in found if s is not None]
