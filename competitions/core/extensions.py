"""Flask extensions, created unbound and initialised in ``create_app``."""

from __future__ import annotations

import time

from flask import Response, request
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import exc as sa_exc

from competitions.core.db import Base


def client_ip() -> str:
    """The client's address as seen by this server.

    ``X-Forwarded-For`` is honoured only through ``ProxyFix`` configured with the number of
    trusted proxies, so a client cannot pick its own rate-limit bucket by sending the header.
    """
    return request.remote_addr or "unknown"


class TandemSession(FlaskSession):
    """Runs ``core.after_commit`` callbacks once ``commit()`` has returned (so they may use
    the session again: the outbox delivers inline this way in tests)."""

    def commit(self) -> None:
        from competitions.core.after_commit import outcome_unknown, run_committed

        if not self.in_transaction() or self.in_nested_transaction():
            super().commit()
            run_committed(self)
            return
        self.flush()  # a failure here: nothing committed; the rollback undoes side effects
        try:
            super().commit()
        except sa_exc.DBAPIError as err:
            if err.connection_invalidated:
                # The connection was lost with the COMMIT sent: it may have been applied.
                outcome_unknown(self)
            raise
        run_committed(self)


db = SQLAlchemy(model_class=Base, session_options={"class_": TandemSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=client_ip, default_limits=[])


def rate_limit_headers(response: Response) -> None:
    """The rate limit of the request as the IETF draft names it (``RateLimit-Limit``,
    ``-Remaining``, ``-Reset`` in seconds, ``-Policy``), and ``Retry-After`` once refused.

    Flask-Limiter's own headers are turned off (``RATELIMIT_HEADERS_ENABLED``): they are the
    older ``X-RateLimit-*`` names, with the reset as an epoch time."""
    current = limiter.current_limit
    if current is None:
        return
    amount, window = current.limit.amount, current.limit.get_expiry()
    response.headers["RateLimit-Limit"] = str(amount)
    response.headers["RateLimit-Remaining"] = str(max(current.remaining, 0))
    reset = min(max(current.reset_at - int(time.time()), 0), window)
    response.headers["RateLimit-Reset"] = str(reset)
    response.headers["RateLimit-Policy"] = f"{amount};w={window}"
    if current.breached and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(max(reset, 1))
