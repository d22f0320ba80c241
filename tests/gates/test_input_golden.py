"""The input documents of the demo registry, byte for byte, on every backend.

The input builder's queries are tuned for speed (few statements, Core rows); this test
holds what they produce to the documents recorded before any such tuning, so a faster
read can never change what the policy is given. The registry is the gate tests' demo
plus evidence of every kind a gate reads: imported metrics, red-team campaigns with open
and closed findings, memorisation tests, audits (the newest succeeded of each kind
counts), monitoring (baseline, batches, open and resolved incidents), votes on an open
approval request and erasure requests. Only what the seeding stamps with the clock is
masked (``now`` and the import times); every other byte is compared.

When the document legitimately changes (a new member of the input schema), rewrite the
recording with ``.venv/bin/python -m tests.gates.test_input_golden`` and review its diff.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.db import read_only_scope, session_scope
from app.demo.evidence import import_notes_evidence
from app.demo.registry import seed_datasets, seed_runs_and_models
from app.demo.seed import DemoSeed, seed_people
from app.gates.input_builder import build_gate_input
from app.ledger import canonical_json
from app.models.datasets import ErasureRequest
from app.models.evidence import AuditRun
from app.models.governance import ApprovalRequest, ApprovalVote, PolicyDecision
from app.models.monitoring import Incident, MonitoringBaseline, MonitoringBatch
from app.models.users import RoleName
from app.models.vocabulary import (
    AuditKind,
    AuditState,
    DecisionOutcome,
    FindingSeverity,
    GateName,
    GateSubject,
    VoteDecision,
)

RECORDING = Path(__file__).parent / "data" / "demo_gate_inputs.json"
#: A fixed clock for the documents and for every row this module writes.
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
#: Members whose values the seeding takes from the clock (masked before comparing).
CLOCK_MEMBERS = frozenset({"measured_at"})

#: (gate, subject key in the seed, run key for dataset_use or None).
QUESTIONS = (
    ("training_launch", "notes-o4-mini-sft", None),
    ("training_launch", "notes-claude-sft", None),
    ("training_launch", "triage-gemini-sft", None),
    ("training_launch", "credit-llama-lora", None),
    ("production_promotion", "credit_deployment", None),
    ("production_promotion", "notes_deployment", None),
    ("dataset_use", "notes_raw", None),
    ("dataset_use", "notes_deid", "notes-claude-sft"),
    ("dataset_use", "triage", None),
    ("dataset_use", "german_credit", "credit-llama-lora"),
    ("dataset_use", "credit_explanations", None),
    ("dataset_use", "radiology", None),
)


#: A monitoring batch's error rate and latencies (the gate reads neither).
_BATCH_RATES: dict[str, Any] = {
    "error_rate": 0.01,
    "latency_p50_ms": 80.0,
    "latency_p95_ms": 150.0,
    "latency_p99_ms": 300.0,
}


def _at(hours: int) -> datetime:
    return NOW - timedelta(hours=hours)


def _add_evidence(session: Session, seed: DemoSeed) -> None:
    """Rows of every kind a gate reads, beyond the demo's own, with fixed times."""
    import_notes_evidence(session=session, seed=seed)
    credit, notes = seed.ids["credit_deployment"], seed.ids["notes_deployment"]
    credit_model = seed.ids["credit_model"]
    session.add(
        MonitoringBaseline(
            deployment_id=notes,
            scores=[0.1, 0.5],
            groups=["a", "b"],
            source="test",
            created_at=_at(50),
            created_by="eli",
        )
    )
    for hours, drift in ((30, 0.02), (20, 0.31)):
        session.add(
            MonitoringBatch(
                deployment_id=notes,
                period_start=_at(hours + 1),
                period_end=_at(hours),
                volume=100,
                **_BATCH_RATES,
                received_at=_at(hours),
                received_by="eli",
                drift=[
                    {
                        "group": group,
                        "psi": drift,
                        "ks_statistic": drift / 2,
                        "ks_p_value": 0.5,
                        "baseline_count": 50,
                        "current_count": 100,
                    }
                    for group in (None, "a")
                ],
            )
        )
    for severity, resolved in (
        (FindingSeverity.HIGH, None),
        (FindingSeverity.LOW, _at(5)),
        (FindingSeverity.CRITICAL, None),
    ):
        session.add(
            Incident(
                deployment_id=notes,
                severity=severity,
                title=f"{severity} incident",
                status="resolved" if resolved else "open",
                resolved_at=resolved,
                resolved_by="eli" if resolved else None,
                opened_by="eli",
                opened_at=_at(10),
                updated_at=_at(10),
            )
        )
    for kind, status, hours, ratio in (
        (AuditKind.FAIRNESS, AuditState.SUCCEEDED, 40, 0.71),
        (AuditKind.FAIRNESS, AuditState.SUCCEEDED, 30, 0.86),
        (AuditKind.FAIRNESS, AuditState.FAILED, 20, None),
        (AuditKind.EXPLAINABILITY, AuditState.SUCCEEDED, 25, None),
    ):
        session.add(
            AuditRun(
                model_version_id=credit_model,
                kind=kind,
                status=status,
                parameters={},
                summary={"adverse_impact_ratio": ratio, "principal_reasons_available": True}
                if status == AuditState.SUCCEEDED
                else {},
                requested_by="scheduler",
                created_at=_at(hours + 1),
                finished_at=_at(hours),
            )
        )
    decision = PolicyDecision(
        gate=GateName.PRODUCTION_PROMOTION,
        subject_type=GateSubject.DEPLOYMENT,
        subject_id=credit,
        input_sha256="0" * 64,
        evidence_sha256="0" * 64,
        bundle_sha256="0" * 64,
        engine="test",
        allow=True,
        outcome=DecisionOutcome.ALLOWED,
        result={},
        actor="release-bot",
    )
    session.add(decision)
    session.flush()
    request = ApprovalRequest(
        gate=GateName.PRODUCTION_PROMOTION,
        subject_type=GateSubject.DEPLOYMENT,
        subject_id=credit,
        decision_id=decision.id or 0,
        required_approvals=[{"role": "model_risk", "count": 1}],
        input_sha256="0" * 64,
        requester="release-bot",
        created_at=_at(3),
        expires_at=_at(-72),
    )
    session.add(request)
    session.flush()
    for voter, role, vote in (
        ("marcus", RoleName.MODEL_RISK, VoteDecision.APPROVE),
        ("olivia", RoleName.COMPLIANCE_OFFICER, VoteDecision.REJECT),
    ):
        session.add(
            ApprovalVote(
                request_id=request.id or 0, voter=voter, role=role, vote=vote, created_at=_at(2)
            )
        )
    for reference, resolved in (("ER-1", None), ("ER-2", _at(1)), ("ER-3", None)):
        session.add(
            ErasureRequest(
                dataset_version_id=seed.ids["german_credit"],
                reference=reference,
                requested_at=_at(4),
                resolved_at=resolved,
            )
        )


def seed_registry(session: Session, settings: Settings, work: Path) -> DemoSeed:
    """The demo registry with evidence of every kind (see the module docstring)."""
    seed = DemoSeed()
    seed_people(session, seed, fast_hash=True)
    seed_datasets(session=session, settings=settings, work=work, seed=seed)
    seed_runs_and_models(session=session, seed=seed)
    _add_evidence(session, seed)
    return seed


def _masked(value: Any) -> Any:
    """``value`` with the members stamped by the seeding's clock replaced by a marker."""
    if isinstance(value, dict):
        return {
            key: "<clock>" if key in CLOCK_MEMBERS and item is not None else _masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def documents(session: Session, seed: DemoSeed) -> dict[str, Any]:
    """Every question's input document (masked), keyed ``gate:subject[:run]``."""
    built = {}
    for gate, subject, run in QUESTIONS:
        document = build_gate_input(
            session=session,
            gate=gate,
            subject_id=seed.ids[subject],
            now=NOW,
            run_id=seed.ids[run] if run else None,
        ).document()
        built[":".join(filter(None, (gate, subject, run)))] = _masked(document)
    return built


def test_the_demo_registry_gives_the_recorded_input_documents(
    app: Any, engine: Any, settings: Settings, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with session_scope(engine) as session:
        seed = seed_registry(session, settings, work)
    with read_only_scope(engine) as reader:
        built = documents(reader, seed)
    recorded = json.loads(RECORDING.read_text())
    assert sorted(built) == sorted(recorded)
    for question, document in built.items():
        assert canonical_json(document) == canonical_json(recorded[question]), question


def _record() -> None:
    """Rewrite the recording from a fresh SQLite registry (review the diff)."""
    from app import create_app
    from app.config import settings_for_tests
    from app.migrations import upgrade

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        settings = settings_for_tests(work)
        upgrade(settings.database_url)
        application = create_app(settings)
        engine = application.extensions["gatehouse.engine"]
        with session_scope(engine) as session:
            seed = seed_registry(session, settings, work)
        with read_only_scope(engine) as reader:
            built = documents(reader, seed)
        engine.dispose()
    RECORDING.parent.mkdir(exist_ok=True)
    RECORDING.write_text(json.dumps(built, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    sys.stdout.write(f"wrote {len(built)} documents to {RECORDING}\n")


if __name__ == "__main__":
    _record()
