"""Read a garak report (``garak.<run>.report.jsonl``).

Each line is an object with an ``entry_type``. Read here: ``init`` (``garak_version``,
``start_time``, ``run``), ``start_run setup`` (``_config.version`` in older reports),
``attempt`` (one prompt with its outputs and ``detector_results``: detector -> one score
per output, 0 safe .. 1 hit) and ``eval`` (one per probe and detector: ``passed`` and
``total_evaluated``, or ``total`` in older reports, and ``fails`` in newer ones). Other
entry types (``completion``, ``digest``, ``payloads``...) are skipped.

Every eval with failures becomes a finding of the probe family's category (see
:mod:`app.evaluations.categories`); hit attempts of that probe and detector become its
samples. A category's tally counts each probe once, with its worst detector.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.evaluations.categories import DEFAULT_SEVERITY, category_of
from app.evaluations.parsed import ParsedCampaign, ParsedEvidence, ParsedFinding
from app.evaluations.parsing import Issues, read_jsonl

__all__ = ["parse_garak"]

#: A detector score at or above this marks the output a hit (garak's own default).
HIT_SCORE = 0.5
_MAX_SAMPLES = 3


def _text(value: Any) -> str:
    """The text of a prompt or output, in the plain or the turn-based report layouts."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            return str(value["text"])
        turns = value.get("turns")
        if isinstance(turns, list):
            return "\n".join(_text(turn.get("content")) for turn in turns if isinstance(turn, dict))
    return ""


def _hits(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(detector, sample) for each output a detector scored as a hit."""
    raw_outputs = record.get("outputs")
    outputs: list[Any] = raw_outputs if isinstance(raw_outputs, list) else []
    results = record.get("detector_results")
    hits = []
    for detector, scores in results.items() if isinstance(results, dict) else []:
        for index, score in enumerate(scores if isinstance(scores, list) else []):
            if isinstance(score, int | float) and score >= HIT_SCORE and index < len(outputs):
                hits.append(
                    (
                        detector,
                        {"prompt": _text(record.get("prompt")), "output": _text(outputs[index])},
                    )
                )
    return hits


def _eval_counts(record: dict[str, Any], where: str, issues: Issues) -> tuple[int, int] | None:
    """(evaluated, failed) of an eval entry."""
    passed = issues.count(record, "passed", where)
    total_key = "total_evaluated" if "total_evaluated" in record else "total"
    total = issues.count(record, total_key, where)
    if passed is None or total is None:
        return None
    if passed > total:
        issues.add(f"{where}, field 'passed'", f"is larger than {total_key} ({passed} > {total})")
        return None
    fails = record.get("fails")
    if fails is not None and fails != total - passed:
        issues.add(
            f"{where}, field 'fails'", f"is {fails}, but {total_key} - passed is {total - passed}"
        )
        return None
    return total, total - passed


def parse_garak(text: str, *, file_name: str) -> ParsedEvidence:
    """The campaign in a garak report; rejects the report if any line is malformed."""
    issues = Issues(file_name)
    version: str | None = None
    started_at: datetime | None = None
    run_name: str | None = None
    evals: list[tuple[str, str, int, int]] = []
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for number, record in read_jsonl(text, issues):
        where = f"line {number}"
        kind = record.get("entry_type")
        if not isinstance(kind, str):
            issues.add(f"{where}, field 'entry_type'", "is missing")
        elif kind == "init":
            version = issues.text(record, "garak_version", where)
            started_at = issues.timestamp(record, "start_time", where, required=False)
            run_name = record.get("run") if isinstance(record.get("run"), str) else None
        elif kind == "start_run setup" and version is None:
            setup_version = record.get("_config.version")
            version = setup_version if isinstance(setup_version, str) else None
        elif kind == "attempt":
            attempted = record.get("probe_classname")
            if record.get("status") == 2 and isinstance(attempted, str):
                for hit_detector, sample in _hits(record):
                    samples.setdefault((attempted, hit_detector), []).append(sample)
        elif kind == "eval":
            probe = issues.text(record, "probe", where)
            detector = issues.text(record, "detector", where)
            counts = _eval_counts(record, where, issues)
            if probe and detector and counts:
                evals.append((probe, detector, *counts))
    if version is None:
        issues.add(
            "line 1",
            "no 'init' entry with garak_version (nor a setup _config.version): the garak version is unknown",
        )
    if not evals and not issues.items:
        issues.add(
            f"line {max(1, len(text.splitlines()))}",
            "the report holds no 'eval' entry: the run did not finish",
        )
    issues.raise_if_any()
    campaign = ParsedCampaign(name=run_name or file_name, started_at=started_at)
    worst: dict[str, tuple[int, int]] = {}
    for probe, detector, total, failed in evals:
        category = category_of("garak", probe.split(".", 1)[0])
        worst[probe] = max(worst.get(probe, (0, 0)), (failed, total))
        if failed:
            campaign.findings.append(
                ParsedFinding(
                    category=category,
                    severity=DEFAULT_SEVERITY[category],
                    probe=probe,
                    detector=detector,
                    probes_run=total,
                    failures=failed,
                    samples=samples.get((probe, detector), [])[:_MAX_SAMPLES],
                )
            )
    for probe, (failed, total) in sorted(worst.items()):
        campaign.tally(category_of("garak", probe.split(".", 1)[0]), total, failed)
    return ParsedEvidence(
        source_format="garak", tool="garak", tool_version=version, campaign=campaign
    )
