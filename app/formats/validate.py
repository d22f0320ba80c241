"""Validate a dataset file in one streaming pass and produce its report.

This is what the registry stores with a dataset version: the content's sha256 and
size, the record count, every error with line number and JSON path (up to a
limit), warnings, statistics and reasoning-chain quality.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.formats.catalog import FORMATS, entry, format_spec
from app.formats.detect import Detection, explain_format
from app.formats.errors import DatasetFileNotFoundError
from app.formats.fastpath import read_typed
from app.formats.issues import Issue, IssueLog
from app.formats.limits import LimitsCollector
from app.formats.source import DEFAULT_MAX_LINE_BYTES, DatasetSource
from app.formats.stats import CHARS_PER_TOKEN, DatasetStats, StatsCollector
from app.upload_limits import TabularLimits

__all__ = ["UNKNOWN_FORMAT", "ValidationReport", "validate_file"]

#: The report's format when none was given and none could be detected.
UNKNOWN_FORMAT = "unknown"


@dataclass(frozen=True)
class ValidationReport:
    """Everything validation learned about one dataset file."""

    #: Format name (one of :data:`app.formats.catalog.FORMATS`, or ``"unknown"``).
    format: str
    #: True when the format was detected rather than given.
    format_detected: bool
    #: Why detection chose the format, or why it could not (``None`` when it was given).
    format_reason: str | None
    #: Other formats whose rules the sampled records also meet (detection only).
    format_also_fits: tuple[str, ...]
    #: Hex sha256 of the file's bytes.
    sha256: str
    size_bytes: int
    #: Records read, valid or not (rows for tabular data).
    record_count: int
    errors: tuple[Issue, ...]
    #: Total errors found; more than ``len(errors)`` when the limit was reached.
    error_count: int
    errors_truncated: bool
    warnings: tuple[Issue, ...]
    warning_count: int
    warnings_truncated: bool
    stats: DatasetStats
    #: The platform limits checked (lengths estimated from characters), ``None`` if none.
    limits: dict[str, object] | None
    #: True when there is at least one record and no error.
    valid: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-able form (what the API returns and the registry stores)."""
        return {
            **self.__dict__,
            "format_also_fits": list(self.format_also_fits),
            "errors": [issue.to_dict() for issue in self.errors],
            "warnings": [issue.to_dict() for issue in self.warnings],
            "stats": self.stats.to_dict(),
        }


def validate_file(
    path: Path,
    *,
    format: str | None = None,
    max_errors: int = 1000,
    progress: Callable[[int], None] | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    typed: bool = True,
    tabular_limits: TabularLimits | None = None,
) -> ValidationReport:
    """Validate ``path`` in constant memory and report every problem up to ``max_errors``.

    ``format`` forces the format; otherwise it is detected. ``progress`` is called with
    the number of bytes read since its previous call (suits ``click.progressbar.update``).
    Raises :class:`UnknownFormatError` for an unknown format name and
    :class:`DatasetFileNotFoundError` when the file is missing; problems inside the
    file are never raised, they are in the report. A format with a typed fast path
    (:mod:`app.formats.fastpath`) uses it unless ``typed`` is false; the report is the
    same either way, except that warnings within a block of lines may come in another
    order. A tabular file beyond ``tabular_limits`` (defaults when None) raises
    :class:`~app.errors.TabularLimitError` instead of being reported.
    """
    if format is not None:
        entry(format)  # raises UnknownFormatError for a name nobody registered
    if not path.is_file():
        raise DatasetFileNotFoundError(f"no such dataset file: {path}")
    detection = Detection(format, "given") if format else explain_format(path)
    name = detection.format
    log = IssueLog(limit=max_errors)
    stats = StatsCollector()
    limits = LimitsCollector(entry(name).limits if name else None, chars_per_token=CHARS_PER_TOKEN)
    details: dict[str, object] = {}
    with DatasetSource(path, progress=progress) as source:
        if name is None:
            if path.stat().st_size:
                log.error(
                    None,
                    "",
                    f"could not detect the format: {detection.reason}; give it explicitly "
                    f"(one of {', '.join(FORMATS)})",
                    "format.unknown",
                )
        else:
            spec = format_spec(name, tabular_limits=tabular_limits)
            reader = getattr(spec, "typed", None) if typed else None
            if reader is not None:
                read_typed(spec, reader, source, log, stats, limits, max_line_bytes=max_line_bytes)
            else:
                for record in spec.records(source, log, max_line_bytes=max_line_bytes):
                    stats.count_record(record, log)
                    summary = spec.check(record, log)
                    if summary is not None:
                        stats.add_valid(record, summary, log)
                        limits.check_length(record.line, summary.text_chars, log)
            details = spec.details()
        source.drain()
    if name is not None and source.size:
        limits.finish(
            valid_records=stats.valid, size_bytes=source.size, suffix=path.suffix, log=log
        )
    if source.size == 0:
        log.error(None, "", "file is empty", "file.empty")
    elif stats.records == 0 and log.error_count == 0:
        log.error(None, "", "file holds no records", "file.empty")
    return ValidationReport(
        format=name or UNKNOWN_FORMAT,
        format_detected=format is None,
        format_reason=None if format else detection.reason,
        format_also_fits=detection.also_fits,
        sha256=source.sha256,
        size_bytes=source.size,
        record_count=stats.records,
        errors=tuple(log.errors),
        error_count=log.error_count,
        errors_truncated=log.errors_truncated,
        warnings=tuple(log.warnings),
        warning_count=log.warning_count,
        warnings_truncated=log.warnings_truncated,
        stats=stats.result(details),
        limits=limits.result(),
        valid=log.error_count == 0,
    )
