"""axe-core (WCAG 2.1 A/AA) on the page the browser is showing."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()
OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # Passing options replaces the default result types, so ask for violations again.
    "resultTypes": ["violations"],
}


def assert_accessible(page: Any) -> None:
    result = _axe.run(page, options=OPTIONS)
    violations = result.response["violations"]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )
    assert result.violations_count == 0, f"axe found violations on {page.url}:\n{details}"
