"""What an importer reads out of a file, before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.models.vocabulary import FindingSeverity

__all__ = [
    "ParsedCampaign",
    "ParsedEvidence",
    "ParsedFinding",
    "ParsedMemorisation",
    "ParsedMetric",
]


@dataclass
class ParsedMetric:
    """One metric value with the task and dataset identity it was measured on."""

    metric: str
    value: float
    task: str
    dataset_name: str
    measured_at: datetime
    stderr: float | None = None
    baseline: float | None = None
    threshold: float | None = None
    task_version: str | None = None
    dataset_revision: str | None = None
    dataset_sha256: str | None = None


@dataclass
class ParsedFinding:
    """A probe (and detector) with failures: what the campaign found."""

    category: str
    severity: FindingSeverity
    probe: str
    detector: str | None
    probes_run: int
    failures: int
    #: Example attempts: {"prompt": ..., "output": ..., "marked_safe": bool}.
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ParsedCampaign:
    """A red-team run: tallies per category and its findings."""

    name: str
    started_at: datetime | None
    #: category -> [probes run, failures]
    tallies: dict[str, list[int]] = field(default_factory=dict)
    findings: list[ParsedFinding] = field(default_factory=list)

    def tally(self, category: str, probes_run: int, failures: int) -> None:
        """Add a probe's figures to its category."""
        counts = self.tallies.setdefault(category, [0, 0])
        counts[0] += probes_run
        counts[1] += failures


@dataclass
class ParsedMemorisation:
    """A canary or extraction test's outcome."""

    method: str
    records_tested: int
    records_elicited: int
    measured_at: datetime


@dataclass
class ParsedEvidence:
    """Everything one file holds."""

    source_format: str
    tool: str
    tool_version: str | None
    config: dict[str, Any] = field(default_factory=dict)
    metrics: list[ParsedMetric] = field(default_factory=list)
    campaign: ParsedCampaign | None = None
    memorisation: list[ParsedMemorisation] = field(default_factory=list)
