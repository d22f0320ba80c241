"""Scan a dataset's text for PII/PHI and classify the dataset from the findings.

Every text field of every record (valid or not: a malformed record can still hold a
patient's name) goes through :func:`app.formats.recognizers.find_identifiers`.
Findings keep counts, line/field locations and *masked* samples only: raw values are
never stored, logged or returned. :func:`classify` turns findings into the data
classification the registry stores and the policy packs read; a person may override it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.formats.anthropic_text import TextRecord
from app.formats.catalog import entry, format_spec
from app.formats.detect import detect_format
from app.formats.errors import DatasetFileNotFoundError
from app.formats.issues import IssueLog
from app.formats.source import DEFAULT_MAX_LINE_BYTES, DatasetSource
from app.formats.validate import UNKNOWN_FORMAT
from app.upload_limits import TabularLimits

__all__ = [
    "MAX_LOCATIONS",
    "PHI_CATEGORIES",
    "CategoryFindings",
    "Classification",
    "FindingLocation",
    "ScanReport",
    "classify",
    "mask",
    "scan_file",
]

#: Locations kept per category (the count is always complete).
MAX_LOCATIONS = 100
_MAX_SAMPLES = 3
#: Identifiers that only exist in a health-care setting: finding one means PHI.
PHI_CATEGORIES = frozenset({"medical_record_number", "health_plan_number"})
#: Fields that hold structure, not free text (roles, media types, base64 payloads).
_NOT_TEXT = frozenset(
    {"role", "type", "mimeType", "mime_type", "data", "weight", "fileUri", "file_uri"}
)
_HEALTH_TERMS = re.compile(
    r"\b(?:patient|diagnos\w*|prescri\w*|medication|symptom\w*|clinic(?:al)?|hospital\w*|"
    r"treatment|physician|icd-10|blood pressure|mg/dl|hiv|diabet\w*|cancer|oncolog\w*|therapy|"
    r"surgery|admitted|discharge\w*)\b",
    re.IGNORECASE,
)


def mask(value: str) -> str:
    """Hide every letter and digit but the last two (all of them in short values)."""
    keep = 2 if len(value) >= 8 else 0
    head, tail = value[: len(value) - keep], value[len(value) - keep :]
    return re.sub(r"[A-Za-z0-9]", "*", head) + tail


@dataclass(frozen=True, slots=True)
class FindingLocation:
    """Where an identifier was found."""

    line: int
    field: str


@dataclass(frozen=True)
class CategoryFindings:
    """All finds of one category."""

    category: str
    count: int
    #: Distinct records with at least one find.
    records: int
    #: Up to :data:`MAX_LOCATIONS` locations, in file order.
    locations: tuple[FindingLocation, ...]
    locations_truncated: bool
    #: A few masked examples (see :func:`mask`), never the raw values.
    masked_samples: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {
            **self.__dict__,
            "locations": [{"line": loc.line, "field": loc.field} for loc in self.locations],
            "masked_samples": list(self.masked_samples),
        }


@dataclass(frozen=True)
class ScanReport:
    """PII/PHI findings for one dataset file."""

    format: str
    sha256: str
    records_scanned: int
    fields_scanned: int
    #: Lines that could not be read as records (not scanned; see validation for why).
    unreadable_lines: int
    #: Records whose text mentions health matters (diagnosis, medication, patient ...).
    health_context_records: int
    findings: tuple[CategoryFindings, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {**self.__dict__, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class Classification:
    """The data classification derived from a scan (a person may override it)."""

    contains_pii: bool
    contains_phi: bool
    categories: tuple[str, ...]
    #: One sentence saying why, for the registry's record and the audit trail.
    reason: str

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {**self.__dict__, "categories": list(self.categories)}


class _Category:
    def __init__(self) -> None:
        self.count = 0
        self.records: set[int] = set()
        self.locations: list[FindingLocation] = []
        self.samples: list[str] = []

    def add(self, line: int, field: str, masked: str) -> None:
        self.count += 1
        self.records.add(line)
        if len(self.locations) < MAX_LOCATIONS:
            self.locations.append(FindingLocation(line, field))
        if len(self.samples) < _MAX_SAMPLES and masked not in self.samples:
            self.samples.append(masked)


def _text_fields(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every free-text string in a record, with its JSON path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_TEXT:
                yield from _text_fields(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_fields(item, f"{path}[{index}]")
    elif isinstance(value, TextRecord):
        for index, turn in enumerate(value.turns):
            yield f"turns[{index}]", turn.text


def scan_file(
    path: Path,
    *,
    format: str | None = None,
    progress: Callable[[int], None] | None = None,
    tabular_limits: TabularLimits | None = None,
) -> ScanReport:
    """Scan every text field of ``path`` for identifiers; detect the format when not given.

    ``progress`` is called with bytes read since its previous call. A table beyond
    ``tabular_limits`` (the defaults when None) raises :class:`~app.errors.TabularLimitError`.
    """
    if format is not None:
        entry(format)  # raises UnknownFormatError for a name nobody registered
    if not path.is_file():
        raise DatasetFileNotFoundError(f"no such dataset file: {path}")
    # presidio and spaCy take seconds to import: only a scan pays for them, not every
    # `import app.formats` (validation, the CLI's start-up).
    from app.formats.recognizers import find_identifiers

    name = format or detect_format(path)
    categories: dict[str, _Category] = {}
    records = fields = health = 0
    log = IssueLog(limit=0)
    with DatasetSource(path, progress=progress) as source:
        if name is not None:
            for record in format_spec(name, tabular_limits=tabular_limits).records(
                source, log, max_line_bytes=DEFAULT_MAX_LINE_BYTES
            ):
                records += 1
                mentions_health = False
                for field, text in _text_fields(record.value):
                    fields += 1
                    mentions_health = mentions_health or bool(_HEALTH_TERMS.search(text))
                    for found in find_identifiers(text):
                        masked = mask(text[found.start : found.end])
                        categories.setdefault(found.category, _Category()).add(
                            record.line, field, masked
                        )
                health += mentions_health
        source.drain()
    findings = tuple(
        CategoryFindings(
            category=category,
            count=tally.count,
            records=len(tally.records),
            locations=tuple(tally.locations),
            locations_truncated=tally.count > len(tally.locations),
            masked_samples=tuple(tally.samples),
        )
        for category, tally in sorted(categories.items())
    )
    return ScanReport(
        format=name or UNKNOWN_FORMAT,
        sha256=source.sha256,
        records_scanned=records,
        fields_scanned=fields,
        unreadable_lines=log.error_count,
        health_context_records=health,
        findings=findings,
    )


def classify(scan: ScanReport) -> Classification:
    """Derive the classification: PII when any identifier was found; PHI when identifiers
    occur in a health context (or health-plan/medical-record numbers are present)."""
    categories = tuple(finding.category for finding in scan.findings)
    if not categories:
        return Classification(False, False, (), "no identifiers found by the scan")
    phi_ids = sorted(PHI_CATEGORIES.intersection(categories))
    if phi_ids:
        return Classification(
            True, True, categories, f"health-care identifiers found: {', '.join(phi_ids)}"
        )
    if scan.health_context_records:
        return Classification(
            True,
            True,
            categories,
            f"identifiers found and {scan.health_context_records} records mention health matters",
        )
    return Classification(True, False, categories, "identifiers found; no health context detected")
