"""What the governed party says about its own data and people is not believed.

Found by our security tester against the demo:

- an engineer registered the raw clinical notes again *by reference*, declaring them free
  of PII and PHI, and the training gate believed it: the HIPAA controls never applied and
  one approval sent the notes to an external vendor without a BAA;
- an engineer took an approver off a run's authors, the approver attested the run's
  hosting and approved it; the pipeline token changed another engineer's model's
  developers and deployment.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlmodel import select

from app.db import session_scope
from app.errors import PermissionDeniedError, ValidationError
from app.gates.input_builder import build_gate_input
from app.models.base import utc_now
from app.models.ledger import LedgerEvent
from app.models.vocabulary import GateName
from app.registry import datasets
from app.registry.involvement import people_involved
from app.registry.schemas import DatasetVersionMetadata
from tests.approvals.conftest import ENGINEER, Registry, attest_through_api

FLAGS = ("contains_pii", "contains_phi", "special_category")


def _register_by_reference(actor: Any, dataset_version: dict[str, Any], **declared: Any) -> int:
    """A new version of the fixture's dataset registered by reference, not uploaded."""
    answer = actor.post(
        f"/api/v1/datasets/{dataset_version['dataset_id']}/versions",
        json={
            "format": dataset_version["format"],
            "content_sha256": dataset_version["content_sha256"],
            "storage_uri": dataset_version["storage_uri"],
            **declared,
        },
    )
    assert answer.status_code == 201, answer.json
    return int(answer.json["id"])


def _run_on(actor: Any, version_id: int) -> int:
    answer = actor.post(
        "/api/v1/runs",
        json={
            "name": f"run-on-{version_id}",
            "base_model": "o4-mini-2025-04-16",
            "platform": "openai",
            "method": "sft",
            "training_region": "US",
            "dataset_version_ids": [version_id],
        },
    )
    assert answer.status_code == 201, answer.json
    return int(answer.json["id"])


def _dataset_seen_by_the_gate(engine: Any, run_id: int) -> dict[str, Any]:
    with session_scope(engine) as session:
        document = build_gate_input(
            session=session, gate=GateName.TRAINING_LAUNCH, subject_id=run_id, now=utc_now()
        ).document()
    (dataset,) = document["datasets"]
    return {flag: dataset[flag] for flag in FLAGS}


def test_a_registrants_own_no_reaches_the_gate_as_unknown_until_a_steward_confirms(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    engineer = people["engineer"]
    fixture_version = engineer.get(f"/api/v1/datasets/versions/{registry.dataset_version_id}").json
    declared_no = dict.fromkeys(FLAGS, False)
    version_id = _register_by_reference(engineer, fixture_version, **declared_no)
    run_id = _run_on(engineer, version_id)
    assert _dataset_seen_by_the_gate(engine, run_id) == dict.fromkeys(FLAGS)

    # A "yes" is believed from anyone: it only adds controls.
    yes_version = _register_by_reference(engineer, fixture_version, contains_phi=True)
    assert _dataset_seen_by_the_gate(engine, _run_on(engineer, yes_version)) == {
        "contains_pii": None,
        "contains_phi": True,
        "special_category": None,
    }

    # The steward confirms the registrant's answers: now they are the steward's.
    confirmed = people["officer"].patch(
        f"/api/v1/datasets/versions/{version_id}",
        json={**declared_no, "justification": "public FAQ pages, read in full"},
    )
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["classification_source"] == "manual"
    assert _dataset_seen_by_the_gate(engine, run_id) == declared_no
    with session_scope(engine) as session:
        actions = session.exec(
            select(LedgerEvent.action, LedgerEvent.actor).where(
                LedgerEvent.subject_id == str(version_id),
                LedgerEvent.action.startswith("dataset_version."),  # type: ignore[attr-defined]
            )
        ).all()
        # A classification is a judgement about the data, not a change to it: the steward
        # stays independent of the run and may still approve it.
        involved = people_involved(session=session, subject_type="run", subject_id=run_id)
    assert ("dataset_version.classified", "olivia") in actions
    assert "olivia" not in involved and ENGINEER in involved


#: Chat transcripts with patients' names and diagnoses and no identifier the scan's
#: patterns find (no SSN, e-mail, phone or record number).
_NAMED_DIAGNOSES = b"".join(
    json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"Patient {name}, 54, was diagnosed with {illness}."},
                {"role": "assistant", "content": f"Noted: {name} needs a {illness} care plan."},
            ]
        }
    ).encode()
    + b"\n"
    for name, illness in (
        ("Maria Keller", "HIV"),
        ("Jonas Weber", "type 2 diabetes"),
        ("Ana Lima", "major depression"),
    )
)


def test_the_scans_no_is_unknown_until_a_steward_confirms_it(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    """The scan finds identifiers by pattern, not names or diagnoses in free text: our
    tester's transcripts of named patients with HIV passed it, and with the scan's "no"
    believed no HIPAA control applied. A "no" now counts from a data steward alone."""
    engineer = people["engineer"]
    fixture_version = engineer.get(f"/api/v1/datasets/versions/{registry.dataset_version_id}").json
    uploaded = engineer.post(
        f"/api/v1/datasets/{fixture_version['dataset_id']}/versions/upload",
        data={"file": (io.BytesIO(_NAMED_DIAGNOSES), "transcripts.jsonl"), "metadata": "{}"},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    version = uploaded.json
    assert version["classification_source"] == "scan"
    assert version["contains_pii"] is False and version["contains_phi"] is False
    run_id = _run_on(engineer, version["id"])
    assert _dataset_seen_by_the_gate(engine, run_id) == dict.fromkeys(FLAGS)
    decision = engineer.post("/api/v1/gates/training_launch", json={"subject_id": run_id}).json
    assert any(
        outcome["control_id"] == "HIPAA-164.514" and outcome["status"] == "fail"
        for outcome in decision["result"]["controls"]
    ), decision["result"]["controls"]


@pytest.mark.parametrize(
    ("justification", "refusal"),
    [
        ("", "needs a justification"),
        # Confirming one flag must not make the registrant's other answers the steward's.
        ("checked the data dictionary", "a classification states all of contains_phi"),
    ],
)
def test_a_classification_is_justified_and_states_every_flag(
    engine: Any, registry: Registry, justification: str, refusal: str
) -> None:
    with session_scope(engine) as session, pytest.raises(ValidationError, match=refusal):
        datasets.update_version_metadata(
            session=session,
            version_id=registry.dataset_version_id,
            data=DatasetVersionMetadata(contains_pii=True),
            actor="olivia",
            justification=justification,
        )


def test_a_named_author_stays_named_and_cannot_attest_or_approve(
    registry: Registry, people: dict[str, Any]
) -> None:
    engineer, officer = people["engineer"], people["officer"]
    run = engineer.post(
        "/api/v1/runs",
        json={
            "name": "co-authored",
            "base_model": "meta-llama/Llama-3.1-8B-Instruct",
            "platform": "meta",
            "method": "lora",
            "training_region": "US",
            "authors": [ENGINEER, "olivia"],
            "dataset_version_ids": [registry.dataset_version_id],
        },
    )
    assert run.status_code == 201, run.json
    run_id = run.json["id"]
    unnamed = engineer.patch(f"/api/v1/runs/{run_id}", json={"authors": [ENGINEER]})
    assert unnamed.status_code == 422, unnamed.json
    assert "left out: olivia" in unnamed.json["detail"]
    added = engineer.patch(f"/api/v1/runs/{run_id}", json={"authors": [ENGINEER, "olivia", "ana"]})
    assert added.status_code == 200 and added.json["authors"] == [ENGINEER, "olivia", "ana"]
    attested = officer.post(
        "/api/v1/attestations",
        json={
            "subject_type": "finetune_run",
            "subject_id": run_id,
            "fact": "hosting",
            "value": "internal",
            "evidence_ref": "INFRA-7",
            "justification": "our cluster",
        },
    )
    assert attested.status_code == 403, attested.json


def test_only_owners_or_an_admin_change_a_model_or_a_deployment(
    registry: Registry, people: dict[str, Any], make_actor: Any
) -> None:
    pipeline = people["pipeline"]
    taken = pipeline.patch(
        f"/api/v1/models/{registry.model_id}", json={"developers": ["release-bot"]}
    )
    assert taken.status_code == 403, taken.json
    assert "only its registrant" in taken.json["detail"]
    logging_off = pipeline.patch(
        f"/api/v1/deployments/{registry.deployment_id}", json={"access_logging": False}
    )
    assert logging_off.status_code == 403, logging_off.json
    admin = make_actor("admin")
    assert (
        admin.patch(
            f"/api/v1/deployments/{registry.deployment_id}", json={"access_logging": True}
        ).status_code
        == 200
    )
    dropped = admin.patch(f"/api/v1/models/{registry.model_id}", json={"developers": []})
    assert dropped.status_code == 422 and "never removed" in dropped.json["detail"]


def test_a_deployments_logging_and_monitoring_count_only_as_attested(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    """The deployment row's ``access_logging`` and ``monitoring_enabled`` are its
    registrant's word (HIPAA 164.312(b) and EU AI Act Art. 12 read them); the gate reads
    the compliance officer's attestations instead."""

    def seen() -> tuple[Any, Any]:
        with session_scope(engine) as session:
            document = build_gate_input(
                session=session,
                gate=GateName.PRODUCTION_PROMOTION,
                subject_id=registry.deployment_id,
                now=utc_now(),
            ).document()
        return document["deployment"]["access_logging"], document["deployment"]["monitoring"]

    declared = people["engineer"].get(f"/api/v1/deployments/{registry.deployment_id}").json
    assert declared["access_logging"] is True  # declared on the row by its creator
    assert seen() == (None, None)
    facts = {"access_logging": True, "activity_monitoring": False}
    refused = attest_through_api(
        people["engineer"], "deployment", registry.deployment_id, "access_logging", True
    )
    assert refused.status_code == 403, refused.json
    for fact, value in facts.items():
        recorded = attest_through_api(
            people["officer"], "deployment", registry.deployment_id, fact, value
        )
        assert recorded.status_code == 201, recorded.json
    assert seen() == (True, False)


def test_a_vendor_platforms_run_cannot_name_another_vendor(
    registry: Registry, people: dict[str, Any]
) -> None:
    """A run on OpenAI declaring vendor "anthropic" would have the HIPAA control look for
    Anthropic's business associate agreement while the launcher sends PHI to OpenAI."""
    spoofed = people["engineer"].post(
        "/api/v1/runs",
        json={
            "name": "spoofed-vendor",
            "base_model": "o4-mini-2025-04-16",
            "platform": "openai",
            "vendor": "anthropic",
            "method": "sft",
            "training_region": "US",
            "dataset_version_ids": [registry.dataset_version_id],
        },
    )
    assert spoofed.status_code == 422, spoofed.json
    assert "platform openai fine-tunes at openai" in spoofed.json["detail"]


def test_whoever_registered_the_data_cannot_classify_it(engine: Any, registry: Registry) -> None:
    """An admin is a registrar and a data steward at once: the steward's "no" must come
    from someone independent of the data, as an attestation must."""
    with (
        session_scope(engine) as session,
        pytest.raises(PermissionDeniedError, match="eli may not classify dataset version"),
    ):
        datasets.update_version_metadata(
            session=session,
            version_id=registry.dataset_version_id,
            data=DatasetVersionMetadata(**dict.fromkeys(FLAGS, False)),
            actor=ENGINEER,
            justification="my own data, nothing sensitive",
        )


#: What a registrant may declare about a dataset version, each a governance fact the
#: compliance officer attests (and the gate input field it reaches when attested).
_DECLARED_DATASET_FACTS: dict[str, Any] = {
    "contains_pii": True,
    "contains_phi": True,
    "consent_ref": "CONSENT-SELF",
    "transfer_mechanism": "scc",
    "transfer_ref": "SCC-SELF",
    "retention_until": "2099-12-31",
    "controller": "Self Declared Ltd",
    "processing_purpose": "whatever passes",
    "data_categories": ["financial"],
    "phi_fields": [{"name": "diagnosis", "purpose": "summaries"}],
}
_ATTESTED_DATASET_FACTS: dict[str, Any] = {
    "consent_ref": "CONSENT-2026-9",
    "transfer": {"mechanism": "bcr", "ref": "BCR-2026-1"},
    "retention_until": "2027-03-31",
    "processing_record": {
        "controller": "Gatehouse Test Bank AG",
        "purpose": "credit decision support",
        "data_categories": ["financial", "demographic"],
    },
    "phi_fields": [{"name": "diagnosis", "purpose": "summary of the condition"}],
}
#: The gate input's dataset fields these facts reach.
_DATASET_FIELDS = (
    "consent_ref",
    "transfer_mechanism",
    "transfer_ref",
    "retention_until",
    "controller",
    "purpose",
    "data_categories",
    "phi_fields",
)


def test_a_registrants_declared_data_governance_reaches_the_gate_only_as_attested(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    """Consent, transfer mechanism, retention, the record of processing, the PHI field
    inventory and the run's training region are the compliance officer's facts: what the
    registrant declares on the version and the run is shown, never read by the gate."""
    engineer, officer = people["engineer"], people["officer"]
    fixture_version = engineer.get(f"/api/v1/datasets/versions/{registry.dataset_version_id}").json
    version_id = _register_by_reference(engineer, fixture_version, **_DECLARED_DATASET_FACTS)
    run_id = _run_on(engineer, version_id)

    def seen() -> tuple[dict[str, Any], Any]:
        with session_scope(engine) as session:
            document = build_gate_input(
                session=session, gate=GateName.TRAINING_LAUNCH, subject_id=run_id, now=utc_now()
            ).document()
        (dataset,) = document["datasets"]
        return {field: dataset[field] for field in _DATASET_FIELDS}, document["run"]["region"]

    stored = engineer.get(f"/api/v1/datasets/versions/{version_id}").json
    assert stored["transfer_mechanism"] == "scc" and stored["retention_until"] == "2099-12-31"
    assert seen() == (dict.fromkeys(_DATASET_FIELDS), None)

    decision = engineer.post("/api/v1/gates/training_launch", json={"subject_id": run_id}).json
    messages = [violation["message"] for violation in decision["violations"]]
    # (consent_ref is asked for only once the attested lawful basis is consent)
    for fact in ("retention_until", "processing_record", "phi_fields", "training_region"):
        assert any(
            f"has no {fact} attested (recorded by compliance_officer)" in message
            for message in messages
        ), (fact, messages)

    refused = attest_through_api(
        engineer, "dataset_version", version_id, "retention_until", "2099-12-31"
    )
    assert refused.status_code == 403, refused.json
    for fact, value in _ATTESTED_DATASET_FACTS.items():
        recorded = attest_through_api(officer, "dataset_version", version_id, fact, value)
        assert recorded.status_code == 201, recorded.json
    recorded = attest_through_api(officer, "finetune_run", run_id, "training_region", "IE")
    assert recorded.status_code == 201, recorded.json

    assert seen() == (
        {
            "consent_ref": "CONSENT-2026-9",
            "transfer_mechanism": "bcr",
            "transfer_ref": "BCR-2026-1",
            "retention_until": "2027-03-31T00:00:00+00:00",
            "controller": "Gatehouse Test Bank AG",
            "purpose": "credit decision support",
            "data_categories": ["financial", "demographic"],
            "phi_fields": [{"name": "diagnosis", "purpose": "summary of the condition"}],
        },
        "IE",
    )


@pytest.mark.parametrize(
    ("fact", "value", "problem"),
    [
        ("transfer", {"mechanism": "pinky-promise"}, "mechanism"),
        ("retention_until", "next spring", "retention_until"),
        (
            "processing_record",
            {"controller": "A", "purpose": "B", "data_categories": []},
            "data_categories",
        ),
        ("phi_fields", [], "the list is empty"),
        ("phi_fields", [{"purpose": "no name"}], "name"),
    ],
)
def test_a_malformed_data_governance_fact_is_refused_naming_its_part(
    registry: Registry, people: dict[str, Any], fact: str, value: Any, problem: str
) -> None:
    answer = attest_through_api(
        people["officer"], "dataset_version", registry.dataset_version_id, fact, value
    )
    assert answer.status_code == 422, answer.json
    assert f"invalid value for fact '{fact}'" in answer.json["detail"]
    assert problem in answer.json["detail"]


def test_a_runs_vendor_and_a_versions_deidentification_count_only_as_attested(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    """Our tester's run on self_hosted named "anthropic", the vendor the dataset's BAA
    covers, and passed HIPAA 164.502(e) while the job went elsewhere; a registrant's
    "safe_harbor" decided HIPAA 164.514. Both are the compliance officer's facts now."""
    engineer, officer = people["engineer"], people["officer"]
    fixture_version = engineer.get(f"/api/v1/datasets/versions/{registry.dataset_version_id}").json
    version_id = _register_by_reference(
        engineer, fixture_version, contains_phi=True, deidentification_method="safe_harbor"
    )
    created = engineer.post(
        "/api/v1/runs",
        json={
            "name": "self-hosted-with-a-borrowed-vendor",
            "base_model": "meta-llama/Llama-3.1-8B-Instruct",
            "platform": "self_hosted",
            "vendor": "anthropic",
            "method": "lora",
            "dataset_version_ids": [version_id],
        },
    )
    assert created.status_code == 201, created.json
    run_id = created.json["id"]

    def seen() -> tuple[Any, Any]:
        with session_scope(engine) as session:
            document = build_gate_input(
                session=session, gate=GateName.TRAINING_LAUNCH, subject_id=run_id, now=utc_now()
            ).document()
        return document["run"]["vendor"], document["datasets"][0]["deidentification_method"]

    assert seen() == (None, None)
    decision = engineer.post("/api/v1/gates/training_launch", json={"subject_id": run_id}).json
    messages = [violation["message"] for violation in decision["violations"]]
    assert any(
        "goes to external vendor unknown (the run has no training_vendor attested "
        "(recorded by compliance_officer))" in message
        for message in messages
    ), messages
    assert any(
        "has no deidentification_method attested (recorded by compliance_officer)" in message
        for message in messages
    ), messages
    for subject_type, subject_id, fact, value in (
        ("finetune_run", run_id, "training_vendor", "lambda-labs"),
        ("dataset_version", version_id, "deidentification_method", "expert_determination"),
    ):
        recorded = attest_through_api(officer, subject_type, subject_id, fact, value)
        assert recorded.status_code == 201, recorded.json
    assert seen() == ("lambda-labs", "expert_determination")
