"""The insights page: who sees which tracks, the charts with their tables, the CSV of exactly
the plotted numbers, French, and a number of queries that does not grow with the data."""

from __future__ import annotations

import csv
import html
import io
import re

from competitions.core.extensions import db
from tests.insights.conftest import new_team, person, register

PAGE = "/challenges/dsfc/insights"


def _csv(client, key):
    response = client.get(f"{PAGE}/{key}.csv")
    assert response.status_code == 200, response.status
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _figure(page, key):
    start = page.index(f'id="figure-{key}"')
    return page[start : page.index("</figure>", start)]


def _plotted(figure):
    """(category, series, value) of every bar the SVG draws, from the bars' titles."""
    svg = figure[figure.index("<svg") : figure.index("</svg>")]
    found = re.findall(r"<(?:rect|circle) [^>]*><title>([^<]*) — ([^<]*): ([-\d.,]+)</title>", svg)
    return [(c, s, float(v.replace(",", ""))) for c, s, v in found]


def test_the_lead_sees_every_track_side_by_side(client, login, world, scene):
    login(world.admin_a)
    response = client.get(PAGE)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Insights of Deep Space Food" in page
    funnel = _csv(client, f"funnel-{scene['round'].id}")
    assert funnel == [
        ["Stage", "Canada track", "US track", "All tracks"],
        ["Registered", "4", "3", "7"],
        ["Submitted", "3", "2", "5"],
        ["Eligible", "2", "2", "4"],
        ["Advanced", "1", "1", "2"],
        ["Winners", "1", "1", "2"],
    ]
    assert _csv(client, "outreach")[-1] == ["All tracks · all languages", "1", "2", "1", "1"]
    for section in ("Registrations", "Entrants", "Funnel", "Eligibility", "Judging", "Outreach"):
        assert f">{section}</h2>" in page
    assert 'role="img"' in page and "<desc id=" in page


def test_a_partner_sees_its_own_track_and_the_totals_only(client, login, world, scene):
    login(world.admin_b)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert "Canada track" not in page
    assert _csv(client, "countries") == [
        ["Country", "US track", "All tracks"],
        ["Canada", "0", "4"],
        ["United States", "2", "2"],
        ["France", "1", "1"],
    ]
    # The Canadian judges' leniency is agency A's; agency B's judge shares no submission.
    assert 'id="figure-leniency-' not in page
    outreach = _csv(client, "outreach")
    assert outreach[0] == ["Track · language", "Queued", "Sent", "Failed", "Unsubscribed since"]
    assert ["US track · English", "1", "0", "0", "0"] in outreach
    assert outreach[-1] == ["All tracks · all languages", "1", "2", "1", "1"]


def test_each_csv_holds_exactly_the_numbers_the_chart_draws(client, login, world, scene):
    login(world.admin_a)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    keys = re.findall(r'id="figure-([\w-]+)"', page)
    assert {"registrations", "countries", "outcomes", "reasons", "outreach"} <= set(keys)
    checked = 0
    for key in keys:
        figure = _figure(page, key)
        if "<svg" not in figure:
            continue
        rows = _csv(client, key)
        header, body = rows[0], rows[1:]
        shown = re.findall(r'<th scope="row">([^<]*)</th>', figure)
        from_csv = sorted(
            (label, header[1 + i], float(v))
            for label, row in zip(shown, body, strict=True)
            for i, v in enumerate(row[1:])
        )
        assert sorted(_plotted(figure)) == from_csv, key
        checked += 1
        # The table shows the same numbers as the CSV.
        table = figure[figure.index("<tbody>") : figure.index("</tbody>")]
        cells = [
            float(c.replace(",", ""))
            for c in re.findall(r'<td class="text-end">([^<]*)</td>', table)
        ]
        assert sorted(cells) == sorted(float(v) for row in body for v in row[1:]), key
    assert checked >= 8


def test_the_leniency_of_each_judge_comes_from_the_round_results(client, login, world, scene):
    from competitions.judging import results

    login(world.admin_a)
    client.get(PAGE)
    report = results.results_of(scene["round"]).leniency
    compared = [r for r in report if r.difference is not None]
    rows = _csv(client, f"leniency-{scene['round'].id}")
    assert rows[0] == ["Judge", "Difference (points)"]
    assert sorted(float(r[1]) for r in rows[1:]) == sorted(round(r.difference, 1) for r in compared)
    assert len(compared) == 2  # the two judges of the first Canadian submission


def test_the_page_is_in_french(client, login, world, scene):
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    login(world.admin_a)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert "Volet canadien" in page
    assert "Inscriptions" in page and "Entonnoir" in page


def test_an_unknown_chart_answers_404(client, login, world, scene):
    login(world.admin_a)
    assert client.get(f"{PAGE}/nothing.csv").status_code == 404


def test_the_page_costs_the_same_whatever_the_number_of_entries(
    client, login, world, scene, ca_track, count_queries
):
    login(world.admin_a)
    client.get(PAGE)
    with count_queries() as few:
        assert client.get(PAGE).status_code == 200
    for i in range(12):
        register(new_team(person("CA"), "CA", name=f"More {i}"), ca_track)
    db.session.commit()
    client.get(PAGE)
    with count_queries() as many:
        assert client.get(PAGE).status_code == 200
    assert many.count == few.count, (few.count, many.count)
    assert few.count <= 25, "\n\n".join(s[:150] for s in few.statements)


def test_the_consoles_link_to_the_insights(client, login, world, scene):
    login(world.admin_b)
    link = f'href="{PAGE}"'
    assert link in client.get("/challenges/dsfc/manage").get_data(as_text=True)
    assert link in client.get("/agencies/agency-b/challenges").get_data(as_text=True)


def test_a_challenge_without_entries_shows_that_there_is_nothing_yet(
    client, login, world, challenge
):
    login(world.admin_b)
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert page.count("Nothing to show yet.") >= 6
    assert 'class="insight-svg"' not in page  # only zeros: nothing drawn
    assert _csv(client, "countries") == [["Country", "US track", "All tracks"]]
