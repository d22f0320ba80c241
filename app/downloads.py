"""The HTTP responses both doors (portal and API) send for a file download."""

from __future__ import annotations

from flask import Response, current_app

__all__ = ["attachment", "report_download"]


def attachment(data: bytes, filename: str, mimetype: str = "application/pdf") -> Response:
    """A download response with a safe, generated file name, never cached or sniffed."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def report_download(report_id: int) -> Response:
    """A registered report's PDF for the signed-in user; the download is ledgered."""
    from app.auth.guard import current_principal
    from app.db import unit_of_work
    from app.reports.service import record_download

    with unit_of_work() as session:
        found = record_download(
            session=session,
            settings=current_app.config["GATEHOUSE"],
            report_id=report_id,
            actor=current_principal().username,
        )
    return attachment(found.data, found.filename)
