"""After the award: awards given from released results (prize conditions with evidence,
approval, payment) and the budget for success each agency reserves for a challenge."""

from competitions.core.web import Pages

bp = Pages("awards", __name__)

from competitions.awards import home_sections, page_parts, views  # noqa: E402,F401
