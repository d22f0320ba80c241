"""The HTTP response both doors (portal and API) send for a file download."""

from __future__ import annotations

from flask import Response

__all__ = ["pdf_attachment"]


def pdf_attachment(data: bytes, filename: str) -> Response:
    """A PDF download response with a safe, generated file name, never cached or sniffed."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
