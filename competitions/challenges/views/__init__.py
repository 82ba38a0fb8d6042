"""Challenge pages, by area; each module registers its routes on the challenges blueprint.

- ``public``: the directory, challenge and track pages, terms, calendar and feed.
- ``console``: creating a challenge, its console and texts, partner invitations.
- ``timeline``: rounds and milestones of the shared timeline.
- ``tracks``: a track's settings, rules, prizes, terms and readiness (its own agency).
- ``publication``: publishing, and launching the next edition.
"""

from competitions.challenges.views import console, public, publication, timeline, tracks

__all__ = ["console", "public", "publication", "timeline", "tracks"]
