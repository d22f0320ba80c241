"""Typed errors of the dataset-format layer.

Problems *inside* a dataset file are not exceptions: they are collected as issues
in a :class:`~app.formats.report.ValidationReport`. These errors are for calls that
cannot produce a report at all (unknown format name, impossible conversion,
unreadable path).
"""

from __future__ import annotations

from app.errors import NotFoundError, ValidationError

__all__ = [
    "DatasetFileNotFoundError",
    "FormatsError",
    "UnknownFormatError",
    "UnsupportedConversionError",
]


class FormatsError(ValidationError):
    """Root of the errors raised by :mod:`app.formats`."""


class UnknownFormatError(FormatsError):
    """The format name given is not one Gatehouse knows."""


class UnsupportedConversionError(FormatsError):
    """The requested source/target pair cannot be converted."""


class DatasetFileNotFoundError(NotFoundError):
    """The dataset file to read does not exist or is not a regular file."""
