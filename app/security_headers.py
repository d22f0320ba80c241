"""Response headers that keep the portal out of frames, scripts out of pages and URLs private.

Every response gets them, pages and API alike: the Content-Security-Policy allows script
only from our own origin (no inline script anywhere: the API docs start from a static
file), no framing (the vote and attestation forms cannot be clickjacked), no plugins and
no foreign form targets; ``nosniff`` stops a stored upload being read as a script; the
referrer never carries a path (ids of runs and decisions) off the site. HSTS is sent only
on HTTPS requests, where a browser honours it.
"""

from __future__ import annotations

from flask import Flask, Response, request

#: Inline styles stay allowed: the server-side SVG charts and Swagger UI set ``style``.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
#: One year, as browsers' preload lists expect.
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the headers to every response (a view's own value wins)."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
