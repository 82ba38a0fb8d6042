"""Every page the e2e tests open in Chromium is watched for Content-Security-Policy violations
and for uncaught JavaScript errors: the strict policy (``core.security``) has no exception, so
the app's own pages must not break it, and a script error (a countdown that stops on a missing
browser API, say) is a bug. Either (a ``securitypolicyviolation`` event, Chromium's console error
about the policy, or a ``pageerror``) fails the test that caused it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# Reported by the page itself, before any of its scripts run.
_LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || document.location.href}:${e.lineNumber} ${e.sample || ""}`);
});
"""

violations: list[str] = []


def _watch_console(message: Any) -> None:
    text = message.text
    if message.type == "error" and ("CSP violation" in text or "Content Security Policy" in text):
        violations.append(f"{message.location.get('url', '')}: {text}")


def _watch_errors(page: Any) -> None:
    page.on("pageerror", lambda error: violations.append(f"{page.url}: script error: {error}"))


class _WatchedBrowser:
    """The session's Chromium, whose new contexts report CSP violations."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, *args: Any, **kwargs: Any) -> Any:
        context = self._browser.new_context(*args, **kwargs)
        context.add_init_script(_LISTEN)
        context.on("console", _watch_console)
        context.on("page", _watch_errors)
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(browser: Any) -> _WatchedBrowser:
    return _WatchedBrowser(browser)


@pytest.fixture(autouse=True)
def no_csp_violation() -> Iterator[None]:
    violations.clear()
    yield
    assert not violations, "CSP violations or script errors:\n" + "\n".join(violations)
