"""Open formats on the public pages: schema.org JSON-LD, Atom autodiscovery (in the page
templates), ``/sitemap.xml`` and ``/robots.txt``, and each user's personal calendar feed
(iCalendar at a secret, revocable address)."""

from competitions.core.web import Pages

bp = Pages("formats", __name__)

from competitions.formats import views  # noqa: E402,F401
