"""Webhooks: an agency's HTTPS endpoints told of events, signed per the Standard Webhooks
specification and delivered through the outbox pattern (issue 18, point 4).

- ``events``: the event types (a registry) and ``emit``, called by the domains' services in
  the transaction of the change;
- ``delivery``: claim, attempt, retry with backoff, the delivery log (``models``);
- ``transport`` and ``destinations``: one request, checked so that it cannot reach into the
  server's own network; ``signing``: the signatures;
- ``endpoints``: the endpoints' lifecycle (secret shown once, rotation, test ping, replay);
  ``views``: the pages under the agency console.
"""

from __future__ import annotations

from competitions.core.web import Pages

bp = Pages("webhooks", __name__)

from competitions.webhooks import views  # noqa: E402  (its routes)

__all__ = ["bp", "views"]
