"""Unknown is unknown: what nobody recorded reaches the policy as null and fails there.

Each test is a pass-friendly default found in issue 11: a dataset version registered
without metadata used to be encrypted in eu-west-1, a never-scanned version had zero
findings, a red-team record without failures had none and without severity was low,
a run's hosting defaulted to internal, a model's domain to general, and evaluation
thresholds were never sent.
"""

from __future__ import annotations

from typing import Any

from app.db import session_scope
from app.gates.input_builder import _evaluation_inputs, build_gate_input
from app.gates.service import evaluate_gate
from app.models.base import utc_now
from app.models.datasets import DatasetFormat, DatasetVersion
from app.models.model_versions import Evaluation
from app.models.vocabulary import EvaluationKind, FindingSeverity
from app.registry import datasets, model_versions, runs
from app.registry.records import create_record
from app.registry.schemas import (
    DatasetCreate,
    DatasetVersionRegister,
    EvaluationCreate,
    ModelVersionCreate,
    RunCreate,
)


def _phi_version_by_reference(session: Any) -> DatasetVersion:
    dataset = datasets.create_dataset(
        session=session, data=DatasetCreate(name="notes", owner="eli"), actor="eli"
    )
    return datasets.register_version(
        session=session,
        dataset_id=dataset.id or 0,
        data=DatasetVersionRegister(
            format=DatasetFormat.TABULAR,
            content_sha256="b" * 64,
            storage_uri="s3://bucket/notes.csv",
            contains_phi=True,
            deidentification_method="safe_harbor",
            phi_fields=[{"name": "diagnosis", "purpose": "summary"}],
        ),
        actor="eli",
    )


def _run_on(session: Any, version_id: int, **fields: Any) -> int:
    run = runs.create_run(
        session=session,
        data=RunCreate(
            name="notes-run",
            base_model="llama",
            platform="meta",
            method="lora",
            training_region="US",
            dataset_version_ids=[version_id],
            **fields,
        ),
        actor="eli",
    )
    return run.id or 0


def test_a_version_registered_without_metadata_records_nothing_that_passes(
    engine: Any,
) -> None:
    with session_scope(engine) as session:
        version = _phi_version_by_reference(session)
        assert version.encrypted_at_rest is None and version.residency_region is None
        assert version.large_scale is None and version.data_subject_regions is None
        run_id = _run_on(session, version.id or 0, hosting="internal")
        document = build_gate_input(
            session=session, gate="training_launch", subject_id=run_id, now=utc_now()
        ).document()
    dataset = document["datasets"][0]
    assert dataset["encrypted_at_rest"] is None
    assert dataset["residency_region"] is None
    assert dataset["data_subjects_regions"] is None
    assert dataset["large_scale"] is None
    # Never scanned (tabular, by reference): the finding count is unknown, not zero.
    assert dataset["pii_findings_count"] is None
    # Declared hosting is the requester's word, not an attested fact.
    assert document["run"]["hosting"] is None


def test_the_gate_names_each_missing_fact_and_its_owner(app: Any, engine: Any) -> None:
    with session_scope(engine) as session:
        version = _phi_version_by_reference(session)
        run_id = _run_on(session, version.id or 0, hosting="internal")
        decision = evaluate_gate(
            session=session,
            engine=app.extensions["gatehouse.policy_engine"],
            gate="training_launch",
            subject_id=run_id,
            actor="test",
        )
        messages = {v["control"]: v["message"] for v in decision.violations}
    assert not decision.allow
    assert messages["HIPAA-164.312a2iv"] == (
        "PHI dataset notes@1 has no encryption_at_rest attested (recorded by compliance_officer)"
    )
    # The registrant's declared Safe Harbor is no attested method.
    assert messages["HIPAA-164.514"] == (
        "PHI dataset notes@1 has no deidentification_method attested (recorded by "
        "compliance_officer)"
    )
    assert "so it counts as external" in messages["HIPAA-164.502e"]


def test_red_team_counts_and_severity_are_never_invented(engine: Any) -> None:
    with session_scope(engine) as session:
        model = model_versions.create_model_version(
            session=session,
            data=ModelVersionCreate(name="m", version="1", platform="meta"),
            actor="eli",
        )
        assert model.domain is None and model.decision_type is None
        assert model.automated_decision_legal_effect is None
        # Posting it is refused now (tests/evaluations/test_superseding.py); rows stored
        # before that check still reach the gate, with the count nobody recorded unknown.
        create_record(
            session=session,
            record=Evaluation(
                model_version_id=model.id or 0,
                kind=EvaluationKind.RED_TEAM,
                name="jailbreaks",
                metrics={"prompts_tried": 100},
                thresholds={},
                attack_category="jailbreak",
                severity=FindingSeverity.HIGH,
                open_findings=1,
                created_by="eli",
            ),
            actor="eli",
        )
        model_versions.add_evaluation(
            session=session,
            model_id=model.id or 0,
            data=EvaluationCreate(
                kind="benchmark",
                name="holdout",
                metrics={"accuracy": 0.9, "latency_p99_ms": 900},
                thresholds={"accuracy": {"min": 0.95}, "latency_p99_ms": {"max": 1000}},
            ),
            actor="eli",
        )
        evaluations = model_versions.evaluations_of(session=session, model_id=model.id or 0)
        inputs = {e.id: e for e in _evaluation_inputs(evaluations)}
    red_team = next(e for e in inputs.values() if e.kind == "red_team")
    assert red_team.failures is None and red_team.prompts_tried == 100
    accuracy = next(e for e in inputs.values() if e.metric == "accuracy")
    latency = next(e for e in inputs.values() if e.metric == "latency_p99_ms")
    assert (accuracy.threshold, accuracy.higher_is_better) == (0.95, True)
    assert (latency.threshold, latency.higher_is_better) == (1000.0, False)
