"""Configuration from environment variables.

Three profiles, chosen by ``TANDEM_ENV``: ``development`` (the embedded default used by
``make run``: SQLite and a file-system Celery broker under ``instance/``), ``testing`` and
``production`` (which refuses to start with unsafe settings).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from competitions.core.languages import SUPPORTED_LANGUAGES, parse_languages

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def instance_path() -> Path:
    return Path(os.environ.get("TANDEM_INSTANCE_PATH", ROOT / "instance")).resolve()


def _dev_secret_key(instance: Path) -> str:
    """A random key persisted under instance/ so dev sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def celery_settings(broker_url: str, instance: Path) -> dict[str, Any]:
    """Celery settings shared by every profile (lower-case Celery 5 names)."""
    settings: dict[str, Any] = {
        "broker_url": broker_url,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule_filename": str(instance / "celerybeat-schedule"),
        "broker_transport_options": {},
    }
    if broker_url.startswith("filesystem://"):
        queue = instance / "broker" / "queue"
        settings["broker_transport_options"] = {
            # in and out must be the same folder, else messages are never seen.
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(instance / "broker" / "processed"),
            "store_processed": False,
            "control_folder": str(instance / "broker" / "control"),
            "polling_interval": 0.1,
        }
    elif broker_url.startswith("redis://") or broker_url.startswith("rediss://"):
        # A task not acknowledged within an hour is redelivered to another worker.
        settings["broker_transport_options"] = {"visibility_timeout": 3600}
    return settings


def ensure_broker_folders(settings: dict[str, Any]) -> None:
    opts = settings.get("broker_transport_options", {})
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        if key in opts:
            Path(opts[key]).mkdir(parents=True, exist_ok=True)


PROFILES = ("development", "testing", "production")


def _profile(env: str | None) -> str:
    env = (env or os.environ.get("TANDEM_ENV") or "development").strip().lower()
    if env not in PROFILES:
        raise ConfigError(f"TANDEM_ENV must be development, testing or production, not {env!r}")
    return env


def _secret_key(env: str, instance: Path) -> str:
    secret = os.environ.get("SECRET_KEY", "")
    if secret:
        return secret
    if env == "production":
        raise ConfigError(
            "SECRET_KEY is not set. Production needs a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    return "testing-secret-key" if env == "testing" else _dev_secret_key(instance)


def _debug(env: str) -> bool:
    debug = _bool("FLASK_DEBUG", env == "development")
    if env == "production" and debug:
        raise ConfigError("FLASK_DEBUG is on in production: this exposes an interactive debugger.")
    return debug


def _database_url(instance: Path) -> str:
    """``DATABASE_URL`` (PostgreSQL URLs get the psycopg 3 driver), else SQLite in instance/."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'tandem.db'}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def _base_url(env: str, overrides: dict[str, Any]) -> str:
    base_url = str(
        overrides.get("BASE_URL") or os.environ.get("BASE_URL") or "http://127.0.0.1:5000"
    ).rstrip("/")
    if (
        env == "production"
        and not base_url.startswith("https://")
        and not _bool("ALLOW_INSECURE_HTTP", False)
    ):
        raise ConfigError(
            "BASE_URL must start with https:// in production (set ALLOW_INSECURE_HTTP=1 to "
            "run plain HTTP behind a trusted network, e.g. a local docker-compose)."
        )
    return base_url


def _cookies(https: bool) -> dict[str, Any]:
    """Cookies: Secure whenever the site is served over HTTPS."""
    return {
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "tandem_session",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        # How long a sign-in without "keep me signed in" lasts on the server (seconds); a
        # remembered one lasts REMEMBER_COOKIE_DURATION (accounts.sessions).
        "SESSION_MAX_AGE": _int("SESSION_MAX_AGE", 60 * 60 * 12),
        # Agency members' sessions, remembered or not: without activity, and in all.
        "MEMBER_SESSION_IDLE": _int("MEMBER_SESSION_IDLE", 30 * 60),
        "MEMBER_SESSION_MAX_AGE": _int("MEMBER_SESSION_MAX_AGE", 60 * 60 * 12),
        # How long a sign-in waits for its second step (``accounts.mfa``).
        "MFA_PENDING_SECONDS": _int("MFA_PENDING_SECONDS", 5 * 60),
        # The passkeys' relying party (``accounts.passkeys``); empty: BASE_URL's host name.
        "WEBAUTHN_RP_ID": os.environ.get("WEBAUTHN_RP_ID", ""),
    }


def _requests(https: bool) -> dict[str, Any]:
    """Request sizes, CSRF, the interface's languages and the proxies in front."""
    return {
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 64 * 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 60 * 60 * 8,
        "WTF_CSRF_SSL_STRICT": https,
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Languages of the interface (TANDEM_LANGUAGES=en,fr,...), the first the default;
        # tracks declare their content languages among them.
        "LANGUAGES": _languages(os.environ.get("TANDEM_LANGUAGES")),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        # Number of reverse proxies in front of the app whose X-Forwarded-* to trust (0 = none).
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # The bearer token of /metrics (``monitoring``); empty: no such page.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
    }


def _languages(raw: Any) -> tuple[str, ...]:
    """The deployment's languages, among those Tandem has catalogs for (all by default)."""
    try:
        return parse_languages(raw)
    except ValueError as exc:
        raise ConfigError(
            f"TANDEM_LANGUAGES: {exc}. Set it to a comma-separated list such as "
            f"{','.join(SUPPORTED_LANGUAGES)}."
        ) from exc


def _rate_limits(env: str) -> dict[str, Any]:
    """Rate limits (Flask-Limiter). In production they are counted in the broker's Redis when
    Celery uses Redis (so every web process and node shares them), else in process memory."""
    broker = os.environ.get("CELERY_BROKER_URL", "") if env == "production" else ""
    shared = broker if broker.startswith(("redis://", "rediss://")) else "memory://"
    return {
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or shared,
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # IETF ``RateLimit-*`` headers come from ``core.extensions.rate_limit_headers``.
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour"),
        # Failed sign-ins per account from clients it does not know, and per known device
        # (accounts.throttle): others' failures never lock the owner's devices out.
        "RATELIMIT_LOGIN_ACCOUNT": os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "20 per hour"),
        "RATELIMIT_LOGIN_DEVICE": os.environ.get("RATELIMIT_LOGIN_DEVICE", "10 per hour"),
        # Wrong second-step codes per account (``accounts.mfa``).
        "RATELIMIT_MFA": os.environ.get("RATELIMIT_MFA", "5 per 5 minutes;20 per day"),
        "RATELIMIT_REGISTER": os.environ.get("RATELIMIT_REGISTER", "5 per minute;30 per hour"),
        "RATELIMIT_RESET": os.environ.get("RATELIMIT_RESET", "5 per minute;20 per hour"),
        "RATELIMIT_FOLLOW": os.environ.get("RATELIMIT_FOLLOW", "5 per minute;30 per hour"),
        # Questions asked of a challenge's agencies (``questions``), per client.
        "RATELIMIT_ASK": os.environ.get("RATELIMIT_ASK", "5 per 10 minutes;20 per day"),
        # Contact requests on a challenge's teammates board (``teammates``), per client.
        "RATELIMIT_CONTACT": os.environ.get("RATELIMIT_CONTACT", "10 per hour;30 per day"),
    }


def _credentials(fast_hash: bool) -> dict[str, Any]:
    """How long signed links live, and the password hashing (tests use cheap parameters)."""
    return {
        "SUBSCRIPTION_CONFIRM_MAX_AGE": 60 * 60 * 24 * 7,
        "EMAIL_VERIFY_MAX_AGE": 60 * 60 * 48,
        "PASSWORD_RESET_MAX_AGE": 60 * 60,
        "INVITATION_MAX_AGE": 60 * 60 * 24 * 14,
        # argon2id
        "ARGON2_TIME_COST": 1 if fast_hash else 3,
        "ARGON2_MEMORY_COST": 1024 if fast_hash else 65536,
        "ARGON2_PARALLELISM": 1 if fast_hash else 4,
        "PASSWORD_MIN_LENGTH": 10,
    }


def _mail(env: str, instance: Path) -> dict[str, Any]:
    """Mail and its outbox.

    ``MAIL_TRANSPORT``: "file" writes .eml files under instance/outbox; "smtp" talks to
    MAIL_HOST. ``OUTBOX_DELIVERY``: "worker" (Celery, kicked after each commit and every few
    seconds by beat) or "inline" (right after the commit, in the request: tests).
    """
    return {
        "MAIL_TRANSPORT": os.environ.get(
            "MAIL_TRANSPORT", "smtp" if env == "production" else "file"
        ),
        "MAIL_HOST": os.environ.get("MAIL_HOST", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_SECURITY": os.environ.get("MAIL_SECURITY", "none"),  # none | starttls | tls
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 20),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Tandem <no-reply@tandem.localhost>"),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "OUTBOX_DELIVERY": os.environ.get(
            "OUTBOX_DELIVERY", "inline" if env == "testing" else "worker"
        ),
        "OUTBOX_CLAIM_TIMEOUT": _int("OUTBOX_CLAIM_TIMEOUT", 300),
        # How many dispatch tasks start at a release instant (one per worker process is right).
        "OUTBOX_PARALLEL": _int("OUTBOX_PARALLEL", 2),
        **_webhooks(env),
        # The daily digest of new answers goes out from this hour (UTC) on.
        "QA_DIGEST_HOUR": _int("QA_DIGEST_HOUR", 16),
    }


def _webhooks(env: str) -> dict[str, Any]:
    """Webhook delivery (``competitions.webhooks``).

    ``WEBHOOK_DELIVERY``: "worker" (Celery, kicked after each commit, and beat's tick),
    "inline" (right after the commit, in the request) or "off" (rows only: the tests drive
    the dispatch). ``WEBHOOK_ALLOW_NETWORKS``: comma-separated networks (``127.0.0.1/32``)
    that deliveries may reach although they are internal (the tests' receiver); empty in
    production unless you mean it. Plain ``http://`` addresses only outside production.
    """
    allow_http = _bool("WEBHOOK_ALLOW_HTTP", env != "production")
    if env == "production" and allow_http:
        raise ConfigError("WEBHOOK_ALLOW_HTTP is on in production: webhooks must use HTTPS.")
    return {
        "WEBHOOK_DELIVERY": os.environ.get(
            "WEBHOOK_DELIVERY", "off" if env == "testing" else "worker"
        ),
        "WEBHOOK_ALLOW_NETWORKS": os.environ.get("WEBHOOK_ALLOW_NETWORKS", ""),
        "WEBHOOK_ALLOW_HTTP": allow_http,
        "WEBHOOK_CONNECT_TIMEOUT": _int("WEBHOOK_CONNECT_TIMEOUT", 3),
        "WEBHOOK_READ_TIMEOUT": _int("WEBHOOK_READ_TIMEOUT", 10),
        "WEBHOOK_RESPONSE_CAP": _int("WEBHOOK_RESPONSE_CAP", 2048),
        "WEBHOOK_MAX_ATTEMPTS": _int("WEBHOOK_MAX_ATTEMPTS", 10),
        "WEBHOOK_CLAIM_TIMEOUT": _int("WEBHOOK_CLAIM_TIMEOUT", 300),
        "WEBHOOK_ROTATION_OVERLAP": _int("WEBHOOK_ROTATION_OVERLAP", 24 * 60 * 60),
    }


def _storage_and_pages(env: str, instance: Path) -> dict[str, Any]:
    return {
        # Uploaded files (agency logos, later entries) live outside the web root.
        "STORAGE_DIR": os.environ.get("STORAGE_DIR", str(instance / "storage")),
        # s3://bucket/prefix stores files in any S3-compatible service instead (credentials from
        # the environment, as boto3 reads them); S3_ENDPOINT_URL for a service other than AWS.
        "STORAGE_URL": os.environ.get("STORAGE_URL", ""),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION") or os.environ.get("AWS_DEFAULT_REGION", ""),
        "LOGO_MAX_BYTES": 1024 * 1024,
        "CELERY": celery_settings(os.environ.get("CELERY_BROKER_URL", "filesystem://"), instance),
        "AUDIT_PAGE_SIZE": 50,
        # Public pages for anonymous visitors are re-rendered at most this often (0: never
        # cached). Tests turn it off; a dedicated test turns it on.
        "PUBLIC_PAGE_CACHE_SECONDS": _int(
            "PUBLIC_PAGE_CACHE_SECONDS", 0 if env == "testing" else 10
        ),
    }


def _results(env: str) -> dict[str, Any]:
    """Judging results (``judging.refresh``). ``RESULTS_REFRESH``: "worker" (a Celery worker
    recomputes a round's results ``RESULTS_REFRESH_DELAY`` seconds after reviews change, and
    the results page shows the kept ones meanwhile, unless they are older than
    ``RESULTS_REFRESH_LAG`` seconds) or "inline" (the page recomputes them)."""
    mode = os.environ.get("RESULTS_REFRESH", "inline" if env == "testing" else "worker")
    if mode not in ("worker", "inline"):
        raise ConfigError(f"RESULTS_REFRESH must be worker or inline, not {mode!r}.")
    return {
        "RESULTS_REFRESH": mode,
        "RESULTS_REFRESH_DELAY": _int("RESULTS_REFRESH_DELAY", 3),
        "RESULTS_REFRESH_LAG": _int("RESULTS_REFRESH_LAG", 120),
    }


def build_config(env: str | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the configuration mapping for ``env`` (default: ``$TANDEM_ENV`` or development).

    Unsafe production settings raise ``ConfigError``, in this order: no SECRET_KEY, debug on,
    a plain-HTTP BASE_URL.
    """
    env = _profile(env)
    overrides = overrides or {}
    instance = Path(overrides.get("INSTANCE_PATH") or instance_path())
    secret = _secret_key(env, instance)
    debug = _debug(env)
    database_url = _database_url(instance)
    base_url = _base_url(env, overrides)
    https = base_url.startswith("https://")
    config: dict[str, Any] = {
        "TANDEM_ENV": env,
        "TESTING": env == "testing",
        "DEBUG": debug,
        "SECRET_KEY": secret,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": base_url,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        **_cookies(https),
        **_requests(https),
        **_rate_limits(env),
        **_credentials(fast_hash=env == "testing"),
        **_mail(env, instance),
        **_storage_and_pages(env, instance),
        **_results(env),
    }
    config.update(overrides)
    config["DATA_KEYS"] = _data_keys(config.get("DATA_KEYS", os.environ.get("DATA_KEYS", "")))
    config["BASE_URL"] = base_url
    config["LANGUAGES"] = _languages(config["LANGUAGES"])
    config["BABEL_DEFAULT_LOCALE"] = config["LANGUAGES"][0]
    _check_storage_url(config["STORAGE_URL"])
    return config


def _data_keys(raw: Any) -> tuple[str, ...]:
    """``DATA_KEYS``: the keys of the sealed columns (``core.sealed``), the first seals."""
    from competitions.core.sealed import parse_keys

    if isinstance(raw, (tuple, list)):
        raw = ",".join(raw)
    try:
        return parse_keys(str(raw or ""))
    except ValueError as exc:
        raise ConfigError(f"DATA_KEYS: {exc}.") from exc


def _check_storage_url(url: str) -> None:
    if url and not (url.startswith("s3://") and len(url) > len("s3://") and url[5] != "/"):
        raise ConfigError(
            f"STORAGE_URL must look like s3://bucket/prefix (or be empty for local files): {url!r}"
        )
