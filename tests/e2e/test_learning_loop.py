"""E2E in Chromium, the learning loop of issue 16 through the pages: the partner agency's admin
(US) records a cost of its track and sends a feedback survey to its track's entrants; the entrant
follows the emailed link and answers; the lead agency's admin (Canada), who reads Tandem in
French, enters the missing exchange rate, reads the cost per eligible submission of each
partner on the cost page, then downloads the challenge's report as a PDF, whose text holds the
same figures. axe-core on every new page visited."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from competitions.accounts.models import User
from competitions.agencies.models import Agency, Membership, Role
from competitions.core.extensions import db
from tests.e2e.test_judging import _judging_world
from tests.e2e.test_team_registration import _page, _user
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils"),
]


def _plain(text: str) -> str:
    """Text with the no-break and narrow no-break spaces of French numbers as plain spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _cells(page: Any, figure: str) -> list[str]:
    row = page.locator("#cost-per-outcome tbody tr").filter(
        has=page.get_by_role("rowheader", name=figure, exact=True)
    )
    return [_plain(c.inner_text().strip()) for c in row.locator("th, td").all()]


def test_costs_survey_answer_then_the_lead_reads_cost_per_partner_and_the_pdf(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture, tmp_path: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    partner_email, lead_email = f"us-admin-{run}@agency.example", f"ca-admin-{run}@agency.example"
    oak = f"oak-{run}@example.org"  # the US track's entrant
    with live_app.app_context():
        slug = _judging_world(run)  # CA track (lead, prize 150,000 CAD): two entries; US: one
        for prefix, email, country in (("us", partner_email, "US"), ("ca", lead_email, "CA")):
            agency = db.session.query(Agency).filter_by(slug=f"{prefix}-{run}").one()
            admin = _user(email, country, "UTC")
            db.session.flush()
            db.session.add(Membership(user=admin, agency=agency, role=Role.ADMIN))
        db.session.commit()

    # 1. The partner records a cost of its track.
    ctx, partner = _page(browser, live_server, partner_email)
    partner.goto(f"/challenges/{slug}/manage")
    partner.get_by_role("link", name="Costs US track").click()
    partner.wait_for_url(f"**/challenges/{slug}/tracks/*/costs")
    assert_accessible(partner)
    partner.get_by_label("Kind of cost").select_option("marketing")
    partner.get_by_label("Amount").fill("3000")
    partner.get_by_label("Currency").select_option("USD")
    partner.get_by_label("Date").fill("2026-11-30")
    partner.get_by_role("button", name="Record the cost").click()
    partner.wait_for_url(f"**/challenges/{slug}/tracks/*/costs")
    assert "3,000.00 USD" in _plain(partner.locator("#cost-lines").inner_text())

    # 2. ... and sends a survey to its track's entrants.
    partner.goto(f"/challenges/{slug}/manage")
    partner.get_by_role("link", name="Surveys", exact=True).click()
    partner.wait_for_url("**/surveys")
    assert_accessible(partner)
    partner.get_by_role("link", name="Create a survey").click()
    assert_accessible(partner)
    partner.get_by_label("Whose people are asked").select_option(label="US track")
    partner.get_by_label("Title (English)").fill(f"After phase 1 {run}")
    partner.get_by_role("button", name="Create the survey").click()
    partner.wait_for_url("**/surveys/*")
    assert "Sent now, it would ask 1 person." in partner.locator("main").inner_text()
    assert_accessible(partner)
    partner.get_by_role("link", name="Add a question").click()
    partner.get_by_label("One choice from a list").check()
    partner.get_by_role("button", name="Continue").click()
    partner.get_by_label("Question (English)").fill("Would you enter again?")
    partner.get_by_label("Option (English)").fill("Yes")
    partner.get_by_role("button", name="Add another option").click()
    partner.get_by_label("Option (English)").nth(1).fill("No")
    assert_accessible(partner)
    partner.get_by_role("button", name="Save the question", exact=True).last.click()
    partner.wait_for_url("**/surveys/*")
    partner.get_by_role("button", name="Send the survey now").click()
    partner.wait_for_load_state()
    assert "1 invitation" in partner.locator(".flashes").inner_text()
    ctx.close()

    # 3. The entrant answers from the emailed link.
    (invitation,) = smtp_server.wait_for(oak)
    link = next(
        line for line in SMTPCapture.text(invitation).splitlines() if "/surveys/" in line
    ).strip()
    ctx, entrant = _page(browser, live_server, oak)
    entrant.goto(urlsplit(link).path)
    assert_accessible(entrant)
    entrant.get_by_label("Yes").check()
    entrant.get_by_role("button", name="Send my answers").click()
    entrant.wait_for_load_state()
    assert "Thank you: your answers are recorded." in entrant.locator("main").inner_text()
    assert_accessible(entrant)
    ctx.close()

    # 4. The lead, in French: the rate of the partner's currency, then cost per partner.
    with live_app.app_context():
        db.session.query(User).filter_by(email=lead_email).one().preferred_language = "fr"
        db.session.commit()
    ctx, lead = _page(browser, live_server, lead_email)
    lead.goto(f"/challenges/{slug}/manage")
    assert lead.locator("html").get_attribute("lang") == "fr"
    lead.get_by_role("link", name="Coûts", exact=True).click()
    lead.wait_for_url(f"**/challenges/{slug}/costs")
    assert "USD" in lead.locator("#rates-missing").inner_text()
    assert_accessible(lead)
    lead.get_by_label("Devise", exact=True).select_option("USD")
    lead.get_by_label("Taux", exact=True).fill("1,37")  # a French decimal comma
    lead.get_by_label("Date du taux").fill("2026-11-30")
    lead.get_by_role("button", name="Enregistrer le taux").click()
    lead.wait_for_url(f"**/challenges/{slug}/costs#rates")
    assert lead.locator("#rates-missing").count() == 0
    header = [
        _plain(c.inner_text().strip()) for c in lead.locator("#cost-per-outcome thead th").all()
    ]
    assert f"Canada {run}" in header[1] and f"States {run}" in header[2]  # per partner
    _label, ca_cell, us_cell, *_total = _cells(lead, "Coût par soumission admissible")
    # The lead's prize (150,000 CAD) over its 2 eligible submissions; the partner's cost
    # (3,000 USD at 1.37) over its 1.
    assert ca_cell.startswith("75 000,00")
    assert us_cell.startswith("4 110,00")
    assert "÷ 1 soumission admissible" in us_cell
    assert_accessible(lead)

    # 5. ... and the report as a PDF holds the same figure.
    lead.goto(f"/challenges/{slug}/manage")
    lead.get_by_role("link", name="Rapport", exact=True).click()
    lead.wait_for_url(f"**/challenges/{slug}/report")
    assert_accessible(lead)
    with lead.expect_download() as download:
        lead.get_by_role("link", name="Télécharger en PDF").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    layout = _plain(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    )
    # The cost table's rows as laid out (labels and cells wrap over several lines): the
    # eligible submissions' row, then the cost per eligible submission, before the finalists.
    block = layout[layout.index("Soumissions") : layout.index("Finalistes")]
    assert all(word in block for word in ("Coût par", "soumission", "admissible"))
    assert "150 000,00 CAD ÷ 2" in block and "75 000,00 CAD" in block  # the lead
    assert "4 110,00 CAD ÷ 1" in block and "soumission admissible =" in block  # the partner
    ctx.close()
