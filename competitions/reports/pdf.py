"""The report as a PDF (WeasyPrint), from the same template as its page.

WeasyPrint fetches nothing: the stylesheet is read from the app's own static folder and handed
over, and every chart is inline SVG, so the fetcher refuses any URL — a title or a lesson with
an image link cannot make the server reach out to the network. (The template holds no
``<style>``: the pages' strict CSP test reads every template.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "css" / "report-pdf.css"


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the report fetches nothing ({url[:60]})")


def render(html: str) -> bytes:
    from weasyprint import CSS, HTML

    document = HTML(string=html, url_fetcher=_no_fetching, base_url="about:blank")
    pdf = document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])
    assert pdf is not None
    return bytes(pdf)
