"""API responses are the ``XPublic`` models, and the OpenAPI document says so.

A response is built by reading only the fields its public model declares, so a column
that must not leave (a webhook subscription's secret) cannot reach a body; the same
models are the declared 200/201 response schemas of the converted routes.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from app.api.v1.common import public
from app.models.datasets import DatasetPublic
from app.models.deployments import DeploymentPublic
from app.models.governance import PolicyDecisionPublic
from app.models.runs import FineTuneRunPublic
from app.models.webhooks import (
    WebhookSubscription,
    WebhookSubscriptionCreated,
    WebhookSubscriptionPublic,
)
from tests.foundation.helpers import make_lineage

#: Routes converted to public models: (method, OpenAPI path, status) -> response model.
CONVERTED: dict[tuple[str, str, str], str] = {
    ("get", "/api/v1/datasets", "200"): "DatasetPublicPage",
    ("post", "/api/v1/datasets", "201"): "DatasetPublic",
    ("get", "/api/v1/datasets/{dataset_id}", "200"): "DatasetPublic",
    ("get", "/api/v1/datasets/{dataset_id}/versions", "200"): "DatasetVersionPublicPage",
    ("post", "/api/v1/datasets/{dataset_id}/versions", "201"): "DatasetVersionPublic",
    ("get", "/api/v1/datasets/versions/{version_id}", "200"): "DatasetVersionDetail",
    ("patch", "/api/v1/datasets/versions/{version_id}", "200"): "DatasetVersionPublic",
    ("get", "/api/v1/runs", "200"): "FineTuneRunPublicPage",
    ("post", "/api/v1/runs", "201"): "RunDetail",
    ("get", "/api/v1/runs/{run_id}", "200"): "RunDetail",
    ("patch", "/api/v1/runs/{run_id}", "200"): "RunDetail",
    ("post", "/api/v1/runs/{run_id}/launch", "200"): "RunLaunched",
    ("get", "/api/v1/models", "200"): "ModelVersionPublicPage",
    ("post", "/api/v1/models", "201"): "ModelVersionDetail",
    ("get", "/api/v1/models/{model_id}", "200"): "ModelVersionDetail",
    ("get", "/api/v1/models/{model_id}/evaluations", "200"): "EvaluationList",
    ("get", "/api/v1/deployments", "200"): "DeploymentPublicPage",
    ("post", "/api/v1/deployments", "201"): "DeploymentDetail",
    ("get", "/api/v1/deployments/{deployment_id}", "200"): "DeploymentDetail",
    ("post", "/api/v1/gates/{gate}", "200"): "PolicyDecisionPublic",
    ("get", "/api/v1/decisions", "200"): "PolicyDecisionPublicPage",
    ("get", "/api/v1/decisions/{decision_id}", "200"): "PolicyDecisionPublic",
    ("post", "/api/v1/runs/{run_id}/submit", "201"): "GateRequestAnswer",
    ("get", "/api/v1/approvals", "200"): "ApprovalRequestPublicPage",
    ("get", "/api/v1/approvals/{request_id}", "200"): "ApprovalRequestDetail",
    ("post", "/api/v1/approvals/{request_id}/votes", "200"): "ApprovalRequestDetail",
    ("post", "/api/v1/webhooks", "201"): "WebhookSubscriptionCreated",
    ("get", "/api/v1/webhooks", "200"): "WebhookSubscriptionList",
    ("delete", "/api/v1/webhooks/{subscription_id}", "200"): "WebhookSubscriptionPublic",
    ("get", "/api/v1/audits", "200"): "AuditRunPublicPage",
    ("get", "/api/v1/audits/{audit_id}", "200"): "AuditRunPublic",
}


def _declared(document: dict[str, Any], method: str, path: str, status: str) -> str:
    """The name of the schema an operation declares for ``status`` (its $ref)."""
    operation = document["paths"][path][method]
    content = operation["responses"][status]["content"]["application/json"]
    return str(content["schema"]["$ref"].rsplit("/", 1)[1])


def test_the_openapi_document_declares_the_public_models_as_responses(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    found = {key: _declared(document, *key) for key in CONVERTED}
    assert {key: name.split(".")[0] for key, name in found.items()} == CONVERTED
    # The component is the model's own schema: every field of the model, no other.
    for (method, path, status), name in CONVERTED.items():
        schema = document["components"]["schemas"][found[(method, path, status)]]
        assert schema.get("properties"), (name, schema)
    # Top-level components are named "<Model>.<digest>"; nested ones add ".<Model>".
    properties = {
        name.split(".")[0]: set(schema.get("properties", {}))
        for name, schema in document["components"]["schemas"].items()
        if name.count(".") == 1
    }
    assert properties["DatasetPublic"] == set(DatasetPublic.model_fields)
    assert properties["RunDetail"] == set(FineTuneRunPublic.model_fields) | {
        "dataset_version_ids",
        "allowed_transitions",
    }
    assert properties["PolicyDecisionPublic"] == set(PolicyDecisionPublic.model_fields)
    # A secret is in exactly one response schema: the answer to creating a subscription.
    with_secret = {name for name, fields in properties.items() if "secret" in fields}
    assert with_secret == {"WebhookSubscriptionCreated"}


def test_a_public_model_reads_only_its_own_fields() -> None:
    subscription = WebhookSubscription(
        id=7,
        url="https://receiver.example/hook",
        secret="s3cret-value",
        events=["approval.decided"],
        created_by="admin",
    )
    shown = public(WebhookSubscriptionPublic, subscription).model_dump(mode="json")
    assert "secret" not in WebhookSubscriptionPublic.model_fields
    assert "secret" not in shown
    assert "s3cret-value" not in str(shown)
    assert set(shown) == set(WebhookSubscriptionPublic.model_fields)


def _fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


@pytest.mark.usefixtures("public_webhook_hosts")
def test_responses_hold_exactly_their_public_models_fields(client: Any, make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    admin = make_actor("admin")
    ids = make_lineage(engineer)
    dataset = engineer.get(f"/api/v1/datasets/{ids['dataset']}").get_json()
    assert set(dataset) == _fields(DatasetPublic)
    run = engineer.get(f"/api/v1/runs/{ids['run']}").get_json()
    assert set(run) == _fields(FineTuneRunPublic) | {"dataset_version_ids", "allowed_transitions"}
    deployments = engineer.get("/api/v1/deployments").get_json()
    assert all(set(item) == _fields(DeploymentPublic) for item in deployments["items"])
    decision = engineer.post("/api/v1/gates/training_launch", json={"subject_id": ids["run"]})
    assert set(decision.get_json()) == _fields(PolicyDecisionPublic)

    created = admin.post(
        "/api/v1/webhooks", json={"url": "https://receiver.example/hook", "description": "ci"}
    )
    assert created.status_code == 201
    answer = created.get_json()
    assert set(answer) == _fields(WebhookSubscriptionCreated)
    secret = answer["secret"]
    listed = admin.get("/api/v1/webhooks")
    deactivated = admin.client.delete(f"/api/v1/webhooks/{answer['id']}", headers=admin.headers())
    for response in (listed, deactivated):
        assert response.status_code == 200
        assert secret not in response.get_data(as_text=True)
        assert "secret" not in response.get_data(as_text=True)
    assert set(deactivated.get_json()) == _fields(WebhookSubscriptionPublic)
