"""Tandem: parallel innovation challenges run by several agencies on one shared timeline."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from competitions.config import ROOT, build_config, ensure_broker_folders

log = logging.getLogger(__name__)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application. ``config`` overrides values read from the environment."""
    settings = build_config((config or {}).get("TANDEM_ENV"), config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=settings["INSTANCE_PATH"],
        instance_relative_config=False,
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    ensure_broker_folders(app.config["CELERY"])
    _configure_logging(app)

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_prefix=n
        )

    _init_extensions(app)
    from competitions.core.params import BoundedInt

    app.url_map.converters["int"] = BoundedInt  # an id too large to exist is a 404
    _register_blueprints(app)
    _register_template_helpers(app)

    from competitions.core.errors import register_error_handlers
    from competitions.core.security import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)
    from competitions.core import request_ids

    request_ids.init_app(app)

    from competitions.cli import register_cli

    register_cli(app)
    return app


def _configure_logging(app: Flask) -> None:
    from competitions.core.request_ids import LogFilter

    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s",
        )
    # Every line names its request (``core.request_ids``), whoever configured the handlers.
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LogFilter) for f in handler.filters):
            handler.addFilter(LogFilter())


def _init_extensions(app: Flask) -> None:
    from competitions.core import i18n, templating, translate
    from competitions.core.extensions import (
        babel,
        bootstrap,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
    )

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    translate.install_in_jinja(app.jinja_env)  # gettext resolved once per request
    app.jinja_env.template_class = templating.Template  # cheaper macro imports
    bootstrap.init_app(app)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    from competitions.core.translate import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")

    # Models register their tables on the shared metadata.
    import competitions.agencies.models
    import competitions.api.models
    import competitions.awards.models
    import competitions.challenges.models
    import competitions.core.audit
    import competitions.core.outbox
    import competitions.core.task_runs
    import competitions.entries.models
    import competitions.formats.models
    import competitions.insights.models
    import competitions.judging.models
    import competitions.lessons.models
    import competitions.outreach.models
    import competitions.pilots.models
    import competitions.questions.models
    import competitions.reports.models
    import competitions.submissions.models
    import competitions.surveys.models
    import competitions.teammates.models
    import competitions.webhooks.models  # noqa: F401


def _tune_sqlite(engine: Any) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def _register_blueprints(app: Flask) -> None:
    from competitions.accounts import bp as accounts_bp
    from competitions.agencies import bp as agencies_bp
    from competitions.awards import bp as awards_bp
    from competitions.challenges import bp as challenges_bp
    from competitions.core.views import bp as core_bp
    from competitions.entries import bp as entries_bp
    from competitions.formats import bp as formats_bp
    from competitions.insights import bp as insights_bp
    from competitions.judging import bp as judging_bp
    from competitions.lessons import bp as lessons_bp
    from competitions.monitoring import bp as monitoring_bp
    from competitions.outreach import bp as outreach_bp
    from competitions.pilots import bp as pilots_bp
    from competitions.questions import bp as questions_bp
    from competitions.reports import bp as reports_bp
    from competitions.submissions import bp as submissions_bp
    from competitions.surveys import bp as surveys_bp
    from competitions.teammates import bp as teammates_bp
    from competitions.webhooks import bp as webhooks_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(agencies_bp)
    app.register_blueprint(challenges_bp)
    app.register_blueprint(entries_bp)
    app.register_blueprint(submissions_bp)
    app.register_blueprint(outreach_bp)
    app.register_blueprint(judging_bp)
    app.register_blueprint(insights_bp)
    app.register_blueprint(lessons_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(questions_bp)
    app.register_blueprint(teammates_bp)
    app.register_blueprint(formats_bp)
    app.register_blueprint(awards_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(pilots_bp)
    app.register_blueprint(monitoring_bp)

    from competitions import api

    api.init_app(app)


def _register_template_helpers(app: Flask) -> None:
    from competitions.accounts import permissions as account_perms
    from competitions.agencies import permissions as agency_perms
    from competitions.agencies import trails as agency_trails
    from competitions.challenges import trails as challenge_trails
    from competitions.core import breadcrumbs, clock, i18n, page_cache, translate, urls
    from competitions.core.markdown import render_markdown
    from competitions.entries import trails as entry_trails
    from competitions.judging import trails as judging_trails
    from competitions.surveys import trails as survey_trails

    # The functions templates call, each under its own name.
    helpers = (
        page_cache.csrf_token,
        i18n.current_language,
        i18n.languages,
        i18n.language_name,
        i18n.country_name,
        i18n.viewer_timezone,
        i18n.text_direction,
        i18n.page_direction,
        i18n.back_arrow,
        agency_perms.can_manage_agency,
        agency_perms.can_view_agency_console,
        agency_perms.can_create_agency,
        agency_perms.console_agencies,
        account_perms.can_view_audit_log,
        urls.id_url,
        # Breadcrumb trails (templates/_macros/nav.html renders them).
        breadcrumbs.home_trail,
        agency_trails.agency_trail,
        agency_trails.agency_challenges_trail,
        agency_trails.admin_trail,
        agency_trails.account_trail,
        challenge_trails.challenge_trail,
        challenge_trails.manage_trail,
        challenge_trails.round_trail,
        entry_trails.my_teams_trail,
        entry_trails.team_trail,
        entry_trails.entry_trail,
        entry_trails.entry_round_trail,
        judging_trails.judge_trail,
        judging_trails.queue_trail,
        judging_trails.judging_trail,
        judging_trails.judging_round_trail,
        survey_trails.surveys_trail,
        survey_trails.survey_trail,
        survey_trails.answer_trail,
    )
    app.jinja_env.globals.update({helper.__name__: helper for helper in helpers})
    app.jinja_env.globals["get_locale"] = translate.locale
    app.jinja_env.filters["instant"] = i18n.format_instant
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["money"] = i18n.format_money
    app.jinja_env.filters["decimal"] = i18n.format_number
    app.jinja_env.filters["signed"] = i18n.format_signed
    app.jinja_env.filters["percent"] = i18n.format_percent
    app.jinja_env.filters["day"] = i18n.format_day
    app.jinja_env.filters["filesize"] = i18n.format_file_size
    app.jinja_env.filters["timedelta"] = i18n.format_duration
    app.jinja_env.globals["now_utc"] = clock.now

    @app.context_processor
    def _request_globals() -> dict[str, Any]:
        # Registered after Flask-WTF's processor, so this csrf_token() is the one templates use.
        # Every page speaks the viewer's language; an email passes its recipient's (explicit
        # values win over a context processor's).
        return {
            "current_path": request.full_path.rstrip("?") if request else "/",
            "csrf_token": page_cache.csrf_token,
            "lang": i18n.current_language() if request else None,
        }
