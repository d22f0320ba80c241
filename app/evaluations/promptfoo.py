"""Read promptfoo's JSON output (``promptfoo eval --output results.json``, also written by
``promptfoo redteam eval``).

The file is ``{"evalId", "results": {"version", "timestamp", "results": [...],
"stats"}, "config", "metadata": {"promptfooVersion", ...}}``. Each result has
``success`` (true: the model resisted), ``testCase.metadata`` (``pluginId``,
``strategyId``, ``severity`` for red-team tests; also copied to the result's own
``metadata``), ``prompt.raw``, ``response.output`` and ``gradingResult.reason``. A test
that errored (no success) counts as a failure: it proves nothing about resistance.
"""

from __future__ import annotations

from typing import Any

from app.evaluations.categories import DEFAULT_SEVERITY, category_of
from app.evaluations.parsed import ParsedCampaign, ParsedEvidence, ParsedFinding
from app.evaluations.parsing import Issues, load_json
from app.models.vocabulary import FindingSeverity

__all__ = ["parse_promptfoo"]

_MAX_SAMPLES = 3


def _test_metadata(result: dict[str, Any]) -> dict[str, Any]:
    """Red-team metadata of a result, from the test case or the result itself."""
    merged: dict[str, Any] = {}
    for source in (result.get("metadata"), (result.get("testCase") or {}).get("metadata")):
        if isinstance(source, dict):
            merged.update({k: v for k, v in source.items() if v is not None})
    return merged


def _output(result: dict[str, Any]) -> str:
    response = result.get("response")
    output = response.get("output") if isinstance(response, dict) else None
    return output if isinstance(output, str) else ""


def parse_promptfoo(
    text: str, *, file_name: str, campaign_name: str | None = None
) -> ParsedEvidence:
    """The campaign in a promptfoo output file; rejects the file if any result is malformed."""
    issues = Issues(file_name)
    document = load_json(text, file_name)
    summary = document.get("results") if isinstance(document, dict) else None
    if not isinstance(summary, dict) or not isinstance(summary.get("results"), list):
        issues.add(
            "field 'results.results'",
            "is missing: not a promptfoo output file (version 3 or later)",
        )
        issues.raise_if_any()
    assert isinstance(document, dict) and isinstance(summary, dict)
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    version = metadata.get("promptfooVersion") if isinstance(metadata, dict) else None
    if not isinstance(version, str):
        format_version = summary.get("version")
        version = f"output v{format_version}" if isinstance(format_version, int) else None
    if version is None:
        issues.add(
            "field 'metadata.promptfooVersion'",
            "is missing (nor is results.version): the promptfoo version is unknown",
        )
    started_at = issues.timestamp(summary, "timestamp", "results", required=False)
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for where, result in issues.objects(summary["results"], "results.results"):
        success = result.get("success")
        if not isinstance(success, bool):
            issues.add(f"{where}, field 'success'", "must be true or false")
            continue
        meta = _test_metadata(result)
        plugin = meta.get("pluginId") if isinstance(meta.get("pluginId"), str) else None
        strategy = meta.get("strategyId") if isinstance(meta.get("strategyId"), str) else None
        if plugin is None:
            issues.add(
                f"{where}, field 'testCase.metadata.pluginId'", "is missing: not a red-team result"
            )
            continue
        severity = meta.get("severity")
        if severity is not None and severity not in set(FindingSeverity):
            issues.add(
                f"{where}, field 'testCase.metadata.severity'",
                f"'{severity}' is not critical, high, medium or low",
            )
            continue
        category = category_of("promptfoo", strategy, plugin)
        key = (category, plugin, strategy or "")
        group = groups.setdefault(
            key,
            [0, 0, FindingSeverity(severity) if severity else DEFAULT_SEVERITY[category], []],
        )
        group[0] += 1
        if not success:
            group[1] += 1
            prompt = result.get("prompt")
            group[3].append(
                {
                    "prompt": prompt.get("raw", "") if isinstance(prompt, dict) else "",
                    "output": _output(result),
                }
            )
    if not groups and not issues.items:
        issues.add("field 'results.results'", "holds no red-team result")
    issues.raise_if_any()
    campaign = ParsedCampaign(
        name=campaign_name or str(document.get("evalId") or file_name), started_at=started_at
    )
    for (category, plugin, strategy), (run, failed, severity, samples) in sorted(groups.items()):
        campaign.tally(category, run, failed)
        if failed:
            campaign.findings.append(
                ParsedFinding(
                    category=category,
                    severity=severity,
                    probe=plugin,
                    detector=strategy or None,
                    probes_run=run,
                    failures=failed,
                    samples=samples[:_MAX_SAMPLES],
                )
            )
    raw_config = document.get("config")
    config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
    return ParsedEvidence(
        source_format="promptfoo",
        tool="promptfoo",
        tool_version=version,
        config={"description": config.get("description")} if config.get("description") else {},
        campaign=campaign,
    )
