"""HTTP security headers for every response."""

from __future__ import annotations

from flask import Flask, Response, request

from competitions.core.extensions import rate_limit_headers

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        h = response.headers
        rate_limit_headers(response)
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure or app.config.get("PREFERRED_URL_SCHEME") == "https":
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        # Pages that show personal data must not be stored by shared caches.
        if "Cache-Control" not in h and response.mimetype == "text/html":
            h["Cache-Control"] = "no-store"
        return response
