"""The cost pages: an agency records its own cost lines (bad input refused with a message,
never a 500); the lead agency enters rates; each figure says how it was computed; a missing
rate is named, not guessed; the CSV holds exactly the figures shown; the previous edition is
side by side; the edition comparison per track; French; a bounded number of queries."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from competitions.challenges.services import tracks as track_services
from competitions.core.audit import AuditEvent
from competitions.core.extensions import db
from competitions.insights import cost_records, editions
from competitions.insights.models import CostLine, ExchangeRate
from tests.entries.conftest import build
from tests.insights.conftest import act, new_team, person, register

COSTS = "/challenges/dsfc/costs"
A_LINES = "/challenges/dsfc/tracks/{}/costs"


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)).replace("\xa0", " "))


def _line(client, track, **fields):
    data = {"category": "marketing", "amount": "1000", "currency": "USD", "spent_on": "2027-05-02"}
    data.update(fields)
    return client.post(A_LINES.format(track.slug), data=data)


def _table(page: str, key: str) -> list[list[str]]:
    start = page.index(f'id="cost-{key}"')
    table = page[start : page.index("</table>", start)]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells])
    return rows


def _csv(client, url=COSTS + ".csv"):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff").replace("\xa0", " ")
    return list(csv.reader(io.StringIO(text)))


def test_a_partner_records_its_costs_and_only_it_sees_its_lines(
    client, login, switch, world, scene, us_track, ca_track
):
    login(world.admin_b)
    page = client.get(A_LINES.format(us_track.slug))
    assert page.status_code == 200 and "No cost recorded yet." in _text(page)
    response = _line(client, us_track, note="Launch webinar ads")
    assert response.status_code == 302
    _line(client, us_track, category="staff", amount="2,500.50", spent_on="2027-05-20")
    page = _text(client.get(A_LINES.format(us_track.slug)))
    assert "1,000.00 USD" in page and "2,500.50 USD" in page and "Launch webinar ads" in page
    lines = db.session.scalars(sa.select(CostLine).order_by(CostLine.id)).all()
    assert [(line.agency_id, str(line.amount)) for line in lines] == [
        (world.agency_b.id, "1000.00"),
        (world.agency_b.id, "2500.50"),
    ]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "cost.line_added")
    ).first()
    assert event is not None and event.agency_id == world.agency_b.id
    # Another agency (the lead included) never opens B's lines, nor records B's costs.
    switch(world.admin_a)
    assert client.get(A_LINES.format(us_track.slug)).status_code == 404
    assert _line(client, us_track).status_code == 404
    # The lead sees B's totals per kind of cost, not its notes.
    overview = _text(client.get(COSTS))
    assert "Launch webinar ads" not in overview
    # B deletes a line of its own.
    switch(world.admin_b)
    first = lines[0].id
    assert client.post(f"{A_LINES.format(us_track.slug)}/{first}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(CostLine, first) is None
    # A's line is not B's to delete: 404.
    switch(world.admin_a)
    _line(client, ca_track, currency="CAD")
    mine = db.session.scalars(sa.select(CostLine).where(CostLine.agency_id == world.agency_a.id))
    a_line = mine.one().id
    switch(world.admin_b)
    url = f"{A_LINES.format(us_track.slug)}/{a_line}/delete"
    assert client.post(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(CostLine, a_line) is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "-5"}, "An amount cannot be negative."),
        ({"amount": "abc"}, "Enter the amount as a number"),
        ({"amount": "1.005"}, "Use at most two decimals."),
        ({"amount": "1e30"}, "Enter an amount from 0 to 999,999,999,999."),
        ({"currency": "XYZ"}, "XYZ is not an ISO 4217 currency."),
        ({"currency": "US"}, "US is not an ISO 4217 currency."),
        ({"spent_on": "2027-02-30"}, "Enter a real date as year-month-day"),
        ({"spent_on": "tomorrow"}, "Enter a real date as year-month-day"),
        ({"spent_on": "1850-01-01"}, "Enter a date from 2000 to 2100."),
        ({"category": "bribes"}, "Choose the kind of cost."),
        ({"category": "prizes"}, "Choose the kind of cost."),
        ({"note": "x" * 400}, "Keep the note under 300 characters."),
        ({"amount": ""}, "Enter the amount."),
    ],
)
def test_bad_cost_input_is_refused_with_a_message(
    client, login, world, scene, us_track, fields, message
):
    login(world.admin_b)
    response = _line(client, us_track, **fields)
    assert response.status_code == 200
    assert message in _text(response)
    assert db.session.scalar(sa.select(sa.func.count(CostLine.id))) == 0


def test_a_negative_amount_is_refused_by_the_service_too(app, world, scene, us_track):
    with (
        app.test_request_context(),
        pytest.raises(cost_records.DomainError, match="cannot be negative"),
    ):
        cost_records.add_line(
            act(world.admin_b),
            us_track,
            cost_records.CostLineData("staff", "-5.00", "USD", "2027-01-01"),
        )


def test_a_missing_rate_is_named_then_the_lead_enters_it(
    client, login, switch, world, scene, us_track, ca_track
):
    track_services.save_prize(
        act(world.admin_a),
        ca_track,
        None,
        track_services.PrizeData({"en": "Grand prize"}, "10000", "CAD", 2, {}),
    )
    db.session.commit()
    login(world.admin_b)
    _line(client, us_track, amount="3000")
    switch(world.admin_a)
    page = _text(client.get(COSTS))
    assert "Rate missing for USD" in page
    assert "Amounts are in CAD" in page  # the lead agency's (Canada) until chosen
    per = _text(client.get(COSTS))
    table = _table(per, "per-outcome")
    assert table[0] == ["Figure", "Agency A", "Agency B", "All partners"]
    eligible = next(r for r in table if r[0] == "Cost per eligible submission")
    # A: 20,000 CAD of prizes / 2 eligible; B: no number without the USD rate.
    assert eligible[1].startswith("10,000.00 CAD") and "20,000.00 CAD ÷ 2 eligible" in eligible[1]
    assert eligible[2].startswith("—") and "Rate missing for USD" in eligible[2]

    # A partner may not enter rates; the lead's bad rates are refused with a message.
    switch(world.admin_b)
    rate = {"from_currency": "USD", "rate": "1.37", "rate_date": "2027-05-31"}
    assert client.post(COSTS + "/rates", data=rate).status_code == 404
    switch(world.admin_a)
    for bad, message in (
        ({"rate": "-1"}, "A rate must be more than 0."),
        ({"rate": "0"}, "A rate must be more than 0."),
        ({"rate": "abc"}, "Enter the rate as a number"),
        ({"rate": "NaN"}, "A rate must be more than 0."),
        ({"from_currency": "CAD"}, "CAD is the reporting currency"),
        ({"from_currency": "ZZZ"}, "ZZZ is not an ISO 4217 currency."),
        ({"rate_date": "31/05/2027"}, "Enter a real date"),
    ):
        response = client.post(COSTS + "/rates", data={**rate, **bad})
        assert response.status_code == 200, bad
        assert message in _text(response), bad
    assert db.session.scalar(sa.select(sa.func.count(ExchangeRate.id))) == 0

    assert client.post(COSTS + "/rates", data=rate).status_code == 302
    per = _text(client.get(COSTS))
    assert "Rate missing" not in per
    eligible = next(r for r in _table(per, "per-outcome") if r[0] == "Cost per eligible submission")
    # 3,000 USD x 1.37 = 4,110.00 CAD, over B's 2 eligible submissions.
    assert eligible[2].startswith("2,055.00 CAD")
    assert "3,000.00 USD \u00d7 1.37 (rate of May 31, 2027) = 4,110.00 CAD" in per
    assert "4,110.00 CAD ÷ 2 eligible submissions = 2,055.00 CAD" in per
    total = next(r for r in _table(per, "spending") if r[0] == "Total")
    assert total[3].startswith("24,110.00 CAD")

    # The CSV holds exactly the figures shown: one row per cell of the tables.
    rows = _csv(client)
    assert rows[0] == ["Edition", "Table", "Figure", "Partner", "Value", "Currency", "How"]
    shown = sum(
        len(r) - 1 for key in ("spending", "per-outcome", "reach") for r in _table(per, key)[1:]
    )
    assert len(rows) - 1 == shown
    assert [
        "Edition 1",
        "Cost per outcome",
        "Cost per eligible submission",
        "Agency B",
        "2055.00",
        "CAD",
        "4,110.00 CAD ÷ 2 eligible submissions = 2,055.00 CAD",
    ] in rows

    # Another reporting currency: the USD rate no longer applies; CAD now needs one.
    assert client.post(COSTS + "/currency", data={"reporting_currency": "EUR"}).status_code == 302
    page = _text(client.get(COSTS))
    assert "Rates missing for CAD, USD" in page
    assert client.post(COSTS + "/currency", data={"reporting_currency": "QQQ"}).status_code == 200


def test_a_partner_sees_its_own_column_and_all_partners(client, login, world, scene, us_track):
    login(world.admin_b)
    page = _text(client.get(COSTS))
    assert _table(page, "spending")[0] == ["Figure", "Agency B", "All partners"]
    assert "Enter a rate" not in page  # the rates are the lead's
    assert "Record the costs of Agency B" in page
    reach = _table(page, "reach")
    assert reach[1][:3] == ["Countries of entrants", "2", "3"]  # US and FR; CA, US, FR
    assert reach[3][0] == "Followers" and reach[3][2] == "2"


def test_the_previous_edition_stands_side_by_side_and_is_compared(
    client, login, world, scene, challenge, count_queries
):
    before = build(world, "dsfc-2026", publish=False)
    a = act(world.admin_a)
    cost_records.add_line(
        a, before.tracks[0], cost_records.CostLineData("staff", "4000", "CAD", "2026-03-01")
    )
    challenge.previous_edition_id, challenge.edition = before.id, 2
    db.session.commit()
    login(world.admin_a)
    page = _text(client.get(COSTS))
    assert "Previous edition: Edition 1" in page
    previous = _table(page, "previous-spending")
    assert next(r for r in previous if r[0] == "Staff time")[1].startswith("4,000.00 CAD")
    assert "Edition 1" in {r[0] for r in _csv(client)[1:]}

    response = client.get("/challenges/dsfc/editions")
    assert response.status_code == 200
    text = _text(response)
    assert "Edition 2 against Edition 1" in text
    rows = re.findall(
        r'<tr><th scope="row">Registered teams</th><td class="text-end">(\d+)</td>'
        r'<td class="text-end">(\d+)</td><td class="text-end">([^<]*)</td>',
        response.get_data(as_text=True),
    )
    assert rows[0] == ("4", "0", "+4")  # Canada track: 4 now, none the year before
    assert "\u22124,000.00 CAD (\u2212100 %)" in text  # A's total cost: 0 now, 4,000 CAD before

    # The survey hook: a provider's scores join the comparison.
    def scores(ch):
        return {
            t.id: [("Overall satisfaction", 4 if ch.id == challenge.id else 3)] for t in ch.tracks
        }

    editions.register_survey_scores(scores)
    try:
        text = _text(client.get("/challenges/dsfc/editions"))
        assert "Survey: Overall satisfaction" in text and "+1 (+33 %)" in text
    finally:
        editions.SURVEY_SCORES.remove(scores)

    # The queries do not grow with the number of cost lines or entries.
    with count_queries() as few:
        assert client.get(COSTS).status_code == 200
    for n in range(6):
        cost_records.add_line(
            a, challenge.tracks[0], cost_records.CostLineData("events", "10", "GBP", "2027-01-01")
        )
        register(new_team(person("CA"), "CA", name=f"More {n}"), challenge.tracks[0])
    db.session.commit()
    with count_queries() as many:
        assert client.get(COSTS).status_code == 200
    assert many.count == few.count, many.statements


def test_the_previous_edition_is_hidden_from_an_agency_that_was_not_in_it(
    client, login, world, scene, challenge
):
    before = build(world, "dsfc-2026", publish=False)
    before.tracks.remove(before.tracks[1])  # agency B had no track then
    challenge.previous_edition_id, challenge.edition = before.id, 2
    db.session.commit()
    login(world.admin_b)
    text = _text(client.get(COSTS))
    assert "shown only to the agencies that took part in it" in text
    assert "Previous edition" not in text


def test_the_cost_pages_are_in_french(client, login, world, scene, us_track):
    world.admin_b.preferred_language = "fr"
    db.session.commit()
    login(world.admin_b)
    assert "Coût par soumission admissible" in _text(client.get(COSTS))
    _line(client, us_track, amount="-3")
    text = _text(_line(client, us_track, amount="abc"))
    assert "Saisissez le montant" in text
    assert "Comparaison des éditions" in _text(client.get("/challenges/dsfc/editions"))


def test_the_console_and_the_insights_link_to_the_costs(client, login, world, scene, us_track):
    login(world.admin_b)
    console = client.get("/challenges/dsfc/manage").get_data(as_text=True)
    assert 'href="/challenges/dsfc/costs"' in console
    assert f'href="/challenges/dsfc/tracks/{us_track.slug}/costs"' in console
    insights = client.get("/challenges/dsfc/insights").get_data(as_text=True)
    assert 'href="/challenges/dsfc/costs"' in insights
    assert 'href="/challenges/dsfc/editions"' in insights


def test_a_budget_for_success_counts_in_the_agency_s_spending(
    client, login, world, scene, ca_track
):
    from competitions.awards import reserves

    reserves.set_reserve(
        act(world.admin_a),
        ca_track,
        reserves.ReserveData("50000", "CAD", {"en": "Pilots in our test-bed"}, False),
    )
    db.session.commit()
    login(world.admin_a)
    per = _text(client.get(COSTS))
    reserve = next(r for r in _table(per, "spending") if r[0].startswith("Budget for success"))
    assert reserve[1].startswith("50,000.00 CAD")
    total = next(r for r in _table(per, "spending") if r[0] == "Total")
    assert total[1].startswith("50,000.00 CAD")
