"""The report of a challenge (page and PDF) and its open data (issue 16, point 6)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest

from competitions.core.extensions import db
from competitions.lessons import services as lessons
from competitions.reports import services
from tests.entries.conftest import act, events, text

PAGE = "/challenges/dsfc/report"


def test_the_lead_reads_headline_figures_charts_and_lessons(client, login, world, scene):
    lessons.save_section(
        act(world.admin_b),
        scene["round"].challenge,
        world.agency_b,
        lessons.SectionData("Joint webinars", "", "", ["funnel"]),
    )
    db.session.commit()
    login(world.admin_a)
    page = text(client.get(PAGE))
    assert "Report of Deep Space Food" in page
    headline = page[
        page.index('id="headline"') : page.index("</table>", page.index('id="headline"'))
    ]
    assert "Canada track" in headline and "US track" in headline and "All tracks" in headline
    assert page.count("<svg") >= 8  # every chart of the insights
    assert "Joint webinars" in page and "Draft: not yet published" in page
    assert "report-print.css" in page
    # Cost per outcome, each figure with how it was computed.
    assert "Cost per outcome" in page and 'class="cost-how' in page


def test_a_partner_reads_its_own_track_and_the_totals_only(client, login, world, scene):
    login(world.admin_b)
    page = text(client.get(PAGE))
    assert "US track" in page and "Canada track" not in page


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_the_pdf_renders_every_page(client, login, world, scene, tmp_path):
    login(world.admin_a)
    response = client.get(f"{PAGE}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    (tmp_path / "report.pdf").write_bytes(response.data)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4  # headline, then one page per section at least
    assert all(p.stat().st_size > 1000 for p in pages)  # each holds a rendered page
    text_out = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Report of Deep Space Food" in text_out and "Funnel" in text_out


def test_open_data_is_published_by_the_lead_frozen_and_without_small_counts(
    client, login, world, scene, switch
):
    challenge = scene["round"].challenge
    login(world.admin_b)
    assert client.post("/challenges/dsfc/open-data/publish").status_code == 404
    assert client.get("/challenges/dsfc/open-data.json").status_code == 404
    switch(world.admin_a)
    client.post("/challenges/dsfc/open-data/publish")
    assert len(events("open_data.published")) == 1
    data = json.loads(client.get("/challenges/dsfc/open-data.json").get_data(as_text=True))
    assert data["format"] == "tandem-open-data/1"
    funnel = next(t for t in data["tables"] if t["key"] == f"funnel-{scene['round'].id}")
    assert funnel["columns"] == ["Stage", "Canada track", "US track", "All tracks"]
    assert funnel["rows"][0] == ["Registered", "<5", "<5", 7]
    assert {t["section"] for t in data["tables"]} <= {
        "registrations",
        "entrants",
        "funnel",
        "eligibility",
    }
    # Nothing personal: no judge, no email address, no person's name.
    raw = json.dumps(data)
    assert "@" not in raw and "judging" not in {t["section"] for t in data["tables"]}
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/challenges/dsfc/open-data.csv").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    assert rows[0] == ["section", "table", "title", "category", "column", "value"]
    assert ["funnel", funnel["key"], funnel["title"], "Registered", "All tracks", "7"] in rows
    # Public on the challenge page, for anyone.
    switch(world.innovator)
    assert "/challenges/dsfc/open-data.csv" in text(client.get("/challenges/dsfc"))
    # Withdrawn: gone.
    services.withdraw_open_data(act(world.admin_a), challenge)
    db.session.commit()
    assert client.get("/challenges/dsfc/open-data.json").status_code == 404


def test_the_pdf_renders_right_to_left_in_arabic(client, login, world, scene):
    """WeasyPrint lays out a right-to-left report (``<html dir=rtl>``); its inline charts once
    crashed it there, so the PDF's stylesheet makes them blocks."""
    world.admin_a.preferred_language = "ar"
    db.session.flush()
    login(world.admin_a)
    response = client.get(f"{PAGE}.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
