"""Typed errors of the report subsystem (rendering, signing, verification)."""

from __future__ import annotations

from app.errors import ConflictError, GatehouseError, ValidationError

__all__ = [
    "AssetRefusedError",
    "RenderFailedError",
    "RenderTimeoutError",
    "ReportContextError",
    "ReportError",
    "ReportFileMissingError",
    "ReportSubjectNotReadyError",
    "SigningError",
    "SigningIdentityError",
    "TimestampError",
    "UnknownReportKindError",
]


class ReportError(GatehouseError, title="Report error"):
    """A report could not be produced."""


class UnknownReportKindError(ValidationError):
    """The requested report kind does not exist."""


class ReportContextError(ValidationError):
    """The data given for a report lacks a field its template needs."""


class AssetRefusedError(ReportError):
    """A template referred to a resource outside the packaged report assets."""


class RenderTimeoutError(ReportError, status=504, title="Report rendering timed out"):
    """Rendering did not finish within its time limit and was stopped."""


class RenderFailedError(ReportError):
    """WeasyPrint failed while laying out or writing the PDF."""


class SigningIdentityError(ReportError):
    """The signing identity (PKCS#12 file or passphrase) cannot be loaded or created."""


class SigningError(ReportError):
    """pyHanko could not sign the PDF."""


class TimestampError(SigningError, status=502, title="Timestamp authority failed"):
    """The timestamp authority did not return a usable timestamp token."""


class ReportSubjectNotReadyError(ConflictError, title="Report subject not ready"):
    """The subject lacks what its report is built from (e.g. no gate decision yet)."""


class ReportFileMissingError(ReportError, title="Report file missing or altered"):
    """A registered report's PDF is missing from storage or no longer matches its SHA-256."""
