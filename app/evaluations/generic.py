"""Read Gatehouse's generic evaluation formats (JSON and CSV), documented in
docs/evaluations.md, for in-house harnesses and memorisation tests.

JSON::

    {"tool": "clinic-eval", "tool_version": "2.1", "measured_at": "2026-11-20T10:00:00Z",
     "results": [{"metric": "accuracy", "value": 0.91, "baseline": 0.88, "stderr": 0.01,
                  "task": "discharge-qa", "dataset": {"name": "notes-holdout",
                  "revision": "v3", "sha256": "..."}}],
     "memorisation": [{"method": "canary", "records_tested": 200, "records_elicited": 0}]}

CSV: one metric per row with the columns ``tool, tool_version, metric, value, task,
dataset_name, measured_at`` and optionally ``dataset_revision, dataset_sha256,
baseline, stderr, threshold``. A dataset needs a revision or a SHA-256.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

from app.evaluations.parsed import ParsedEvidence, ParsedMemorisation, ParsedMetric
from app.evaluations.parsing import Issues, load_json
from app.models.vocabulary import MemorisationMethod

__all__ = ["CSV_COLUMNS", "parse_generic_csv", "parse_generic_json"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CSV_COLUMNS = ("tool", "tool_version", "metric", "value", "task", "dataset_name", "measured_at")
_OPTIONAL_CSV_COLUMNS = ("dataset_revision", "dataset_sha256", "baseline", "stderr", "threshold")


def _metric(
    record: dict[str, Any],
    dataset: dict[str, Any],
    where: str,
    issues: Issues,
    default_time: datetime | None,
) -> ParsedMetric | None:
    """One metric row, or ``None`` after recording what is wrong with it."""
    metric = issues.text(record, "metric", where)
    value = issues.number(record, "value", where)
    task = issues.text(record, "task", where)
    baseline = issues.number(record, "baseline", where, required=False)
    stderr = issues.number(record, "stderr", where, required=False)
    threshold = issues.number(record, "threshold", where, required=False)
    measured_at = issues.timestamp(record, "measured_at", where, required=default_time is None)
    name = issues.text(dataset, "name", f"{where} dataset")
    revision = issues.text(dataset, "revision", f"{where} dataset", required=False)
    digest = issues.text(dataset, "sha256", f"{where} dataset", required=False)
    if digest is not None and not _SHA256.match(digest):
        issues.add(f"{where} dataset, field 'sha256'", "must be 64 lowercase hex digits")
        return None
    if name is not None and revision is None and digest is None:
        issues.add(f"{where} dataset", "needs a revision or a sha256: its identity is unknown")
        return None
    if metric is None or value is None or task is None or name is None:
        return None
    return ParsedMetric(
        metric=metric,
        value=value,
        task=task,
        dataset_name=name,
        measured_at=measured_at or default_time,  # type: ignore[arg-type]
        stderr=stderr,
        baseline=baseline,
        threshold=threshold,
        dataset_revision=revision,
        dataset_sha256=digest,
    )


def _memorisation(
    record: dict[str, Any], where: str, issues: Issues, default_time: datetime | None
) -> ParsedMemorisation | None:
    method = issues.text(record, "method", where)
    if method is not None and method not in set(MemorisationMethod):
        issues.add(f"{where}, field 'method'", f"must be one of {', '.join(MemorisationMethod)}")
        method = None
    tested = issues.count(record, "records_tested", where)
    elicited = issues.count(record, "records_elicited", where)
    measured_at = issues.timestamp(record, "measured_at", where, required=default_time is None)
    if tested is not None and elicited is not None and elicited > tested:
        issues.add(f"{where}, field 'records_elicited'", "is larger than records_tested")
        return None
    if tested == 0:
        issues.add(f"{where}, field 'records_tested'", "must be at least 1")
        return None
    if method is None or tested is None or elicited is None:
        return None
    return ParsedMemorisation(method, tested, elicited, measured_at or default_time)  # type: ignore[arg-type]


def parse_generic_json(text: str, *, file_name: str) -> ParsedEvidence:
    """Metrics and memorisation tests of a generic JSON file; rejects any malformed part."""
    issues = Issues(file_name)
    document = load_json(text, file_name)
    if not isinstance(document, dict):
        issues.add("line 1", "must be a JSON object")
        issues.raise_if_any()
    tool = issues.text(document, "tool", "")
    version = issues.text(document, "tool_version", "")
    default_time = issues.timestamp(document, "measured_at", "", required=False)
    results = document.get("results", [])
    memorisation = document.get("memorisation", [])
    if not isinstance(results, list) or not isinstance(memorisation, list):
        issues.add("field 'results' / 'memorisation'", "must be arrays")
        issues.raise_if_any()
    if not results and not memorisation:
        issues.add("field 'results'", "the file holds no result and no memorisation test")
    parsed = ParsedEvidence(source_format="generic_json", tool=tool or "", tool_version=version)
    for where, record in issues.objects(results, "results"):
        dataset = record.get("dataset")
        if not isinstance(dataset, dict):
            issues.add(
                f"{where}, field 'dataset'", "must be an object with name and revision or sha256"
            )
            continue
        metric = _metric(record, dataset, where, issues, default_time)
        if metric is not None:
            parsed.metrics.append(metric)
    for where, record in issues.objects(memorisation, "memorisation"):
        test = _memorisation(record, where, issues, default_time)
        if test is not None:
            parsed.memorisation.append(test)
    issues.raise_if_any()
    return parsed


def _csv_number(row: dict[str, Any], key: str) -> Any:
    """A CSV cell as a number where it reads as one (so the shared checks apply)."""
    cell = (row.get(key) or "").strip()
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        return cell


def parse_generic_csv(text: str, *, file_name: str) -> ParsedEvidence:
    """Metrics of a generic CSV file (one per row); rejects any malformed row."""
    issues = Issues(file_name)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        issues.add("line 1", f"missing column(s): {', '.join(missing)}")
        issues.raise_if_any()
    unknown = [column for column in header if column not in CSV_COLUMNS + _OPTIONAL_CSV_COLUMNS]
    if unknown:
        issues.add("line 1", f"unknown column(s): {', '.join(unknown)}")
    tools: set[tuple[str, str]] = set()
    parsed = ParsedEvidence(source_format="generic_csv", tool="", tool_version=None)
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row:
            issues.add(where, "has more cells than the header")
            continue
        record = {
            key: (value.strip() if isinstance(value, str) and value.strip() else None)
            for key, value in row.items()
        }
        for key in ("value", "baseline", "stderr", "threshold"):
            record[key] = _csv_number(row, key)
        dataset = {
            "name": record.get("dataset_name"),
            "revision": record.get("dataset_revision"),
            "sha256": record.get("dataset_sha256"),
        }
        tool = issues.text(record, "tool", where)
        version = issues.text(record, "tool_version", where)
        if tool and version:
            tools.add((tool, version))
        metric = _metric(
            record, {k: v for k, v in dataset.items() if v is not None}, where, issues, None
        )
        if metric is not None:
            parsed.metrics.append(metric)
    if len(tools) > 1:
        issues.add("column 'tool'", "one file must come from one tool and version")
    if not parsed.metrics and not issues.items:
        issues.add("line 2", "the file holds no result row")
    issues.raise_if_any()
    parsed.tool, parsed.tool_version = next(iter(tools))
    return parsed
