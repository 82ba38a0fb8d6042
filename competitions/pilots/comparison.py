"""One winner's pilots in several hosts, side by side (cross-border pilots).

The same solution piloted in Berlin and in Paris is measured by each host in its own words
and units ("Temps de réponse" in minutes, "Reaktionszeit" in hours). KPIs are matched across
the pilots by their **key** — the shared key a host gives a KPI, or else its name, ignoring
case — and each cell keeps its host's name, unit and language.

Progress towards the target makes different units comparable on one chart::

    progress = (latest - baseline) / (target - baseline) * 100 %

(0 % at the baseline, 100 % at the target, negative when it went the wrong way; none without
a measurement or when the target equals the baseline).

Plain data in and out: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Cell:
    """One pilot's KPI: its name and unit as its host wrote them, and its numbers."""

    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    latest: Decimal | None
    progress: float | None


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Cell | None, ...]  # one per pilot, in the pilots' order

    @property
    def shared(self) -> bool:
        """Measured in more than one pilot."""
        return sum(c is not None for c in self.cells) > 1


def progress(baseline: Decimal, target: Decimal, latest: Decimal | None) -> float | None:
    if latest is None or target == baseline:
        return None
    return round(float((latest - baseline) / (target - baseline) * 100), 1)


def _cell(kpi: Any) -> Cell:
    latest = kpi.measurements[-1].value if kpi.measurements else None
    return Cell(
        kpi.name,
        kpi.unit,
        kpi.baseline,
        kpi.target,
        latest,
        progress(kpi.baseline, kpi.target, latest),
    )


def compare(pilots: list[Any]) -> list[Row]:
    """The KPIs of ``pilots`` matched by key: the shared ones first, in the order they first
    appear, then those of one pilot only."""
    keys: list[str] = []
    cells: dict[str, list[Cell | None]] = {}
    for n, pilot in enumerate(pilots):
        for kpi in pilot.kpis:
            key = kpi.match_key
            if key not in cells:
                keys.append(key)
                cells[key] = [None] * len(pilots)
            if cells[key][n] is None:
                cells[key][n] = _cell(kpi)
    rows = [Row(k, tuple(cells[k])) for k in keys]
    return [r for r in rows if r.shared] + [r for r in rows if not r.shared]
