"""E2E in Chromium: a partner agency's admin records a cost from the challenge's console (a
negative amount is refused with a message first); the lead agency's admin opens the cost per
partner, reads that the USD rate is missing, enters it, and reads each partner's cost per
eligible submission with how it was computed. axe-core on every page visited."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.agencies.models import Agency, Membership, Role
from competitions.core.extensions import db
from tests.e2e.test_judging import _judging_world
from tests.e2e.test_team_registration import _page, _user
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e


def _world(run: str) -> str:
    """The judging world (CA track: prize 150,000 CAD, two submissions; US track: one), with
    an admin of each agency."""
    slug = _judging_world(run)
    for prefix, country in (("ca", "CA"), ("us", "US")):
        agency = db.session.query(Agency).filter_by(slug=f"{prefix}-{run}").one()
        admin = _user(f"{prefix}-admin-{run}@agency.example", country, "UTC")
        db.session.flush()
        db.session.add(Membership(user=admin, agency=agency, role=Role.ADMIN))
    db.session.commit()
    return slug


def _row(page: Any, table: str, figure: str) -> list[str]:
    row = page.locator(f"#cost-{table} tbody tr").filter(
        has=page.get_by_role("rowheader", name=figure, exact=True)
    )
    return [c.inner_text().strip().replace("\xa0", " ") for c in row.locator("th, td").all()]


def test_a_partner_records_costs_and_the_lead_reads_cost_per_eligible_submission(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _world(run)

    ctx, partner = _page(browser, live_server, f"us-admin-{run}@agency.example")
    partner.goto(f"/challenges/{slug}/manage")
    partner.get_by_role("link", name="Costs US track").click()
    partner.wait_for_url(f"**/challenges/{slug}/tracks/*/costs")
    assert partner.get_by_text("No cost recorded yet.").is_visible()
    assert_accessible(partner)
    partner.get_by_label("Kind of cost").select_option("marketing")
    partner.get_by_label("Amount").fill("-3000")
    partner.get_by_label("Currency").select_option("USD")
    partner.get_by_label("Date").fill("2026-11-30")
    partner.get_by_label("Note (optional)").fill("Launch ads")
    partner.get_by_role("button", name="Record the cost").click()
    assert (
        partner.locator(".invalid-feedback, .error-summary, [role=alert]")
        .filter(has_text="An amount cannot be negative.")
        .first.is_visible()
    )
    assert_accessible(partner)
    partner.get_by_label("Amount").fill("3000")
    partner.get_by_role("button", name="Record the cost").click()
    partner.wait_for_url(f"**/challenges/{slug}/tracks/*/costs")
    lines = partner.locator("#cost-lines").inner_text().replace("\xa0", " ")
    assert "3,000.00 USD" in lines and "Launch ads" in lines
    assert_accessible(partner)
    ctx.close()

    ctx, lead = _page(browser, live_server, f"ca-admin-{run}@agency.example")
    lead.goto(f"/challenges/{slug}/manage")
    lead.get_by_role("link", name="Costs", exact=True).click()
    lead.wait_for_url(f"**/challenges/{slug}/costs")
    assert "Rate missing for USD" in lead.locator("#rates-missing").inner_text()
    eligible = _row(lead, "per-outcome", "Cost per eligible submission")
    assert eligible[0] == "Cost per eligible submission"
    assert eligible[1].startswith("75,000.00 CAD")  # 150,000 CAD of prizes / 2
    assert eligible[2].startswith("—") and "Rate missing for USD" in eligible[2]
    assert "Launch ads" not in lead.locator("main").inner_text()  # the partner's own note
    assert_accessible(lead)

    lead.get_by_label("Currency", exact=True).select_option("USD")
    lead.get_by_label("Rate", exact=True).fill("1.37")
    lead.get_by_label("Date of the rate").fill("2026-11-30")
    lead.get_by_role("button", name="Save the rate").click()
    lead.wait_for_url(f"**/challenges/{slug}/costs#rates")
    assert lead.locator("#rates-missing").count() == 0
    eligible = _row(lead, "per-outcome", "Cost per eligible submission")
    assert eligible[2].startswith("4,110.00 CAD")
    assert "4,110.00 CAD ÷ 1 eligible submission = 4,110.00 CAD" in eligible[2]
    assert "150,000.00 CAD ÷ 2 eligible submissions = 75,000.00 CAD" in eligible[1]
    spending = _row(lead, "spending", "Total")
    assert spending[3].startswith("154,110.00 CAD")
    assert_accessible(lead)
    ctx.close()
