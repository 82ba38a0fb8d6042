"""Eligibility documents: a track asks for them, members send them (checked by content), the
track's admins verify or reject them with a reason, and the team sees where each one stands."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.entries import documents
from competitions.entries.models import DocumentScope, EligibilityDocument
from tests.entries.conftest import act, count, events, new_team, person, register, text
from tests.support.storage import stored_keys

PDF = b"%PDF-1.4\n% proof of residence\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def team_entry(world, challenge, ca_track):
    mate = person("CA", email="mate@example.org", display_name="Mia Mate")
    team = new_team(world.innovator, "CA", 30, name="Maple", members=[(mate, "CA", 30)])
    entry = register(team, ca_track)
    return entry, mate


@pytest.fixture
def proof(world, ca_track):
    r = documents.add_requirement(
        act(world.admin_a),
        ca_track,
        documents.RequirementData(
            {"en": "Proof of residence", "fr": "Preuve de résidence"},
            {"en": "A utility bill or a lease."},
            DocumentScope.MEMBER,
            ["pdf", "png"],
            1,
        ),
    )
    db.session.commit()
    return r


def post_file(client, entry, req, subject, data, name="proof.pdf"):
    boundary, body = encode_multipart(
        {
            "requirement": str(req.id),
            "subject": subject,
            "file": FileStorage(io.BytesIO(data), filename=name),
        }
    )
    return client.post(
        f"/entries/{entry.id}/documents",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


# --- what a track asks for ------------------------------------------------------------------


def test_a_track_admin_adds_and_retires_requirements(world, client, login, ca_track, challenge):
    login(world.admin_a)
    page = f"/challenges/{challenge.slug}/tracks/{ca_track.slug}/documents"
    assert "asks for no documents yet" in text(client.get(page))
    response = client.post(
        page,
        data={
            "label_en": "Proof of incorporation",
            "label_fr": "Preuve de constitution",
            "scope": "organisation",
            "file_types": ["pdf"],
            "max_size_mb": "5",
        },
    )
    assert response.status_code == 302
    html = text(client.get(page))
    assert "Proof of incorporation" in html and "Organisations only" in html
    (r,) = documents.requirements_of(ca_track)
    assert r.label == {"en": "Proof of incorporation", "fr": "Preuve de constitution"}
    assert len(events("document_requirement.added")) == 1
    response = client.post(f"{page}/{r.id}/retire")
    assert response.status_code == 302
    assert documents.requirements_of(ca_track) == []
    assert len(events("document_requirement.retired")) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scope": "member", "file_types": ["pdf"], "max_size_mb": "1"}, "Name the document"),
        ({"label_en": "X", "scope": "alien", "file_types": ["pdf"], "max_size_mb": "1"}, "who"),
        ({"label_en": "X", "scope": "team", "max_size_mb": "1"}, "accepted file types"),
        ({"label_en": "X", "scope": "team", "file_types": ["exe"], "max_size_mb": "1"}, "types"),
        ({"label_en": "X", "scope": "team", "file_types": ["pdf"], "max_size_mb": "99"}, "20"),
    ],
)
def test_a_bad_requirement_is_refused_with_a_reason(
    world, client, login, ca_track, challenge, data, message
):
    login(world.admin_a)
    page = f"/challenges/{challenge.slug}/tracks/{ca_track.slug}/documents"
    html = text(client.post(page, data=data), 400)
    assert "There is a problem" in html and message in html
    assert documents.requirements_of(ca_track) == []


def test_staff_and_other_agencies_cannot_set_requirements(world, ca_track):
    for user in (world.staff_a, world.admin_b, world.innovator):
        with pytest.raises(NotFound):
            documents.add_requirement(
                act(user),
                ca_track,
                documents.RequirementData({"en": "X"}, {}, "team", ["pdf"], 1),
            )


# --- what an entry owes ---------------------------------------------------------------------


def test_member_documents_are_owed_by_each_member_and_organisation_ones_by_organisations(
    world, ca_track, team_entry, proof
):
    entry, mate = team_entry
    documents.add_requirement(
        act(world.admin_a),
        ca_track,
        documents.RequirementData({"en": "Incorporation"}, {}, "organisation", ["pdf"], 1),
    )
    documents.add_requirement(
        act(world.admin_a),
        ca_track,
        documents.RequirementData({"en": "Letter of support"}, {}, "team", ["pdf"], 1),
    )
    db.session.commit()
    slots = documents.slots_for(entry)
    owed = sorted((s.requirement.label["en"], s.subject) for s in slots)
    assert owed == sorted(
        [
            ("Proof of residence", f"user:{world.innovator.id}"),
            ("Proof of residence", f"user:{mate.id}"),
            ("Letter of support", "team"),
        ]
    )  # a team of individuals owes no proof of incorporation
    lead = person("CA", email="boss@example.org")
    company = register(
        new_team(
            lead,
            "CA",
            40,
            name="Acme",
            entrant_type="business",
            organisation_name="Acme Inc.",
            organisation_country="CA",
        ),
        ca_track,
    )
    assert "Incorporation" in {s.requirement.label["en"] for s in documents.slots_for(company)}


# --- sending ---------------------------------------------------------------------------------


def test_a_member_sends_their_own_proof_and_the_team_sees_its_status(
    world, client, login, team_entry, proof
):
    entry, mate = team_entry
    login(mate)
    response = post_file(client, entry, proof, f"user:{mate.id}", PDF, "../../bill\x00.pdf")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/entries/{entry.id}#documents")
    (doc,) = db.session.query(EligibilityDocument).all()
    assert doc.status == "pending" and doc.member_id == mate.id
    assert doc.filename == "bill.pdf"  # no path, no control characters
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.content_type == "application/pdf"
    html = text(client.get(f"/entries/{entry.id}"))
    assert "The document was sent; the track will review it." in html
    assert "Waiting for review" in html and "1 missing" in html  # the lead's is still owed
    assert len(events("eligibility_document.uploaded")) == 1


def test_nobody_sends_a_members_document_for_them(world, client, login, team_entry, proof):
    entry, mate = team_entry
    login(world.innovator)  # the lead
    html = text(client.get(f"/entries/{entry.id}"))
    assert html.count('type="file"') == 1  # only the lead's own slot
    response = post_file(client, entry, proof, f"user:{mate.id}", PDF)
    assert response.status_code == 303
    assert "Only Mia Mate can send their own document." in text(client.get(f"/entries/{entry.id}"))
    assert count(EligibilityDocument) == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00 not a pdf", "proof.pdf", "is not one of the accepted types (PDF, PNG)"),
        (b"%PDF-1.4\n" + b"0" * (1024 * 1024), "big.pdf", "big.pdf is larger than 1 MB."),
    ],
)
def test_a_wrong_or_oversized_file_is_refused_and_nothing_is_kept(
    world, client, login, team_entry, proof, app, data, name, message
):
    entry, _mate = team_entry
    login(world.innovator)

    def stored() -> set[str]:
        return stored_keys(app)

    before = stored()
    post_file(client, entry, proof, f"user:{world.innovator.id}", data, name)
    assert message in text(client.get(f"/entries/{entry.id}"))
    assert count(EligibilityDocument) == 0
    assert stored() == before  # the refused bytes were deleted


def test_a_new_upload_supersedes_the_current_one_and_goes_back_to_review(world, team_entry, proof):
    entry, _mate = team_entry
    subject = f"user:{world.innovator.id}"
    first = documents.upload(act(world.innovator), entry, proof.id, subject, io.BytesIO(PDF), "a")
    db.session.commit()
    documents.review(act(world.admin_a), first, "verified", "")
    db.session.commit()
    second = documents.upload(
        act(world.innovator), entry, proof.id, subject, io.BytesIO(PNG), "b.png"
    )
    db.session.commit()
    assert first.superseded_at is not None and first.status == "verified"  # kept for the record
    (slot,) = [s for s in documents.slots_for(entry) if s.subject == subject]
    assert slot.document is second and slot.status == "pending"
    with pytest.raises(DomainError, match="newer document"):
        documents.review(act(world.admin_a), first, "rejected", "old")


def test_the_database_keeps_one_current_document_per_slot(world, team_entry, proof):
    entry, _mate = team_entry
    subject = f"user:{world.innovator.id}"
    doc = documents.upload(act(world.innovator), entry, proof.id, subject, io.BytesIO(PDF), "a")
    db.session.commit()
    twin = EligibilityDocument(
        entry=entry,
        requirement=proof,
        subject=subject,
        storage_key="x",
        filename="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256=doc.sha256,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_withdrawn_entry_sends_nothing(world, team_entry, proof):
    entry, _mate = team_entry
    from competitions.entries import services

    services.withdraw(act(world.innovator), entry)
    db.session.commit()
    with pytest.raises(DomainError, match="no longer send"):
        documents.upload(
            act(world.innovator),
            entry,
            proof.id,
            f"user:{world.innovator.id}",
            io.BytesIO(PDF),
            "a.pdf",
        )


# --- review ----------------------------------------------------------------------------------


def test_an_admin_rejects_with_a_reason_the_member_is_told_and_sends_another(
    world, client, login, switch, team_entry, proof, mail
):
    entry, mate = team_entry
    doc = documents.upload(
        act(mate), entry, proof.id, f"user:{mate.id}", io.BytesIO(PDF), "bill.pdf"
    )
    db.session.commit()
    login(world.admin_a)
    url = f"/entries/{entry.id}/documents/{doc.id}/review"
    response = client.post(url, data={"decision": "rejected", "reason": ""})
    assert "Give the reason the document is rejected." in text(
        client.get(response.headers["Location"])
    )
    db.session.refresh(doc)
    assert doc.status == "pending"
    client.post(url, data={"decision": "rejected", "reason": "The bill is older than 3 months."})
    db.session.refresh(doc)
    assert doc.status == "rejected" and doc.reviewed_by_id == world.admin_a.id
    (event,) = events("eligibility_document.rejected")
    assert event.after["reason"] == "The bill is older than 3 months."
    (message,) = mail.wait_for("mate@example.org")
    body = mail.text(message)
    assert "The bill is older than 3 months." in body and "bill.pdf" in body
    assert f"/entries/{entry.id}#documents" in body
    switch(mate)
    html = text(client.get(f"/entries/{entry.id}"))
    assert "Rejected" in html and "The bill is older than 3 months." in html
    assert "1 rejected" in html
    post_file(client, entry, proof, f"user:{mate.id}", PNG, "newer.png")
    html = text(client.get(f"/entries/{entry.id}"))
    assert "newer.png" in html and "Waiting for review" in html


def test_verifying_counts_towards_the_summary(world, client, login, team_entry, proof):
    entry, mate = team_entry
    for user in (world.innovator, mate):
        doc = documents.upload(
            act(user), entry, proof.id, f"user:{user.id}", io.BytesIO(PDF), "p.pdf"
        )
        db.session.commit()
        documents.review(act(world.admin_a), doc, "verified", "")
        db.session.commit()
    login(world.innovator)
    assert "2 of 2 verified" in text(client.get(f"/entries/{entry.id}"))
    assert len(events("eligibility_document.verified")) == 2


def test_staff_see_but_do_not_decide(world, team_entry, proof):
    entry, _mate = team_entry
    doc = documents.upload(
        act(world.innovator),
        entry,
        proof.id,
        f"user:{world.innovator.id}",
        io.BytesIO(PDF),
        "p.pdf",
    )
    db.session.commit()
    for user in (world.staff_a, world.admin_b, world.innovator):
        with pytest.raises(NotFound):
            documents.review(act(user), doc, "verified", "")


# --- who downloads what ----------------------------------------------------------------------


def test_a_members_own_document_is_not_shown_to_teammates(
    world, client, login, switch, team_entry, proof
):
    entry, mate = team_entry
    doc = documents.upload(
        act(mate), entry, proof.id, f"user:{mate.id}", io.BytesIO(PDF), "bill.pdf"
    )
    db.session.commit()
    url = f"/documents/{doc.id}"
    login(mate)
    response = client.get(url, buffered=True)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "attachment; filename=bill.pdf"
    for user, status in (
        (world.innovator, 404),  # a teammate, even the lead
        (world.staff_a, 200),
        (world.admin_b, 404),
    ):
        switch(user)
        assert client.get(url, buffered=True).status_code == status, user.email
    switch(world.innovator)
    html = text(client.get(f"/entries/{entry.id}"))
    assert url not in html and "Sent" in html


def test_the_console_offers_documents_to_the_tracks_admins_only(
    world, client, login, switch, challenge, ca_track
):
    page = f"/challenges/{challenge.slug}/manage"
    link = f"/challenges/{challenge.slug}/tracks/{ca_track.slug}/documents"
    login(world.admin_a)
    assert link in client.get(page).get_data(as_text=True)
    switch(world.staff_a)
    assert link not in client.get(page).get_data(as_text=True)


def test_a_document_is_named_by_its_detected_type(world, client, login, team_entry, proof):
    """``bill.html`` holding a PNG is stored and downloaded as ``bill.png``; a row stored under
    another extension before names were fixed is downloaded by its type too."""
    from werkzeug.http import parse_options_header

    entry, mate = team_entry
    doc = documents.upload(
        act(mate), entry, proof.id, f"user:{mate.id}", io.BytesIO(PNG), "bill.html"
    )
    db.session.commit()
    assert doc.filename == "bill.png" and doc.content_type == "image/png"
    login(mate)

    def served_name():
        response = client.get(f"/documents/{doc.id}", buffered=True)
        assert response.status_code == 200 and response.mimetype == "image/png"
        return parse_options_header(response.headers["Content-Disposition"])[1]["filename"]

    assert served_name() == "bill.png"
    doc.filename = "lease.pdf.html"
    db.session.commit()
    assert served_name() == "lease.pdf.png"


def test_the_tracks_list_shows_each_entrys_documents_in_a_fixed_number_of_queries(
    world, client, login, challenge, ca_track, team_entry, proof, count_queries
):
    entry, mate = team_entry
    url = f"/challenges/{challenge.slug}/tracks/{ca_track.slug}/entries"
    login(world.admin_a)
    text(client.get(url))  # warm up
    with count_queries() as none_sent:
        assert "Proof of residence" not in text(client.get(url))
    sent = [
        documents.upload(act(who), entry, proof.id, f"user:{who.id}", io.BytesIO(data), name)
        for who, data, name in ((mate, PDF, "bill.pdf"), (world.innovator, PNG, "lease.png"))
    ]
    db.session.commit()
    with count_queries() as two_sent:
        page = text(client.get(url))
    for doc in sent:
        link = f'<a href="/documents/{doc.id}">{doc.filename}</a> (Waiting for review)'
        assert f"Proof of residence: {link}" in page
    assert two_sent.count == none_sent.count, two_sent.statements


def test_the_entry_page_shows_its_documents_in_a_fixed_number_of_queries(
    world, client, login, team_entry, proof, count_queries
):
    entry, mate = team_entry
    login(world.innovator)
    text(client.get(f"/entries/{entry.id}"))  # warm up
    with count_queries() as none_sent:
        assert "2 missing" in text(client.get(f"/entries/{entry.id}"))
    for who, data, name in ((mate, PDF, "bill.pdf"), (world.innovator, PNG, "lease.png")):
        documents.upload(act(who), entry, proof.id, f"user:{who.id}", io.BytesIO(data), name)
    db.session.commit()
    with count_queries() as two_sent:
        page = text(client.get(f"/entries/{entry.id}"))
    assert "2 waiting for review" in page and "lease.png" in page
    assert two_sent.count == none_sent.count, two_sent.statements


def _entry_page_statements(client, login, world, entry, count_queries):
    url = f"/entries/{entry.id}"
    login(world.innovator)
    text(client.get(url))  # warm up
    with count_queries() as queries:
        page = text(client.get(url))
    assert "Mia Mate" in page and "Deep Space Food" in page and "Phase 1" in page
    return queries.statements


def test_the_entry_page_names_its_challenge_and_rounds_without_its_tracks(
    world, client, login, team_entry, proof, count_queries
):
    statements = _entry_page_statements(client, login, world, team_entry[0], count_queries)
    # Titles and names are in the viewer's language: the tracks' languages are not read.
    assert not [s for s in statements if "FROM track LEFT OUTER JOIN agency" in s]


def test_the_entry_page_reads_its_members_names_not_their_accounts(
    world, client, login, team_entry, proof, count_queries
):
    statements = _entry_page_statements(client, login, world, team_entry[0], count_queries)
    (load,) = [s for s in statements if "FROM entry LEFT OUTER JOIN team" in s]
    # Nor the challenge's and the track's long texts.
    assert "password_hash" not in load and "description" not in load, load
