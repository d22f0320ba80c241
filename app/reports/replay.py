"""Replay a report: re-evaluate the decisions it embeds with the policies, offline.

A report with gate decisions embeds them with their input documents and the policy
bundle (:mod:`app.reports.attachments`). :func:`replay_pdf` reads those files back
(no database), checks each against the manifest's SHA-256, recomputes every input's
digest and asks the policy engine the same question again, then compares the outcome
and every control's status with what the report recorded. It names each decision whose
outcome or control results would now differ, and what in the policy bundle changed
(data paths with their old and new values, modules added, removed or edited), so an
auditor sees why.

Replay uses the engine it is given: ``gatehouse report verify --replay`` builds the
embedded engine over this installation's policies (``GATEHOUSE_POLICY_DIR`` and its data
override), the compiled policy running in process, nothing fetched. When those differ
from the report's embedded bundle only in data, it also replays with the report's own
data (``as_made``), so an auditor sees both that the decisions reproduce and what the
installed policies would now decide.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.config import Settings, settings_from_environment
from app.gates.service import evidence_sha256
from app.ledger import canonical_json, sha256_hex
from app.policy.bundle import PolicyBundle
from app.policy.embedded import EmbeddedEngine
from app.policy.engine import PolicyEngine
from app.policy.factory import build_engine
from app.reports.attachments import BUNDLE_NAME, DECISIONS_NAME, EVIDENCE_FORMAT, MANIFEST_NAME
from app.reports.verification import embedded_file

__all__ = [
    "ControlChange",
    "DecisionReplay",
    "ReplayResult",
    "describe",
    "replay_failure",
    "replay_pdf",
    "replay_report",
]

#: How many changed policy-data values a result lists before it says "and N more".
_MAX_DATA_CHANGES = 50


@dataclass(frozen=True)
class ControlChange:
    """A control whose status differs between the report and the replay."""

    control_id: str
    recorded: str | None
    """Status in the report (``None``: the control did not report then)."""
    replayed: str | None
    """Status now (``None``: the control does not report now)."""

    def __str__(self) -> str:
        return f"{self.control_id} {self.recorded or 'absent'} -> {self.replayed or 'absent'}"


@dataclass(frozen=True)
class DecisionReplay:
    """One embedded decision, replayed."""

    decision_id: int
    gate: str
    subject: str
    recorded_outcome: str
    replayed_outcome: str | None
    """``None`` when the decision could not be replayed (see ``problems``)."""
    control_changes: tuple[ControlChange, ...] = ()
    problems: tuple[str, ...] = ()
    """Why the decision does not replay: no input, an input digest that does not match."""

    @property
    def outcome_differs(self) -> bool:
        """Whether the replayed outcome differs from the recorded one."""
        return self.replayed_outcome is not None and self.replayed_outcome != self.recorded_outcome

    @property
    def same(self) -> bool:
        """Replayed with an intact input to the same outcome and control results."""
        return (
            not self.problems
            and self.replayed_outcome == self.recorded_outcome
            and not self.control_changes
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "decision_id": self.decision_id,
            "gate": self.gate,
            "subject": self.subject,
            "recorded_outcome": self.recorded_outcome,
            "replayed_outcome": self.replayed_outcome,
            "same": self.same,
            "control_changes": [
                {"control_id": c.control_id, "recorded": c.recorded, "replayed": c.replayed}
                for c in self.control_changes
            ],
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class ReplayResult:
    """What replaying a report's embedded decisions found."""

    report_bundle_hash: str | None
    """The hash of the policy bundle embedded in the report (``None``: none embedded)."""
    replay_bundle_hash: str
    """The hash of the bundle the decisions were replayed with."""
    decisions: tuple[DecisionReplay, ...]
    problems: tuple[str, ...] = ()
    """Evidence that is missing, unreadable or not what the manifest recorded."""
    policy_changes: tuple[str, ...] = field(default=())
    """What differs between the embedded bundle and the one replayed with."""
    as_made: ReplayResult | None = None
    """When the policies differ only in data: the replay with the report's own embedded
    data (its bundle as made), which shows the decisions themselves reproduce."""

    @property
    def identical(self) -> bool:
        """Every decision replays to the same outcome and control results, evidence intact."""
        return not self.problems and bool(self.decisions) and all(d.same for d in self.decisions)

    @property
    def evidence_problems(self) -> bool:
        """Whether the evidence itself fails: missing, altered, a digest that does not
        match, an input not kept (as opposed to a policy that now decides otherwise)."""
        return bool(self.problems) or any(decision.problems for decision in self.decisions)

    @property
    def differing(self) -> tuple[DecisionReplay, ...]:
        """The decisions that do not replay the same."""
        return tuple(d for d in self.decisions if not d.same)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "identical": self.identical,
            "report_bundle_hash": self.report_bundle_hash,
            "replay_bundle_hash": self.replay_bundle_hash,
            "policy_changes": list(self.policy_changes),
            "problems": list(self.problems),
            "decisions": [decision.as_dict() for decision in self.decisions],
            "as_made": None if self.as_made is None else self.as_made.as_dict(),
        }


def _load(name: str, data: bytes | None, problems: list[str]) -> dict[str, Any] | None:
    """Parse an embedded evidence file; say why not when it is missing or unreadable."""
    if data is None:
        problems.append(f"{name} is not embedded in the PDF")
        return None
    try:
        value = json.loads(data)
    except ValueError as error:
        problems.append(f"{name} is not JSON: {error}")
        return None
    if not isinstance(value, dict) or value.get("format") != EVIDENCE_FORMAT:
        problems.append(f"{name} is not Gatehouse evidence ({EVIDENCE_FORMAT})")
        return None
    return value


def _evidence(pdf: bytes, problems: list[str]) -> dict[str, dict[str, Any] | None]:
    """The manifest's files, each checked against the SHA-256 the manifest recorded."""
    manifest = _load(MANIFEST_NAME, embedded_file(pdf, MANIFEST_NAME), problems)
    if manifest is None:
        return {}
    files: dict[str, dict[str, Any] | None] = {}
    for entry in manifest.get("files", []):
        name = str(entry.get("name"))
        data = embedded_file(pdf, name)
        if data is not None and hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            problems.append(f"{name} does not match the SHA-256 in {MANIFEST_NAME}")
        if name in (DECISIONS_NAME, BUNDLE_NAME):
            files[name] = _load(name, data, problems)
    return files


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted.path, value)`` of every non-object value in a JSON document."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from _leaves(value[key], f"{path}.{key}" if path else str(key))
    else:
        yield path, value


def _policy_changes(embedded: Mapping[str, Any], replayed: PolicyBundle) -> list[str]:
    """Modules and data values that differ between the report's bundle and ``replayed``."""
    changes: list[str] = []
    then = {str(m["path"]): str(m["sha256"]) for m in embedded.get("modules", [])}
    now = {path: hashlib.sha256(source.encode()).hexdigest() for path, source in replayed.modules}
    for path in sorted(then.keys() | now.keys()):
        if path not in now:
            changes.append(f"module {path} removed")
        elif path not in then:
            changes.append(f"module {path} added")
        elif then[path] != now[path]:
            changes.append(f"module {path} changed")
    old, new = dict(_leaves(embedded.get("data", {}))), dict(_leaves(replayed.data))
    data_changes = [
        f"data {path}: {json.dumps(old.get(path))} -> {json.dumps(new.get(path))}"
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]
    if len(data_changes) > _MAX_DATA_CHANGES:
        more = len(data_changes) - _MAX_DATA_CHANGES
        data_changes = [*data_changes[:_MAX_DATA_CHANGES], f"data: and {more} more values"]
    return changes + data_changes


def _statuses(controls: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each control's status by id."""
    return {str(item["control_id"]): str(item["status"]) for item in controls}


def _replay_one(entry: Mapping[str, Any], engine: PolicyEngine) -> DecisionReplay:
    """Check one embedded decision's input digests and ask the engine again."""
    gate = str(entry["gate"])
    replay = functools.partial(
        DecisionReplay,
        decision_id=int(entry["decision_id"]),
        gate=gate,
        subject=f"{entry['subject_type']} {entry['subject_id']}",
        recorded_outcome=str(entry["outcome"]),
    )
    document = entry.get("input")
    if not isinstance(document, dict):
        return replay(
            replayed_outcome=None,
            problems=(
                "the report holds no input for this decision (made before inputs were kept)",
            ),
        )
    problems = []
    digest = sha256_hex(canonical_json(document))
    if digest != entry.get("input_sha256"):
        problems.append(
            f"input digest mismatch: the embedded input hashes to {digest[:16]}…, "
            f"the decision recorded {str(entry.get('input_sha256'))[:16]}…"
        )
    if evidence_sha256(document) != entry.get("evidence_sha256"):
        problems.append("evidence digest mismatch: the input's evidence is not what was approved")
    decision = engine.decide(gate, document)
    recorded = _statuses(entry.get("result", {}).get("controls", []))
    replayed = _statuses(decision.controls)
    if decision.error is not None:
        problems.append(f"the engine gave no answer: {decision.error}")
    return replay(
        replayed_outcome=str(decision.outcome),
        control_changes=tuple(
            ControlChange(control_id, recorded.get(control_id), replayed.get(control_id))
            for control_id in sorted(recorded.keys() | replayed.keys())
            if recorded.get(control_id) != replayed.get(control_id)
        ),
        problems=tuple(problems),
    )


def replay_pdf(pdf: bytes, *, engine: PolicyEngine) -> ReplayResult:
    """Replay every decision embedded in ``pdf`` with ``engine``; reads no database."""
    problems: list[str] = []
    files = _evidence(pdf, problems)
    decisions_file = files.get(DECISIONS_NAME)
    bundle_file = files.get(BUNDLE_NAME)
    if DECISIONS_NAME not in files and not problems:
        problems.append(f"the report embeds no decisions ({DECISIONS_NAME})")
    entries = decisions_file.get("decisions", []) if decisions_file else []
    return ReplayResult(
        report_bundle_hash=None if bundle_file is None else str(bundle_file.get("hash")),
        replay_bundle_hash=engine.bundle_hash,
        decisions=tuple(_replay_one(entry, engine) for entry in entries),
        problems=tuple(problems),
        policy_changes=()
        if bundle_file is None
        else tuple(_policy_changes(bundle_file, engine.bundle)),
    )


def describe(result: ReplayResult) -> list[str]:
    """Human-readable lines: the verdict, what changed in the policies, each differing
    decision with the controls that changed."""
    count = len(result.decisions)
    if result.identical:
        verdict = f"IDENTICAL: {count} decision(s) replay to the same outcome and controls"
    else:
        verdict = f"DIFFERS: {len(result.differing)} of {count} decision(s) do not replay the same"
    bundle = (
        "the same policy bundle"
        if result.report_bundle_hash == result.replay_bundle_hash
        else f"policy bundle {result.replay_bundle_hash[:16]}… "
        f"(the report's: {(result.report_bundle_hash or 'none embedded')[:16]}…)"
    )
    lines = [f"  replay       {verdict}, with {bundle}"]
    lines.extend(f"  problem      {problem}" for problem in result.problems)
    lines.extend(f"  policy       {change}" for change in result.policy_changes)
    if result.as_made is not None:
        again = result.as_made
        verdict = "IDENTICAL" if again.identical else f"DIFFERS ({len(again.differing)})"
        lines.append(
            f"  as made      {verdict} with the report's own policy data "
            f"(bundle {again.replay_bundle_hash[:16]}…)"
        )
    for decision in result.differing:
        outcome = (
            f"{decision.recorded_outcome} -> {decision.replayed_outcome}"
            if decision.replayed_outcome is not None
            else f"{decision.recorded_outcome}, not replayed"
        )
        lines.append(
            f"  decision     #{decision.decision_id} {decision.gate} on {decision.subject}: {outcome}"
        )
        lines.extend(f"    control    {change}" for change in decision.control_changes)
        lines.extend(f"    problem    {problem}" for problem in decision.problems)
    return lines


def replay_failure(result: ReplayResult) -> str:
    """One line saying why a replay is not identical."""
    if result.problems:
        return f"replay failed: {result.problems[0]}"
    first = result.differing[0] if result.differing else None
    if first is None:
        return "replay failed: the report embeds no decision"
    if first.problems:
        return f"replay failed: decision #{first.decision_id}: {first.problems[0]}"
    controls = ", ".join(str(change) for change in first.control_changes) or "no control"
    return (
        f"replay differs: decision #{first.decision_id} ({first.gate}) would now be "
        f"{first.replayed_outcome}, recorded {first.recorded_outcome} ({controls})"
        + (f"; {len(result.differing) - 1} more" if len(result.differing) > 1 else "")
    )


def replay_report(pdf: bytes, *, settings: Settings | None = None) -> ReplayResult:
    """Replay ``pdf`` with the embedded engine over the configured policies (from the
    environment unless ``settings`` are given); :class:`~app.policy.errors.PolicyBundleError`
    when those policies cannot be loaded."""
    settings = settings or settings_from_environment()
    engine = build_engine(
        kind="embedded",
        policy_dir=settings.policy_dir,
        extra_data_path=settings.policy_data_override,
        compiled_dir=settings.compiled_policy_dir,
        timeout_s=settings.policy_timeout_s,
    )
    try:
        result = replay_pdf(pdf, engine=engine)
    finally:
        engine.close()
    made = _bundle_as_made(pdf, engine.bundle)
    if made is None or made.hash == engine.bundle_hash:
        return result
    as_made = EmbeddedEngine(
        bundle=made,
        policy_dir=settings.policy_dir,
        compiled_dir=settings.compiled_policy_dir,
        timeout_s=settings.policy_timeout_s,
    )
    try:
        return dataclasses.replace(result, as_made=replay_pdf(pdf, engine=as_made))
    finally:
        as_made.close()


def _bundle_as_made(pdf: bytes, installed: PolicyBundle) -> PolicyBundle | None:
    """The report's embedded bundle, when its modules are the installed ones (the
    compiled policy then runs it with the report's data); ``None`` otherwise."""
    embedded = _load(BUNDLE_NAME, embedded_file(pdf, BUNDLE_NAME), [])
    if embedded is None or not isinstance(embedded.get("data"), dict):
        return None
    modules = tuple((str(m.get("path")), str(m.get("source"))) for m in embedded.get("modules", []))
    if modules != installed.modules:
        return None
    return PolicyBundle(modules=modules, data=embedded["data"], hash=str(embedded.get("hash")))
