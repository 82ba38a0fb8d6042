"""The charts from the figures, without the database: buckets of registrations over time, the
columns a viewer gets, escaping in the SVG and formula-safe CSV cells."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from competitions.insights import charts, svg
from competitions.insights.aggregation import DayCount, Figures, KeyCount
from competitions.insights.charts import Chart, Column, Series
from competitions.insights.services import chart_csv


def _figures(**parts):
    empty = dict.fromkeys(Figures.__dataclass_fields__, ())
    return Figures(**{**empty, **parts})


COLS = [Column("A", frozenset({1})), Column("All tracks", frozenset({1, 2}))]


@pytest.mark.parametrize(
    ("span", "first_bucket", "buckets"),
    [
        (10, date(2027, 3, 3), 10),  # day by day
        (100, date(2027, 3, 1), 15),  # weeks from the Monday before
        (1000, date(2027, 3, 1), 33),  # months
    ],
)
def test_registrations_are_cumulative_per_day_week_or_month(app, span, first_bucket, buckets):
    start = date(2027, 3, 3)  # a Wednesday
    rows = (
        DayCount(1, start, 2),
        DayCount(2, start, 1),
        DayCount(2, start + timedelta(days=span - 1), 4),
    )
    with app.test_request_context():
        chart = charts.registrations_chart(_figures(registrations=rows), COLS, str)
    assert chart.csv_categories[0] == first_bucket.isoformat()
    assert len(chart.categories) == buckets
    a, total = chart.series
    assert a.values[0] == 2 and a.values[-1] == 2  # track 1 registered nothing later
    assert total.values[0] == 3 and total.values[-1] == 7
    assert list(total.values) == sorted(total.values)  # cumulative


def test_ranked_bars_sum_the_countries_beyond_the_top(app):
    rows = [KeyCount(1, f"C{n:02d}", 20 - n) for n in range(15)]
    with app.test_request_context():
        chart = charts.ranked_bars("k", "t", "d", "c", rows, COLS, str, top=12, other="Other")
    assert chart.categories[:2] == ("C00", "C01") and chart.categories[-1] == "Other"
    assert len(chart.categories) == 13
    assert chart.series[0].values[-1] == 8 + 7 + 6  # the three smallest, summed
    assert sum(chart.series[1].values) == sum(r.count for r in rows)


def _chart(label: str) -> Chart:
    return Chart(
        "k", label, "desc <b>", "bars", "Track", (label,), (Series(label, (-2.5,)),), (), 1
    )


def test_labels_are_escaped_in_the_svg():
    drawn = str(svg.draw(_chart("<script>alert(1)</script>"), str))
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn
    assert "desc &lt;b&gt;" in drawn and 'role="img"' in drawn


def test_a_negative_value_draws_left_of_a_zero_line():
    drawn = str(svg.draw(_chart("x"), str))
    assert 'class="insight-axis"' in drawn


def test_csv_cells_cannot_run_as_formulas():
    text = "".join(chart_csv(_chart('=HYPERLINK("http://x")')))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Track", '\'=HYPERLINK("http://x")']
    assert rows[1] == ['\'=HYPERLINK("http://x")', "-2.5"]  # a number stays a number
