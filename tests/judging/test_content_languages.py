"""Criteria and stages have one field per language the challenge's tracks declare, and
keep the texts of a language no track declares any more."""

from __future__ import annotations

import re

from competitions.core.extensions import db
from competitions.judging import rubrics
from tests.judging.conftest import make_rubric


def inputs(page: str, prefix: str) -> list[str]:
    return re.findall(rf'name="{prefix}_([a-z]{{2}})"', page)


def test_criteria_have_a_field_per_declared_language_through_the_pages(
    world, client, login, challenge, ca_track, us_track
):
    ca_track.languages = ["en", "de", "ar"]
    db.session.commit()
    rubric = make_rubric(world, challenge)
    db.session.commit()
    base = f"/challenges/{challenge.slug}/rounds/{rubric.round_id}/rubric"
    login(world.admin_a)
    page = client.get(base).get_data(as_text=True)
    for prefix in ("title", "guidance", "descriptors"):
        assert inputs(page, prefix) == ["en", "de", "ar"], prefix
    assert re.search(r'<input[^>]*dir="rtl"[^>]*name="title_ar"', page) or re.search(
        r'<input[^>]*name="title_ar"[^>]*dir="rtl"', page
    )
    response = client.post(
        f"{base}/criteria?stage=1",
        data={
            "title_en": "Nutrition",
            "title_de": "Ernährung",
            "title_ar": "التغذية",
            "descriptors_de": "10: Hervorragend",
            "weight": "1",
            "scale_min": "0",
            "scale_max": "10",
            "step": "1",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.refresh(rubric)
    added = rubric.criteria[-1]
    assert added.title == {"en": "Nutrition", "de": "Ernährung", "ar": "التغذية"}
    assert added.described_levels["10"] == {"de": "Hervorragend"}
    # The track drops Arabic: the edit page shows English and German, and saving keeps Arabic.
    ca_track.languages = ["en", "de"]
    db.session.commit()
    url = f"{base}/criteria/{added.id}?stage=1"
    page = client.get(url).get_data(as_text=True)
    assert inputs(page, "title") == ["en", "de"]
    assert 'value="Ernährung"' in page
    response = client.post(
        url,
        data={
            "title_en": "Nutrition value",
            "title_de": "Nährwert",
            "descriptors_de": "10: Sehr gut",
            "weight": "1",
            "scale_min": "0",
            "scale_max": "10",
            "step": "1",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.refresh(added)
    assert added.title == {"en": "Nutrition value", "de": "Nährwert", "ar": "التغذية"}


def test_stage_names_follow_the_declared_languages(world, client, login, challenge, ca_track):
    ca_track.languages = ["en", "es"]
    db.session.commit()
    rubric = make_rubric(world, challenge)
    rubric.name = {"en": "Review", "fr": "Évaluation"}
    db.session.commit()
    login(world.admin_a)
    page = client.get(f"/challenges/{challenge.slug}/judging").get_data(as_text=True)
    assert inputs(page, "name") == ["en", "es"]
    response = client.post(
        f"/challenges/{challenge.slug}/rounds/{rubric.round_id}/stage?stage=1",
        data={"name_en": "Technical review", "name_es": "Revisión técnica", "panel_scope": "all"},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    db.session.refresh(rubric)
    stage = rubrics.stages_of(challenge.rounds[0])[0]
    assert stage.name == {"en": "Technical review", "fr": "Évaluation", "es": "Revisión técnica"}
