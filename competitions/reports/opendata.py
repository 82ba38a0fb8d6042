"""The open-data document of a challenge: aggregates only, no personal data.

It holds, per track and for the challenge: registrations per day, entrants by country and by
type, the funnel of each round (registered → submitted → eligible → advanced → winners) and
eligibility outcomes. Judging (which names judges) and outreach (internal) are left out. Any
count from 1 to 4 is published as ``"<5"``: with so few, a person could be recognised (the
same threshold as the surveys' breakdowns).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from competitions.challenges.models import Challenge
from competitions.core import clock
from competitions.core.spreadsheet import CsvPieces
from competitions.insights.charts import Chart
from competitions.insights.services import Insights

SECTIONS = ("registrations", "entrants", "funnel", "eligibility")
SMALL = 5
FORMAT = "tandem-open-data/1"


def suppressed(value: float) -> int | str:
    count = int(value)
    return "<5" if 0 < count < SMALL else count


def document(challenge: Challenge, insights: Insights) -> dict[str, Any]:
    """The document from ``insights`` seen with every track (the lead's view), in English."""
    tables = []
    for section in insights.sections:
        if section.key not in SECTIONS:
            continue
        for chart in section.charts:
            tables.append(_table(section.key, chart))
    return {
        "format": FORMAT,
        "challenge": {
            "slug": challenge.slug,
            "title": challenge.title_in("en"),
            "edition": challenge.edition,
            "lead_agency": challenge.lead_agency.name,
        },
        "tracks": [
            {"slug": t.slug, "name": t.name_in("en"), "agency": t.agency.name}
            for t in challenge.tracks
        ],
        "generated_at": clock.now().isoformat(),
        "small_counts": f"counts from 1 to {SMALL - 1} are given as <{SMALL}",
        "tables": tables,
    }


def _table(section: str, chart: Chart) -> dict[str, Any]:
    header, *rows = chart.csv_rows()
    return {
        "section": section,
        "key": chart.key,
        "title": chart.title,
        "columns": [str(h) for h in header],
        "rows": [[str(row[0]), *(suppressed(float(v)) for v in row[1:])] for row in rows],  # type: ignore[arg-type]
    }


def as_csv(doc: dict[str, Any]) -> Iterator[str]:
    """The document's tables in one long CSV: table, category, column, value."""
    out = CsvPieces()
    out.writerow(["section", "table", "title", "category", "column", "value"])
    for table in doc["tables"]:
        for row in table["rows"]:
            for column, value in zip(table["columns"][1:], row[1:], strict=True):
                out.writerow(
                    [table["section"], table["key"], table["title"], row[0], column, value]
                )
    yield out.take()
