"""The report of a challenge — headline figures per track, the insights' charts with their
tables, the lessons learned — as an accessible page with a print stylesheet and as a PDF, and
the open-data version (aggregates only) that the lead agency publishes on the challenge page."""

from competitions.core.web import Pages

bp = Pages("reports", __name__)

from competitions.reports import views  # noqa: E402,F401
