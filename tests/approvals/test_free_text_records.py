"""The rest of the free text the ledger keeps is checked like a vote's comment: an
attestation's or a reclassification's justification, an erasure request's reference and
resolution, an incident's title, description and resolution, and a decision on a red-team
finding. Each holding a direct identifier is a 422 naming the field and the kind, never
the value, with nothing stored; the same text without the identifier is accepted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.approvals.conftest import Registry
from tests.approvals.test_free_text import SSN, _events, _refused
from tests.evaluations.test_doors import _upload
from tests.evaluations.test_importers import GARAK


def _resolved_after_refusal(
    engine: sa.Engine, actor: Any, url: str, *, refused: str, clean: str
) -> dict[str, Any]:
    """A resolution holding an SSN is refused with nothing ledgered; the clean one is
    accepted: its answer."""
    before = _events(engine)
    _refused(
        actor.post(url, json={"resolution": refused}), "resolution", "social security number", SSN
    )
    assert _events(engine) == before
    accepted = actor.post(url, json={"resolution": clean})
    assert accepted.status_code == 200, accepted.get_json()
    answer: dict[str, Any] = accepted.get_json()
    return answer


def test_attestation_and_reclassification_justifications(
    engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    officer = people["officer"]
    attestation = {
        "subject_type": "model_version",
        "subject_id": registry.model_id,
        "fact": "domain",
        "value": "general",
        "evidence_ref": "scoping memo 2026-11",
    }
    version = f"/api/v1/datasets/versions/{registry.dataset_version_id}"
    before = _events(engine)
    refused = officer.post(
        "/api/v1/attestations",
        json={**attestation, "justification": f"confirmed by the patient, SSN {SSN}"},
    )
    _refused(refused, "justification", "social security number", SSN)
    reclassified = officer.patch(
        version, json={"contains_pii": True, "justification": "row 3 has MRN 40718825"}
    )
    _refused(reclassified, "justification", "medical record number", "40718825")
    assert officer.get(version).get_json()["contains_pii"] is False
    assert _events(engine) == before
    accepted = officer.post(
        "/api/v1/attestations",
        json={**attestation, "justification": "scoping reviewed with Maria Silva"},
    )
    assert accepted.status_code == 201, accepted.get_json()


def test_erasure_request_reference_and_resolution(
    engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    officer = people["officer"]
    requests = f"/api/v1/datasets/versions/{registry.dataset_version_id}/erasure-requests"
    before = _events(engine)
    _refused(
        officer.post(requests, json={"reference": "jo@clinic.example"}),
        "reference",
        "e-mail address",
        "jo@clinic.example",
    )
    assert _events(engine) == before
    opened = officer.post(requests, json={"reference": "DSR-2026-0042"})
    assert opened.status_code == 201, opened.get_json()
    closed = _resolved_after_refusal(
        engine,
        officer,
        f"/api/v1/datasets/erasure-requests/{opened.get_json()['id']}/resolution",
        refused=f"removed the rows of SSN {SSN}",
        clean="removed 3 rows; retrain queued",
    )
    assert closed["resolved_at"], closed


def test_incident_and_finding_texts(
    engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    pipeline, officer = people["pipeline"], people["officer"]
    incidents = f"/api/v1/deployments/{registry.deployment_id}/incidents"
    assert _upload(pipeline, registry.model_id, GARAK, "garak").status_code == 201
    [finding] = pipeline.get(
        f"/api/v1/findings?model_version_id={registry.model_id}&severity=critical"
    ).get_json()["items"]
    before = _events(engine)
    _refused(
        pipeline.post(incidents, json={"severity": "low", "title": "call (555) 201-7788"}),
        "title",
        "phone number",
        "201-7788",
    )
    described = {"severity": "low", "title": "leak", "description": "answer quoted jo@x.example"}
    _refused(pipeline.post(incidents, json=described), "description", "e-mail address", "jo@x.")
    _refused(
        officer.post(
            f"/api/v1/findings/{finding['id']}/decisions",
            json={"action": "accept", "text": "canary card 4111 1111 1111 1111 is synthetic"},
        ),
        "text",
        "payment card number",
        "4111",
    )
    assert _events(engine) == before
    opened = pipeline.post(incidents, json={"severity": "low", "title": "latency spike"})
    assert opened.status_code == 201, opened.get_json()
    resolved = _resolved_after_refusal(
        engine,
        pipeline,
        f"/api/v1/incidents/{opened.get_json()['id']}/resolution",
        refused=f"caller's SSN {SSN} redacted",
        clean="cache warmed; latency normal",
    )
    assert resolved["status"] == "resolved", resolved
