"""The report as a PDF (WeasyPrint), from the same template as its page.

WeasyPrint fetches nothing: every style is in the template and every chart is inline SVG, so
the fetcher refuses any URL — a title or a lesson with an image link cannot make the server
reach out to the network."""

from __future__ import annotations

from typing import Any


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the report fetches nothing ({url[:60]})")


def render(html: str) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_no_fetching, base_url="about:blank").write_pdf()
    assert pdf is not None
    return bytes(pdf)
