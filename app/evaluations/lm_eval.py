"""Read an lm-evaluation-harness results file (``results_<date>.json``).

The harness writes ``results`` (task -> ``"metric,filter": value`` and
``"metric_stderr,filter": stderr``), ``configs`` (task -> its dataset path, name and
kwargs), ``versions``, ``task_hashes`` (task -> SHA-256 of its samples), ``config``
(model, model args, batch size...), ``date`` (Unix time) and the harness version
(``lm_eval_version``, or ``git_hash`` in older files). Groups (``mmlu``) aggregate
subtasks and have no config of their own: they are skipped, their subtasks are read.

A metric is stored as ``task/metric`` (``task/metric,filter`` for a filter other than
``none``) unless ``metric_names`` gives it the name the policy reads, e.g.
``{"medqa_4options/acc": "accuracy"}``. A baseline results file of the base model on
the same tasks gives each metric its baseline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.evaluations.parsed import ParsedEvidence, ParsedMetric
from app.evaluations.parsing import Issues, load_json

__all__ = ["parse_lm_eval"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Config members kept with the import (never samples or environment dumps).
_CONFIG_KEYS = (
    "model",
    "model_args",
    "batch_size",
    "device",
    "limit",
    "bootstrap_iters",
    "gen_kwargs",
)


def _task_values(
    document: dict[str, Any], issues: Issues, where: str
) -> dict[str, tuple[str, float, float | None]]:
    """``task/metric`` -> (task, value, stderr) for every task that has a config."""
    results = document.get("results")
    configs = document.get("configs")
    if not isinstance(results, dict) or not results:
        issues.add(f"{where}field 'results'", "must be an object of tasks with their metrics")
        return {}
    if not isinstance(configs, dict):
        issues.add(f"{where}field 'configs'", "must be an object (the task configurations)")
        return {}
    values: dict[str, tuple[str, float, float | None]] = {}
    for task, metrics in results.items():
        if task not in configs:
            continue  # a group: its subtasks carry the figures
        if not isinstance(metrics, dict):
            issues.add(f"{where}field 'results.{task}'", "must be an object of metrics")
            continue
        for key, value in metrics.items():
            if key == "alias" or "," not in key or key.split(",", 1)[0].endswith("_stderr"):
                continue
            metric, metric_filter = key.split(",", 1)
            if isinstance(value, bool) or not isinstance(value, int | float):
                issues.add(f"{where}field 'results.{task}.{key}'", "must be a number")
                continue
            stderr = metrics.get(f"{metric}_stderr,{metric_filter}")
            name = f"{task}/{metric}" if metric_filter == "none" else f"{task}/{key}"
            values[name] = (
                task,
                float(value),
                float(stderr)
                if isinstance(stderr, int | float) and not isinstance(stderr, bool)
                else None,
            )
    if not values and not issues.items:
        issues.add(f"{where}field 'results'", "holds no task metric with a task configuration")
    return values


def _dataset_identity(
    document: dict[str, Any], task: str, issues: Issues
) -> tuple[str | None, str | None, str | None, str | None]:
    """(dataset name, revision, sha256, task version) of ``task``."""
    config = document["configs"].get(task)
    where = f"field 'configs.{task}'"
    if not isinstance(config, dict):
        issues.add(where, "must be an object")
        return None, None, None, None
    path = config.get("dataset_path")
    if not isinstance(path, str) or not path:
        issues.add(f"{where}.dataset_path", "is missing: the dataset must be named")
        return None, None, None, None
    subset = config.get("dataset_name")
    name = f"{path}/{subset}" if isinstance(subset, str) and subset else path
    kwargs = config.get("dataset_kwargs")
    revision = kwargs.get("revision") if isinstance(kwargs, dict) else None
    digest = (document.get("task_hashes") or {}).get(task)
    if digest is not None and (not isinstance(digest, str) or not _SHA256.match(digest)):
        issues.add(f"field 'task_hashes.{task}'", "must be a SHA-256 (64 lowercase hex digits)")
        digest = None
    if not revision and not digest:
        issues.add(
            where,
            "the dataset has neither a revision (dataset_kwargs.revision) nor a task hash "
            "(task_hashes): its identity is unknown",
        )
    version = (document.get("versions") or {}).get(task)
    return (
        name,
        str(revision) if revision else None,
        digest,
        None if version is None else str(version),
    )


def parse_lm_eval(
    text: str,
    *,
    file_name: str,
    metric_names: Mapping[str, str] | None = None,
    baseline_text: str | None = None,
) -> ParsedEvidence:
    """The metrics of an lm-evaluation-harness results file; rejects any malformed part."""
    issues = Issues(file_name)
    document = load_json(text, file_name)
    if not isinstance(document, dict):
        issues.add("line 1", "must be a JSON object (an lm-evaluation-harness results file)")
        issues.raise_if_any()
    values = _task_values(document, issues, "")
    version = document.get("lm_eval_version") or document.get("git_hash")
    if not isinstance(version, str) or not version:
        issues.add(
            "field 'lm_eval_version'",
            "is missing (nor is there a git_hash): the harness version is unknown",
        )
    measured_at: datetime | None = issues.timestamp(document, "date", "")
    baseline: dict[str, tuple[str, float, float | None]] = {}
    if baseline_text is not None:
        base_issues = Issues(f"{file_name} (baseline)")
        base_document = load_json(baseline_text, f"{file_name} (baseline)")
        if isinstance(base_document, dict):
            baseline = _task_values(base_document, base_issues, "baseline ")
        else:
            base_issues.add("baseline line 1", "must be a JSON object")
        issues.items += base_issues.items
    names = dict(metric_names or {})
    for key in sorted(set(names) - set(values)):
        issues.add(f"metric mapping '{key}'", "names no task metric in the file")
    metrics = []
    for key, (task, value, stderr) in sorted(values.items()):
        dataset, revision, digest, task_version = _dataset_identity(document, task, issues)
        if dataset is None or measured_at is None:
            continue
        metrics.append(
            ParsedMetric(
                metric=names.get(key, key),
                value=value,
                stderr=stderr,
                baseline=baseline[key][1] if key in baseline else None,
                task=task,
                task_version=task_version,
                dataset_name=dataset,
                dataset_revision=revision,
                dataset_sha256=digest,
                measured_at=measured_at,
            )
        )
    issues.raise_if_any()
    raw_config = document.get("config") if isinstance(document.get("config"), dict) else {}
    return ParsedEvidence(
        source_format="lm_eval",
        tool="lm-evaluation-harness",
        tool_version=str(version),
        config={key: raw_config[key] for key in _CONFIG_KEYS if key in raw_config},
        metrics=metrics,
    )
