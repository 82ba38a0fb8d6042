"""Finding teammates: a per-challenge opt-in board, contact requests through Tandem, and the
tracks two people could enter together."""

from competitions.core.web import Pages

bp = Pages("teammates", __name__)

from competitions.teammates import views  # noqa: E402,F401
