"""Pages that belong to no domain: home, language switch, health checks."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from competitions.core import home as home_sections
from competitions.core.extensions import csrf, db
from competitions.core.health import check_broker, check_database
from competitions.core.page_cache import cached_public_page
from competitions.core.urls import is_safe_next

bp = Blueprint("core", __name__)


@bp.route("/")
@cached_public_page  # a visitor's home: the same for every visitor, for a few seconds
def home() -> ResponseReturnValue:
    return render_template("home.html", sections=home_sections.sections_for(current_user))


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    target = request.form.get("next", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated and current_user.preferred_language != lang:
            current_user.preferred_language = lang
            db.session.commit()
    return redirect(target if is_safe_next(target) else "/")


@bp.route("/healthz")
@csrf.exempt
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> ResponseReturnValue:
    db_ok, db_detail = check_database(db)
    broker_ok, broker_detail = check_broker(current_app.config["CELERY"])
    ok = db_ok and broker_ok
    body = {
        "status": "ok" if ok else "unavailable",
        "database": db_detail,
        "broker": broker_detail,
    }
    return jsonify(body), 200 if ok else 503
