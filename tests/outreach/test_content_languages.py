"""Announcements follow the languages the tracks declare: the form shows one subject and
message per declared language, and each entrant gets the announcement in their language if
their track declares it, else in the track's first language."""

from __future__ import annotations

import re

from competitions.core.extensions import db
from tests.outreach.test_announcements import challenge as challenge  # a fixture
from tests.outreach.test_announcements import people as people  # a fixture


def test_a_german_speaking_track_gets_the_announcement_in_german(
    world, challenge, client, login, people, mail
):
    ca = challenge.tracks[0]
    ca.languages = ["de", "en"]
    db.session.commit()
    login(world.admin_a)
    base = f"/challenges/{challenge.slug}/announcements"
    page = client.get(f"{base}/new").get_data(as_text=True)
    assert re.findall(r'name="subject_([a-z]{2})"', page) == ["en", "de"]
    assert re.findall(r'name="body_([a-z]{2})"', page) == ["en", "de"]
    assert "Message (German, Markdown)" in page and "Subject (German)" in page
    response = client.post(
        f"{base}/new",
        data={
            "scope": "",
            "subject_en": "Webinar",
            "body_en": "Join us on **Friday**.",
            "subject_de": "Webinar am Freitag",
            "body_de": "Kommen Sie am **Freitag**.",
            "subject_fr": "Ignored: French is not declared",
            "body_fr": "Ignoré.",
            "audiences": ["entries"],
        },
    )
    assert response.status_code == 302
    client.post(response.headers["Location"], data={"action": "send"})
    # Claire reads French, which her track no longer declares: its first language, German.
    assert mail.to("claire@example.org")[0]["Subject"] == "Webinar am Freitag"
    assert mail.to("bob@example.org")[0]["Subject"] == "Webinar"  # English is declared
    assert mail.to("uma@example.org")[0]["Subject"] == "Webinar"  # the US track: English
