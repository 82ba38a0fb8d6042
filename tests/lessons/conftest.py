"""The entries tests' published two-track challenge: agency A leads and runs the Canada track,
agency B runs the US track."""

from tests.entries.conftest import challenge, logout, now, switch  # noqa: F401 (fixtures)
