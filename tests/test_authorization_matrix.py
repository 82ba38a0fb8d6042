"""Every route, for every role → the expected outcome.

The matrix is checked against ``app.url_map``: a new route without a declared expectation fails
``test_every_route_has_an_expectation``. Objects of another agency answer 404.
Routes that take a signed token are authorized by the token, not by the role: with an invalid
token every role gets the same 400 page (their token-specific rules are tested in their domain).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, url_for

from competitions.accounts import sessions
from competitions.accounts.models import Passkey
from competitions.agencies.models import AgencyInvitation
from competitions.api import tokens as api_tokens
from competitions.awards.models import Award
from competitions.challenges import services
from competitions.challenges.models import PartnerInvitation, Track
from competitions.challenges.services import timeline, tracks
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db, limiter
from competitions.core.storage import get_storage
from competitions.entries.models import (
    DocumentRequirement,
    EligibilityDocument,
    Entry,
    Team,
    TeamInvitation,
    TeamMember,
)
from competitions.insights import cost_records
from competitions.judging.models import (
    Assignment,
    Criterion,
    Flag,
    Judge,
    JudgeInvitation,
    Panel,
    Rubric,
)
from competitions.outreach.models import Announcement
from competitions.pilots.models import Pilot, PilotMilestone
from competitions.questions.models import Answer, AnswerReport, Question
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion
from competitions.surveys.models import Survey, SurveyInvitee
from competitions.teammates.models import BoardPost, ContactRequest
from competitions.webhooks import endpoints as webhook_endpoints
from tests.conftest import rolled_back_database
from tests.factories import World, make_user

# "judge" sits on agency A's panel and is assigned the matrix submission.
ROLES = ("anonymous", "innovator", "staff_a", "admin_a", "admin_b", "platform_admin", "judge")
LOGIN = "login"  # a redirect to the sign-in page
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def same(outcome: Any) -> dict[str, Any]:
    return dict.fromkeys(ROLES, outcome)


def signed_in(outcome: Any, anonymous: Any = LOGIN) -> dict[str, Any]:
    return {**same(outcome), "anonymous": anonymous}


def agency_members(ok: Any) -> dict[str, Any]:
    """Staff and admins of agency A and platform admins; others 404."""
    return {
        "anonymous": LOGIN,
        "innovator": 404,
        "staff_a": ok,
        "admin_a": ok,
        "admin_b": 404,
        "platform_admin": ok,
        "judge": 404,
    }


def agency_admins(ok: Any) -> dict[str, Any]:
    """Admins of agency A and platform admins; others (staff of A included) 404."""
    return {**agency_members(ok), "staff_a": 404}


def platform_admins(ok: Any) -> dict[str, Any]:
    return {**signed_in(404), "platform_admin": ok}


# The matrix challenge is a *draft* led by agency A, with tracks for agencies A and B.


def participants(ok: Any) -> dict[str, Any]:
    """Members of an agency taking part (A or B) and platform admins; others 404."""
    return {**agency_members(ok), "admin_b": ok}


def draft_visible(ok: Any) -> dict[str, Any]:
    """A draft is visible to participants only; to everyone else it does not exist."""
    return {**participants(ok), "anonymous": 404}


def lead_admins(ok: Any) -> dict[str, Any]:
    """Admins of the lead agency (A) and platform admins."""
    return agency_admins(ok)


def team_lead(ok: Any) -> dict[str, Any]:
    """Only the team's lead (the innovator); agency staff and platform admins see, not act."""
    return {**signed_in(404), "innovator": ok}


def assigned_judge(ok: Any) -> dict[str, Any]:
    """Only the judge assigned the matrix submission; everyone else 404."""
    return {**signed_in(404), "judge": ok}


def track_a_editors(ok: Any) -> dict[str, Any]:
    """Staff and admins of agency A (the track's agency) and platform admins."""
    return agency_members(ok)


EXPECT: dict[tuple[str, str], dict[str, Any]] = {
    ("static", "GET"): same(200),
    ("bootstrap.static", "GET"): same(200),
    ("core.home", "GET"): same(200),
    ("core.set_language", "POST"): same(302),
    ("core.healthz", "GET"): same(200),
    ("core.readyz", "GET"): same(200),
    # Prometheus' scrape endpoint: no such page while METRICS_TOKEN is unset (tests/monitoring).
    ("monitoring.scrape", "GET"): same(404),
    # Signed-in people are sent home from the sign-in and registration pages.
    ("accounts.register", "GET"): signed_in(302, anonymous=200),
    ("accounts.register", "POST"): signed_in(302, anonymous=200),
    ("accounts.login", "GET"): signed_in(302, anonymous=200),
    ("accounts.login", "POST"): signed_in(302, anonymous=200),
    ("accounts.check_email", "GET"): same(200),
    ("accounts.verify_email", "GET"): same(400),
    ("accounts.resend_verification", "POST"): signed_in(302),
    ("accounts.logout", "POST"): same(302),
    ("accounts.forgot_password", "GET"): same(200),
    ("accounts.forgot_password", "POST"): same(200),
    ("accounts.reset_password", "GET"): same(400),
    ("accounts.reset_password", "POST"): same(400),
    ("accounts.profile", "GET"): signed_in(200),
    # An empty POST keeps the stored values (Flask-WTF falls back to the object): saved.
    ("accounts.profile", "POST"): signed_in(302),
    ("accounts.change_password", "GET"): signed_in(200),
    ("accounts.change_password", "POST"): signed_in(200),
    ("accounts.change_email", "GET"): signed_in(200),
    ("accounts.change_email", "POST"): signed_in(200),
    ("accounts.confirm_email_change", "GET"): same(400),
    # The innovator's own session; anyone else's is not found.
    ("accounts.account_sessions", "GET"): signed_in(200),
    ("accounts.end_session", "POST"): {**signed_in(404), "innovator": 302},
    ("accounts.sign_out_everywhere", "POST"): signed_in(302),
    ("accounts.two_step", "GET"): signed_in(200),
    ("accounts.two_step_setup", "GET"): signed_in(200),
    ("accounts.two_step_setup", "POST"): signed_in(200),
    ("accounts.two_step_recovery_codes", "GET"): signed_in(200),
    ("accounts.two_step_recovery_codes", "POST"): signed_in(200),
    ("accounts.two_step_disable", "GET"): signed_in(200),
    ("accounts.two_step_disable", "POST"): signed_in(200),
    ("accounts.passkey_add", "GET"): signed_in(200),
    ("accounts.passkey_add", "POST"): signed_in(200),
    ("accounts.passkey_remove", "GET"): {**signed_in(404), "innovator": 200},
    ("accounts.passkey_remove", "POST"): {**signed_in(404), "innovator": 200},
    ("accounts.second_step_passkey", "POST"): signed_in(302),
    # Without a sign-in waiting for its second step: back to the sign-in page (or home).
    ("accounts.second_step", "GET"): signed_in(302),
    ("accounts.second_step", "POST"): signed_in(302),
    ("agencies.directory", "GET"): same(200),
    ("agencies.public_profile", "GET"): same(200),
    ("agencies.logo", "GET"): same(200),
    ("agencies.console", "GET"): agency_members(200),
    ("agencies.settings", "GET"): agency_admins(200),
    ("agencies.settings", "POST"): agency_admins(302),
    ("agencies.upload_logo", "POST"): agency_admins(302),
    ("agencies.remove_logo", "POST"): agency_admins(302),
    ("agencies.invite", "POST"): agency_admins(400),
    ("agencies.revoke_invitation", "POST"): agency_admins(302),
    ("agencies.change_role", "POST"): agency_admins(302),
    # Members may leave on their own; removing someone else needs an admin.
    ("agencies.remove_member", "POST"): {**agency_admins(302), "staff_a": 302},
    ("agencies.agency_audit", "GET"): agency_admins(200),
    ("agencies.invitation", "GET"): same(400),
    ("agencies.invitation", "POST"): same(400),
    ("agencies.admin_home", "GET"): platform_admins(200),
    ("agencies.create_agency", "GET"): platform_admins(200),
    ("agencies.create_agency", "POST"): platform_admins(200),
    ("agencies.platform_audit", "GET"): platform_admins(200),
    ("challenges.directory", "GET"): same(200),
    ("challenges.feed", "GET"): same(200),
    ("challenges.challenge_page", "GET"): draft_visible(200),
    ("challenges.track_page", "GET"): draft_visible(200),
    ("challenges.terms_page", "GET"): draft_visible(200),
    ("challenges.calendar", "GET"): draft_visible(200),
    ("challenges.create", "GET"): agency_admins(200),
    ("challenges.create", "POST"): agency_admins(200),
    ("challenges.agency_challenges", "GET"): agency_members(200),
    ("challenges.console", "GET"): participants(200),
    ("challenges.details", "GET"): lead_admins(200),
    ("challenges.details", "POST"): lead_admins(200),
    ("challenges.invite_partner", "POST"): lead_admins(302),
    ("challenges.revoke_partner", "POST"): lead_admins(302),
    ("challenges.partner_invitation", "GET"): same(400),
    ("challenges.partner_invitation", "POST"): same(400),
    ("challenges.edit_round", "GET"): lead_admins(200),
    ("challenges.edit_round", "POST"): lead_admins(200),
    ("challenges.delete_round", "POST"): lead_admins(302),
    ("challenges.edit_milestone", "GET"): lead_admins(200),
    ("challenges.edit_milestone", "POST"): lead_admins(200),
    ("challenges.delete_milestone", "POST"): lead_admins(302),
    ("challenges.publish", "POST"): lead_admins(302),
    ("challenges.next_edition", "GET"): lead_admins(200),
    ("challenges.next_edition", "POST"): lead_admins(200),
    # A partner agency (B) never edits agency A's track: 404.
    ("challenges.edit_track", "GET"): track_a_editors(200),
    ("challenges.edit_track", "POST"): track_a_editors(200),
    ("challenges.edit_rules", "GET"): track_a_editors(200),
    ("challenges.edit_rules", "POST"): track_a_editors(200),
    ("challenges.edit_prize", "GET"): track_a_editors(200),
    ("challenges.edit_prize", "POST"): track_a_editors(200),
    ("challenges.delete_prize", "POST"): track_a_editors(302),
    ("challenges.edit_terms", "GET"): track_a_editors(200),
    ("challenges.edit_terms", "POST"): track_a_editors(200),
    ("challenges.mark_ready", "POST"): agency_admins(302),
    # The matrix team is led by the innovator and has an entry in agency A's track.
    ("entries.my_teams", "GET"): signed_in(200),
    ("entries.create_team", "GET"): signed_in(200),
    ("entries.create_team", "POST"): signed_in(200),
    ("entries.team", "GET"): {**agency_members(200), "innovator": 200},
    ("entries.edit_team", "GET"): team_lead(200),
    ("entries.edit_team", "POST"): team_lead(302),
    ("entries.update_me", "POST"): team_lead(302),
    ("entries.invite", "POST"): team_lead(302),
    ("entries.revoke_invitation", "POST"): team_lead(302),
    ("entries.remove_member", "POST"): team_lead(302),
    ("entries.transfer_lead", "POST"): team_lead(302),
    ("entries.team_invitation", "GET"): same(400),
    ("entries.team_invitation", "POST"): same(400),
    # Registration is for published challenges only; the matrix challenge is a draft.
    ("entries.register", "GET"): signed_in(404),
    ("entries.register", "POST"): signed_in(404),
    ("entries.entry", "GET"): {**agency_members(200), "innovator": 200},
    ("entries.withdraw", "POST"): team_lead(302),
    ("entries.decide", "POST"): agency_admins(302),
    ("entries.track_entries", "GET"): agency_members(200),
    ("submissions.track_submissions", "GET"): agency_members(200),
    # Announcements: a challenge-wide one is co-owned by every agency with a track (A and B).
    ("outreach.announcement_list", "GET"): participants(200),
    ("outreach.announcement_new", "GET"): {**agency_admins(200), "admin_b": 200},
    ("outreach.announcement_new", "POST"): {**agency_admins(400), "admin_b": 400},
    ("outreach.announcement", "GET"): participants(200),
    ("outreach.announcement", "POST"): {**agency_admins(400), "admin_b": 400},  # no action
    ("outreach.announcement_progress", "GET"): participants(200),
    ("outreach.notice_settings", "POST"): agency_admins(302),  # the lead agency's admins
    ("outreach.announcements_feed", "GET"): same(404),  # a draft challenge has no feed
    ("outreach.follow", "GET"): same(404),  # the matrix challenge is a draft
    ("outreach.follow", "POST"): same(404),
    ("outreach.confirm", "GET"): same(404),  # a token that is not valid
    ("outreach.confirm", "POST"): same(404),
    ("outreach.preferences", "GET"): same(404),
    ("outreach.preferences", "POST"): same(404),
    ("outreach.unsubscribe", "GET"): same(404),
    ("outreach.unsubscribe", "POST"): same(404),
    ("entries.requirements", "GET"): agency_admins(200),
    ("entries.requirements", "POST"): agency_admins(400),  # an empty form: refused, explained
    ("entries.retire_requirement", "POST"): agency_admins(302),
    ("entries.upload_document", "POST"): {**signed_in(404), "innovator": 303},
    ("entries.review_document", "POST"): agency_admins(303),
    ("entries.download_document", "GET"): {**agency_members(200), "innovator": 200},
    ("submissions.export_csv", "GET"): agency_members(200),
    ("submissions.export_zip", "GET"): agency_members(200),
    # Submissions of the matrix entry: the team edits; the track's agency and platform admins
    # read; another agency does not know it exists.
    ("submissions.edit", "GET"): {**agency_members(200), "innovator": 200},
    ("submissions.edit", "POST"): team_lead(302),
    ("submissions.autosave", "POST"): {**team_lead(400), "anonymous": 401},
    ("submissions.remove_file", "POST"): team_lead(302),
    ("submissions.withdraw", "POST"): team_lead(302),
    ("submissions.receipt", "GET"): {**agency_members(200), "innovator": 200},
    ("submissions.download", "GET"): {**agency_members(200), "innovator": 200},
    ("submissions.extension", "POST"): agency_admins(302),
    ("submissions.define", "GET"): lead_admins(200),
    ("submissions.define_json", "GET"): lead_admins(200),
    ("submissions.define_json", "POST"): lead_admins(200),  # refused: "report" was submitted
    ("submissions.export_form", "GET"): lead_admins(200),
    ("submissions.add_field", "GET"): lead_admins(200),
    ("submissions.add_field", "POST"): lead_admins(200),
    ("submissions.edit_field", "GET"): lead_admins(200),
    ("submissions.edit_field", "POST"): lead_admins(400),
    ("submissions.move_field", "POST"): lead_admins(302),
    ("submissions.remove_field", "GET"): lead_admins(200),
    ("submissions.remove_field", "POST"): lead_admins(200),
    # Judging: the rubric is the lead agency's; a track's panel and assignments its agency's
    # (agency B does not see agency A's panel, reviews or assignments); a judge sees only
    # what is assigned to them.
    ("judging.console", "GET"): participants(200),
    ("judging.rubric", "GET"): participants(200),
    ("judging.rubric", "POST"): lead_admins(400),  # an empty form: refused, explained
    ("judging.add_criterion", "POST"): lead_admins(400),
    ("judging.edit_criterion", "GET"): lead_admins(200),
    ("judging.edit_criterion", "POST"): lead_admins(400),
    ("judging.remove_criterion", "GET"): lead_admins(200),
    ("judging.remove_criterion", "POST"): lead_admins(200),
    ("judging.move_criterion", "POST"): lead_admins(303),
    ("judging.reset_rubric", "POST"): lead_admins(303),
    ("judging.add_stage", "POST"): lead_admins(303),
    ("judging.edit_stage", "POST"): lead_admins(400),
    ("judging.panel", "GET"): agency_members(200),
    ("judging.panel", "POST"): agency_admins(400),
    ("judging.revoke_invitation", "POST"): agency_admins(303),
    ("judging.remove_judge", "POST"): agency_admins(303),
    ("judging.record_conflict", "POST"): agency_admins(303),
    ("judging.invitation", "GET"): same(400),
    ("judging.invitation", "POST"): same(400),
    ("judging.assignments", "GET"): agency_admins(200),
    ("judging.auto_assign", "POST"): lead_admins(303),  # challenge-wide: the lead's admins
    ("judging.assign", "POST"): agency_admins(303),
    ("judging.unassign", "POST"): agency_admins(303),
    ("judging.resolve_flag", "POST"): agency_admins(303),
    ("judging.home", "GET"): signed_in(200),
    ("judging.queue", "GET"): assigned_judge(200),
    ("judging.take_next", "POST"): assigned_judge(303),
    ("judging.numbered", "GET"): assigned_judge(302),
    ("judging.review", "GET"): assigned_judge(200),
    ("judging.review", "POST"): assigned_judge(303),  # an empty draft is saved
    ("judging.autosave", "POST"): {**assigned_judge(400), "anonymous": 401},  # not JSON
    ("judging.recuse", "POST"): assigned_judge(303),  # no reason: refused, back to the page
    ("judging.flag", "POST"): assigned_judge(303),
    ("judging.file", "GET"): assigned_judge(200),
    ("judging.profile", "GET"): assigned_judge(200),
    ("judging.profile", "POST"): assigned_judge(303),
    ("judging.declare_conflict", "POST"): assigned_judge(303),
    ("judging.results", "GET"): participants(200),
    ("judging.results_csv", "GET"): participants(200),
    # Insights: the lead agency sees every track, a partner its own and the totals.
    ("insights.challenge", "GET"): participants(200),
    ("insights.chart_csv", "GET"): participants(200),
    ("lessons.page", "GET"): participants(200),
    ("reports.report", "GET"): participants(200),
    ("reports.report_pdf", "GET"): participants(200),
    ("reports.publish_open_data", "POST"): lead_admins(302),
    ("reports.withdraw_open_data", "POST"): lead_admins(302),
    # The matrix challenge is a draft: it has no open data for anyone.
    ("reports.open_data_json", "GET"): same(404),
    ("reports.open_data_csv", "GET"): same(404),
    # Agency A's section: its members write it (the draft challenge refuses, 400), nobody else.
    ("lessons.section", "GET"): {**agency_members(200), "platform_admin": 404},
    ("lessons.section", "POST"): {**agency_members(400), "platform_admin": 404},
    ("lessons.publish", "POST"): lead_admins(302),
    ("lessons.reopen", "POST"): lead_admins(302),
    # Costs: every participant sees the cost per partner (a partner its own column and all
    # partners together); an agency records its own lines (B never sees A's); the lead
    # agency's admins set the reporting currency and the rates (an empty form: refused, 200).
    ("insights.costs", "GET"): participants(200),
    ("insights.costs_csv", "GET"): participants(200),
    ("insights.edition_comparison", "GET"): participants(200),
    ("insights.set_currency", "POST"): lead_admins(200),
    ("insights.save_rate", "POST"): lead_admins(200),
    ("insights.delete_rate", "POST"): lead_admins(302),
    ("insights.cost_lines", "GET"): track_a_editors(200),
    ("insights.cost_lines", "POST"): track_a_editors(200),
    ("insights.delete_cost_line", "POST"): track_a_editors(302),
    # Releasing results (now, or scheduled) and its preview: the lead agency's admins. The
    # matrix round's judging has not closed, so releasing is refused on the page (400).
    ("judging.release_now", "POST"): lead_admins(400),
    ("judging.schedule_release", "POST"): lead_admins(400),  # no instant given
    ("judging.release_preview", "GET"): lead_admins(200),
    ("judging.advancement", "GET"): agency_admins(200),
    ("judging.advancement", "POST"): agency_admins(200),  # a preview of the default rule
    # Before the results instant (and for a draft challenge) only the agencies see results.
    ("judging.winners", "GET"): draft_visible(200),
    ("judging.track_winners", "GET"): draft_visible(200),
    # A team's feedback: its track's agency before the release; the team (innovator) only from
    # the release of a published challenge, which the draft matrix challenge never reaches.
    ("judging.feedback", "GET"): agency_members(200),
    # Questions: the public Q&A follows the challenge; asking needs a published challenge (the
    # matrix one is a draft). The matrix question is asked of track A: agency A answers it;
    # approving a challenge-wide answer is the lead's admins' (none awaits: refused, 302).
    ("questions.public", "GET"): draft_visible(200),
    ("questions.track_public", "GET"): draft_visible(200),
    ("questions.ask", "GET"): signed_in(404),
    ("questions.ask", "POST"): signed_in(404),
    ("questions.report", "POST"): participants(302),  # no reason given: refused, back
    ("questions.queue", "GET"): participants(200),
    ("questions.question", "GET"): agency_members(200),
    ("questions.question", "POST"): agency_members(400),  # an empty answer is refused
    ("questions.publish", "POST"): agency_members(302),
    ("questions.approve", "POST"): lead_admins(302),
    ("questions.send_back", "POST"): lead_admins(302),
    ("questions.decline", "POST"): agency_members(302),
    ("questions.merge", "POST"): agency_members(302),
    ("questions.hide", "POST"): agency_members(302),
    ("questions.unhide", "POST"): agency_members(302),
    ("questions.resolve_report", "POST"): agency_members(302),
    # Correcting and withdrawing the published answer of track A: agency A (no note, no
    # reason given: refused); approving a challenge-wide correction is the lead's admins' (none
    # awaits: refused, back). The digest's stop link is a signed token (an invalid one: 404).
    ("questions.correct", "GET"): agency_members(200),
    ("questions.correct", "POST"): agency_members(400),
    ("questions.approve_correction", "POST"): lead_admins(302),
    ("questions.send_back_correction", "POST"): lead_admins(302),
    ("questions.withdraw", "POST"): agency_members(302),
    ("questions.stop_digest", "GET"): same(404),
    ("questions.stop_digest", "POST"): same(404),
    # The teammates board opens with the challenge's publication (the matrix one is a draft);
    # its agencies hide posts (no reason given: refused, back to the board).
    ("entries.accept_terms", "POST"): team_lead(302),  # nothing ticked: refused, back
    ("teammates.board", "GET"): signed_in(404),
    ("teammates.my_post", "GET"): signed_in(404),
    ("teammates.my_post", "POST"): signed_in(404),
    ("teammates.withdraw", "POST"): signed_in(404),
    ("teammates.contact", "POST"): signed_in(404),
    ("teammates.contacts", "GET"): signed_in(404),
    ("teammates.answer", "POST"): signed_in(404),
    ("teammates.hide", "POST"): participants(302),
    ("teammates.report", "POST"): signed_in(404),
    # The API reads no session: with no token every role is the public. The matrix challenge
    # is a draft, so it does not exist for the public; agency operations need a token (401).
    # What a token may do is tested in tests/api.
    ("api-docs.openapi_json", "GET"): same(200),
    ("api.reference", "GET"): same(200),
    ("api_public.list_challenges", "GET"): same(200),
    ("api_public.get_challenge", "GET"): same(404),
    ("api_public.get_track", "GET"): same(404),
    ("api_public.get_timeline", "GET"): same(404),
    ("api_public.check_eligibility", "POST"): same(415),  # a form, not the JSON it takes
    ("api_public.get_winners", "GET"): same(404),
    ("api_agency.whoami", "GET"): same(401),
    ("api_agency.list_entries", "GET"): same(401),
    ("api_agency.list_submissions", "GET"): same(401),
    ("api_agency.download_file", "GET"): same(401),
    ("api_agency.track_results", "GET"): same(401),
    ("api_agency.list_reviews", "GET"): same(401),
    ("api_agency.put_rules", "PUT"): same(401),
    ("api_agency.create_prize", "POST"): same(401),
    ("api_agency.put_prize", "PUT"): same(401),
    ("api_agency.delete_prize", "DELETE"): same(401),
    ("api_agency.list_announcements", "GET"): same(401),
    ("api_agency.create_announcement", "POST"): same(401),
    ("api_agency.list_audit_events", "GET"): same(401),
    ("api.api_tokens", "GET"): agency_admins(200),
    ("api.api_tokens", "POST"): agency_admins(200),  # no name: the form again, with the error
    ("api.revoke_token", "POST"): agency_admins(302),
    # Open formats: the sitemap and robots.txt are public; a personal calendar feed is
    # authorized by the secret in its address alone (tested in tests/formats), so a wrong one
    # is 404 for everyone; its page is each signed-in user's own.
    ("formats.sitemap_xml", "GET"): same(200),
    ("formats.robots_txt", "GET"): same(200),
    ("formats.personal_feed", "GET"): same(404),
    ("formats.account_calendar", "GET"): signed_in(200),
    ("formats.account_calendar", "POST"): signed_in(200),  # a new address, shown once
    ("formats.revoke_calendar", "POST"): signed_in(302),
    # Awards of track A are agency A's (admins act, staff read); the winning team (the
    # innovator's) sees its award; agency B does not know it exists. The matrix award has no
    # open condition: approving it works; a payment without date and reference is refused.
    ("awards.track_awards", "GET"): agency_members(200),
    ("awards.record", "GET"): agency_admins(200),
    ("awards.record", "POST"): agency_admins(400),  # an empty form: refused, explained
    ("awards.award", "GET"): {**agency_members(200), "innovator": 200},
    ("awards.approve", "POST"): agency_admins(302),
    ("awards.pay", "POST"): agency_admins(400),
    ("awards.reserve", "GET"): agency_admins(200),
    ("awards.reserve", "POST"): agency_admins(400),
    # Pilots: the matrix pilot (active) is hosted by agency A for the innovator's team. Any
    # agency taking part (A or B) offers pilots to the challenge's winners; the host's members
    # see it, its admins run it; the team's members post updates, its lead answers the offer
    # (already answered: refused, explained); agency B, not the host, gets 404 for now.
    ("pilots.challenge_pilots", "GET"): participants(200),
    ("pilots.offer", "GET"): {**agency_admins(200), "admin_b": 200},
    ("pilots.offer", "POST"): {**agency_admins(400), "admin_b": 400},
    ("pilots.pilot", "GET"): {**agency_members(200), "innovator": 200},
    ("pilots.decide", "POST"): team_lead(302),
    ("pilots.plan", "POST"): agency_admins(302),
    ("pilots.sign_off", "POST"): agency_admins(302),
    ("pilots.add_kpi", "POST"): agency_admins(400),
    ("pilots.measure", "POST"): {**agency_members(400), "innovator": 400},
    ("pilots.post_update", "POST"): {**signed_in(404), "innovator": 400, "platform_admin": 400},
    ("pilots.end", "POST"): agency_admins(400),
    # Partners read summaries: agency B takes part without hosting this pilot; the team too.
    ("pilots.summary", "GET"): {**participants(200), "innovator": 200},
    # The comparison of a winner's pilots is made of summaries (public ones for anyone).
    ("pilots.compare", "GET"): {**participants(200), "innovator": 200, "anonymous": 404},
    # Consent to the public page: the host's admins for the host, the team's lead for the
    # team (an empty form: no side chosen, explained on the pilot's page).
    ("pilots.publicity", "POST"): {**agency_admins(302), "innovator": 302},
    # Neither side consented and the challenge is a draft: nothing public.
    ("pilots.public_page", "GET"): same(404),
    ("pilots.feed", "GET"): same(404),
    # Webhooks: an agency's admins (and platform admins). An empty form is refused (400); the
    # matrix endpoint's URL is never called (testing writes deliveries, sends nothing).
    ("webhooks.endpoint_list", "GET"): agency_admins(200),
    ("webhooks.endpoint_list", "POST"): agency_admins(400),
    ("webhooks.endpoint", "GET"): agency_admins(200),
    # An empty POST keeps the stored values (Flask-WTF falls back to the object): saved.
    ("webhooks.endpoint", "POST"): agency_admins(302),
    ("webhooks.rotate_secret", "POST"): agency_admins(200),  # the new secret, shown once
    ("webhooks.ping", "POST"): agency_admins(302),
    ("webhooks.remove", "POST"): agency_admins(302),
    ("webhooks.delivery", "GET"): agency_admins(200),
    ("webhooks.replay", "POST"): agency_admins(302),
    # Surveys: the matrix survey is agency A's, of track A, open, and asks the matrix entry's
    # members (the innovator among them). Agency B's admins may write one for their track.
    ("surveys.survey_list", "GET"): participants(200),
    ("surveys.new_survey", "GET"): {**agency_admins(200), "admin_b": 200},
    ("surveys.new_survey", "POST"): {**agency_admins(400), "admin_b": 400},  # nothing typed
    ("surveys.survey", "GET"): agency_members(200),
    ("surveys.send", "POST"): agency_admins(400),  # no number of days
    ("surveys.remind", "POST"): agency_admins(302),
    ("surveys.close", "POST"): agency_admins(302),
    # The matrix survey was sent: its questions no longer change (back to its page).
    ("surveys.edit_survey", "GET"): agency_admins(302),
    ("surveys.edit_survey", "POST"): agency_admins(302),
    ("surveys.add_field", "GET"): agency_admins(302),
    ("surveys.add_field", "POST"): agency_admins(302),
    ("surveys.edit_field", "GET"): agency_admins(302),
    ("surveys.edit_field", "POST"): agency_admins(302),
    ("surveys.move_field", "POST"): agency_admins(302),
    ("surveys.remove_field", "GET"): agency_admins(302),
    ("surveys.remove_field", "POST"): agency_admins(302),
    ("surveys.survey_results", "GET"): agency_members(200),
    ("surveys.results_csv", "GET"): agency_members(200),
    ("surveys.answer", "GET"): {**signed_in(404), "innovator": 200},
    ("surveys.answer", "POST"): {**signed_in(404), "innovator": 400},  # the answer is required
}

STATIC_FILES = {"static": "css/tandem.css", "bootstrap.static": "css/bootstrap.min.css"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if method in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                found.add((rule.endpoint, method))
    return found


def test_every_route_has_an_expectation(app: Flask) -> None:
    routes = _routes(app)
    missing = sorted(routes - EXPECT.keys())
    stale = sorted(EXPECT.keys() - routes)
    assert not missing, f"routes without a declared authorization expectation: {missing}"
    assert not stale, f"expectations for routes that no longer exist: {stale}"


AGENCY_ROUTES = {"challenges.create", "challenges.agency_challenges"}


def _url(app: Flask, endpoint: str, world: World, objects: dict[str, Any]) -> str:
    # Where an endpoint has several rules (new / edit), the one with the most arguments.
    rule = max(
        (r for r in app.url_map.iter_rules() if r.endpoint == endpoint),
        key=lambda r: len(r.arguments),
    )
    challenge_route = (
        endpoint.startswith(
            (
                "challenges.",
                "entries.",
                "submissions.",
                "outreach.",
                "judging.",
                "insights.",
                "lessons.",
                "reports.",
                "questions.",
                "teammates.",
                "surveys.",
                "api_public.",
                "api_agency.",
                "awards.",
                "pilots.",
            )
        )
        and endpoint not in AGENCY_ROUTES
    )
    values: dict[str, Any] = {}
    for arg in rule.arguments:
        values[arg] = {
            "slug": objects["challenge"].slug if challenge_route else world.agency_a.slug,
            "track_slug": objects["track_a"].slug,
            "agency_slug": world.agency_a.slug,
            "filename": STATIC_FILES.get(endpoint),
            "token": "not-a-valid-token",
            "membership_id": world.staff_a_membership.id,
            "invitation_id": objects["judge_invitation"].id
            if endpoint.startswith("judging.")
            else objects["team_invitation"].id
            if endpoint.startswith(("entries.", "submissions."))
            else objects["partner_invitation"].id
            if challenge_route
            else objects["invitation"].id,
            "team_id": objects["team"].id,
            "member_id": objects["teammate"].id,
            "entry_id": objects["entry"].id,
            "file_id": objects["version_file"].id
            if endpoint.startswith("judging.")
            else objects["file"].id,
            "criterion_id": objects["criterion"].id,
            "field_key": "report",
            "key": "registrations" if endpoint.startswith("insights.") else objects["track_a"].slug,
            "judge_id": objects["judge"].id,
            "assignment_id": objects["assignment"].id,
            "flag_id": objects["flag"].id,
            "submission_id": objects["submission"].id,
            "requirement_id": objects["requirement"].id,
            "document_id": objects["document"].id,
            "announcement_id": objects["announcement"].id,
            "number": 1,
            "round_id": objects["round"].id,
            "milestone_id": objects["milestone"].id,
            "prize_id": objects["prize"].id,
            "session_id": objects["innovator_session"].id,
            "passkey_id": objects["innovator_passkey"].id,
            "question_id": objects["question"].id,
            "answer_id": objects["answer"].id,
            "report_id": objects["answer_report"].id,
            "post_id": objects["board_post"].id,
            "request_id": objects["contact_request"].id,
            "token_id": objects["api_token"].id,
            "line_id": objects["cost_line"].id,
            "rate_id": objects["exchange_rate"].id,
            "award_id": objects["award"].id,
            "pilot_id": objects["pilot"].id,
            "step_id": objects["pilot"].milestones[0].id,
            "endpoint_id": objects["webhook_endpoint"].id,
            "delivery_id": objects["webhook_delivery"].id,
            "survey_id": objects["survey"].id,
        }[arg]
    with app.test_request_context():
        return url_for(endpoint, **values)


def _matrix_objects(world: World) -> dict[str, Any]:
    """A draft challenge led by agency A, with tracks for A and B, and one of everything."""
    actor = Actor(world.admin_a, ip="127.0.0.1")
    challenge = services.create_challenge(
        actor,
        world.agency_a,
        "matrix-challenge",
        services.Texts({"en": "Matrix challenge"}, {"en": "Summary"}, {"en": "Body"}),
    )
    track_a = challenge.tracks[0]
    track_b = Track(
        challenge=challenge,
        agency=world.agency_b,
        slug="agency-b",
        position=1,
        name={"en": "Track B"},
        languages=["en"],
        timezone="America/Chicago",
        rules={},
    )
    db.session.add(track_b)
    now = clock.now()
    round_ = timeline.save_round(
        actor,
        challenge,
        None,
        timeline.RoundData(
            {"en": "Phase 1"},
            {
                "submission_opens": now + timedelta(days=1),
                "submission_deadline": now + timedelta(days=30),
                "judging_closes": now + timedelta(days=40),
                "results_at": now + timedelta(days=45),
            },
        ),
    )
    milestone = timeline.save_milestone(
        actor,
        challenge,
        None,
        None,
        timeline.MilestoneData({"en": "Webinar"}, now + timedelta(days=3), None, None),
    )
    prize = tracks.save_prize(
        actor, track_a, None, tracks.PrizeData({"en": "Grand prize"}, "1000", "CAD", 1, {})
    )
    tracks.publish_terms(actor, track_a, {"en": "Terms", "fr": "Conditions"})
    cost_line = cost_records.add_line(
        actor, track_a, cost_records.CostLineData("marketing", "500", "CAD", "2026-11-30")
    )
    exchange_rate = cost_records.save_rate(
        actor, challenge, cost_records.RateData("USD", "1.35", "2026-11-30")
    )
    partner_invitation = PartnerInvitation(
        challenge=challenge,
        email="partner@example.org",
        email_normalized="partner@example.org",
        nonce="n",
        expires_at=now + timedelta(days=7),
    )
    db.session.add(partner_invitation)
    invitation = AgencyInvitation(
        agency=world.agency_a,
        email="invitee@example.org",
        email_normalized="invitee@example.org",
        role="staff",
        expires_at=now + timedelta(days=7),
    )
    db.session.add(invitation)
    team = Team(name="Matrix team", entrant_type="team", created_by_id=world.innovator.id)
    teammate_user = make_user("teammate@example.org")
    teammate = TeamMember(team=team, user=teammate_user, role="member", residence="CA")
    db.session.add_all(
        [
            team,
            TeamMember(team=team, user=world.innovator, role="lead", residence="CA"),
            teammate,
        ]
    )
    team_invitation = TeamInvitation(
        team=team,
        email="friend@example.org",
        email_normalized="friend@example.org",
        nonce="n",
        expires_at=now + timedelta(days=7),
    )
    db.session.add(team_invitation)
    db.session.flush()
    entry = Entry(
        team=team,
        track=track_a,
        challenge_id=challenge.id,
        eligibility="eligible",
        eligibility_reasons=[],
        eligibility_evaluated_at=now,
        terms_version_id=track_a.terms_versions[-1].id,
        terms_accepted_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    stored = get_storage().save(io.BytesIO(b"%PDF-1.4 matrix"), 10_000)
    round_.form_fields = [
        {"key": "report", "type": "file", "label": {"en": "Report"}, "file_types": ["pdf"]}
    ]
    submission = Submission(entry=entry, round=round_, draft={})
    version = SubmissionVersion(
        submission=submission, number=1, answers={}, submitted_at=now, deadline=now
    )
    file = SubmissionFile(
        submission=submission,
        field_key="report",
        storage_key=stored.key,
        filename="report.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add_all([submission, version, file])
    requirement = DocumentRequirement(
        track=track_a, scope="team", label={"en": "Letter"}, file_types=["pdf"], max_size_mb=1
    )
    document = EligibilityDocument(
        entry=entry,
        requirement=requirement,
        subject="team",
        storage_key=stored.key,
        filename="letter.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add_all([requirement, document])
    announcement = Announcement(
        challenge=challenge,
        agency_id=world.agency_a.id,
        subject={"en": "News"},
        body={"en": "Body"},
        audiences=["entries"],
    )
    db.session.add(announcement)
    judging = _judging_objects(world, challenge, track_a, round_, submission, version, stored)
    survey = _survey(world, challenge, track_a, [world.innovator, teammate_user])
    questions = _question_objects(world, challenge, track_a, teammate_user)
    award = Award(
        track=track_a,
        entry=entry,
        round_id=round_.id,
        prize=prize,
        prize_label={"en": "Grand prize"},
        amount=prize.amount,
        currency=prize.currency,
    )
    db.session.add(award)
    pilot = Pilot(
        award=award,
        host_agency_id=world.agency_a.id,
        test_bed="Matrix test-bed",
        objectives="Objectives",
        starts_on=now.date(),
        currency="CAD",
        status="active",
        decided_at=now,
        milestones=[PilotMilestone(title="Kick-off", due_on=now.date())],
    )
    db.session.add(pilot)
    db.session.commit()
    return {
        "pilot": pilot,
        **judging,
        **questions,
        "survey": survey,
        "announcement": announcement,
        "award": award,
        "requirement": requirement,
        "document": document,
        "file": file,
        "team": team,
        "teammate": teammate,
        "team_invitation": team_invitation,
        "entry": entry,
        "challenge": challenge,
        "track_a": track_a,
        "round": round_,
        "milestone": milestone,
        "prize": prize,
        "cost_line": cost_line,
        "exchange_rate": exchange_rate,
        "partner_invitation": partner_invitation,
        "invitation": invitation,
    }


def _judging_objects(
    world: World,
    challenge: Any,
    track_a: Any,
    round_: Any,
    submission: Any,
    version: Any,
    stored: Any,
) -> dict[str, Any]:
    """A rubric with one criterion, agency A's panel with a judge assigned the matrix
    submission (with a flag), an open invitation, and a file of the submitted version."""
    db.session.flush()
    rubric = Rubric(round_id=round_.id)
    criterion = Criterion(rubric=rubric, title={"en": "Impact"})
    panel = Panel(challenge_id=challenge.id, track_id=track_a.id)
    db.session.add_all([rubric, criterion, panel])
    db.session.flush()
    judge_user = make_user("judge@example.org", display_name="Jude Judge")
    judge = Judge(panel_id=panel.id, user_id=judge_user.id)
    judge_invitation = JudgeInvitation(
        panel_id=panel.id,
        email="candidate@example.org",
        email_normalized="candidate@example.org",
        nonce="n",
        expires_at=clock.now() + timedelta(days=7),
    )
    db.session.add_all([judge, judge_invitation])
    db.session.flush()
    assignment = Assignment(
        round_id=round_.id,
        submission_id=submission.id,
        judge_id=judge.id,
        user_id=judge_user.id,
        source="manual",
        number=1,  # the judge's own number (the URLs' "number")
    )
    db.session.add(assignment)
    db.session.flush()
    flag = Flag(assignment_id=assignment.id, kind="other", note="Look")
    version_file = SubmissionFile(
        submission=submission,
        version=version,
        field_key="report",
        storage_key=stored.key,
        filename="report.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add_all([flag, version_file])
    return {
        "criterion": criterion,
        "judge": judge,
        "judge_user": judge_user,
        "judge_invitation": judge_invitation,
        "assignment": assignment,
        "flag": flag,
        "submission": submission,
        "version_file": version_file,
    }


def _survey(world: World, challenge: Any, track_a: Any, asked: list[Any]) -> Survey:
    """Agency A's open, anonymous survey of track A, asking ``asked`` one required question."""
    now = clock.now()
    survey = Survey(
        challenge=challenge,
        track=track_a,
        agency_id=world.agency_a.id,
        title={"en": "How was it?"},
        audiences=["entrants"],
        anonymous=True,
        form_fields=[
            {
                "key": "report",
                "type": "choice",
                "label": {"en": "Was the report template clear?"},
                "required": True,
                "options": [{"value": "yes", "label": {"en": "Yes"}}],
            }
        ],
        status="open",
        opens_at=now,
        closes_at=now + timedelta(days=14),
    )
    db.session.add(survey)
    db.session.flush()
    for user in asked:
        db.session.add(
            SurveyInvitee(
                survey_id=survey.id, user_id=user.id, segment="submitted", track_id=track_a.id
            )
        )
    return survey


def _question_objects(world: World, challenge: Any, track_a: Any, asker: Any) -> dict[str, Any]:
    """A new question of track A, and an answered one whose published answer was reported."""
    question = Question(
        challenge=challenge, track=track_a, asker_id=asker.id, body="May a subsidiary enter?"
    )
    answered = Question(
        challenge=challenge, track=track_a, asker_id=asker.id, body="Who pays?", status="answered"
    )
    answer = Answer(
        question=answered,
        challenge_id=challenge.id,
        track=track_a,
        agency_id=world.agency_a.id,
        scope="track",
        status="published",
        question_text={"en": "Who pays?"},
        body={"en": "Agency A."},
        published_at=clock.now(),
    )
    report = AnswerReport(answer=answer, reason="Wrong.")
    theirs = BoardPost(
        challenge=challenge, user=asker, offers="Cooking", seeks="Growing", residence="CA"
    )
    mine = BoardPost(
        challenge=challenge, user=world.innovator, offers="Growing", seeks="Cook", residence="CA"
    )
    contact = ContactRequest(post=theirs, from_post=mine, message="Team up?")
    db.session.add_all([question, answered, answer, report, theirs, mine, contact])
    return {
        "question": question,
        "answer": answer,
        "answer_report": report,
        "board_post": theirs,
        "contact_request": contact,
    }


class Matrix:
    """The matrix world, built once for the whole module: each route's URL and each role's
    user. Every case then runs in a SAVEPOINT rolled back after its request, so a POST that
    changes something never reaches the next case."""

    def __init__(self, app: Flask, conn: Any) -> None:
        self.conn = conn
        world = World()
        stored = get_storage().save(io.BytesIO(PNG), 10_000)
        world.agency_a.logo_key, world.agency_a.logo_mime = stored.key, "image/png"
        objects = _matrix_objects(world)
        objects["innovator_passkey"] = Passkey(
            user_id=world.innovator.id,
            credential_id="matrix-passkey",
            public_key=b"not a key",
            name="Matrix key",
            created_at=clock.now(),
        )
        db.session.add(objects["innovator_passkey"])
        objects["api_token"] = api_tokens.create_token(
            Actor(world.admin_a), world.agency_a, api_tokens.NewToken("Matrix", "read", 30)
        ).token
        objects["webhook_endpoint"] = webhook_endpoints.create_endpoint(
            Actor(world.admin_a),
            world.agency_a,
            webhook_endpoints.EndpointData(
                "https://hooks.example.org/matrix", "Matrix", ["entry.registered"]
            ),
        ).endpoint
        objects["webhook_delivery"] = webhook_endpoints.send_ping(
            Actor(world.admin_a), objects["webhook_endpoint"]
        )
        users = {r: objects["judge_user"] if r == "judge" else world.user(r) for r in ROLES}
        self.user_ids: dict[str, str | None] = {"anonymous": None}
        for role, user in users.items():
            if user is not None:
                record = sessions.begin(Actor(user), user, remember=False, user_agent="matrix")
                self.user_ids[role] = user.get_id()
                objects[f"{role}_session"] = record
        db.session.commit()
        self.urls = {endpoint: _url(app, endpoint, world, objects) for endpoint, _ in EXPECT}
        db.session.remove()  # no session holds the world's rows across cases


@pytest.fixture(scope="module")
def matrix(app: Flask) -> Iterator[Matrix]:
    with rolled_back_database(app) as conn:
        yield Matrix(app, conn)


@pytest.fixture
def case(matrix: Matrix) -> Iterator[Matrix]:
    savepoint = matrix.conn.begin_nested()
    limiter.reset()
    try:
        yield matrix
    finally:
        db.session.remove()
        savepoint.rollback()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), sorted(EXPECT))
def test_route_outcome_for_role(
    app: Flask, case: Matrix, endpoint: str, method: str, role: str
) -> None:
    client = app.test_client()
    user_id = case.user_ids[role]
    if user_id is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True

    url = case.urls[endpoint]
    response = client.open(url, method=method, data={} if method == "POST" else None)
    response.close()
    expected = EXPECT[(endpoint, method)][role]
    if expected == LOGIN:
        assert response.status_code == 302, response.status
        assert "/login" in response.headers["Location"], response.headers["Location"]
    else:
        assert response.status_code == expected, (
            f"{method} {url} as {role}: {response.status}\n{response.get_data(as_text=True)[:800]}"
        )
        if expected == 302:
            assert "/login" not in response.headers["Location"]


def test_what_a_case_commits_is_gone_for_the_next(app: Flask, matrix: Matrix) -> None:
    """The isolation the shared world relies on, done by hand as the ``case`` fixture does."""
    from sqlalchemy import func, select

    from competitions.core.audit import AuditEvent

    def events() -> int:
        return int(matrix.conn.scalar(select(func.count()).select_from(AuditEvent)))

    before = events()
    savepoint = matrix.conn.begin_nested()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = matrix.user_ids["admin_b"]
    assert client.get(matrix.urls["agencies.settings"]).status_code == 404
    assert events() == before + 1  # the denial was committed (in the case's SAVEPOINT)
    db.session.remove()
    savepoint.rollback()
    assert events() == before
