"""Fine-tuning dataset formats: detection, validation, statistics, conversion, PII/PHI scan.

A pure library layer: no database, no Flask. The registry's dataset service calls
:func:`validate_file`, :func:`scan_file` and :func:`classify` and stores their
reports; the ``dataset`` CLI group calls the same functions on local files.
"""

from __future__ import annotations

from app.formats.catalog import CHAT_FORMATS, FORMATS
from app.formats.convert import ConversionReport, convert_file
from app.formats.detect import detect_format
from app.formats.issues import Issue
from app.formats.pii import Classification, ScanReport, classify, scan_file
from app.formats.validate import ValidationReport, validate_file

__all__ = [
    "CHAT_FORMATS",
    "FORMATS",
    "Classification",
    "ConversionReport",
    "Issue",
    "ScanReport",
    "ValidationReport",
    "classify",
    "convert_file",
    "detect_format",
    "scan_file",
    "validate_file",
]
