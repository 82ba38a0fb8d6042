"""Questions and answers: people ask the agencies of a challenge; the answers are published
to one track or (with the lead agency's approval) to the whole challenge, on its pages, in the
Atom feed and in a daily digest."""

from competitions.core.web import Pages

bp = Pages("questions", __name__)

from competitions.questions import home_sections, page_parts, views  # noqa: E402,F401
