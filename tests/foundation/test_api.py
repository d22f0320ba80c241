"""The JSON API: resources, problem bodies, and 4xx (never 500) for client mistakes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.auth.accounts import create_token, revoke_token
from app.db import session_scope
from tests.foundation.helpers import make_lineage, sha


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_registry_round_trip_and_lineage(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    graph = engineer.get(f"/api/v1/lineage/deployment/{ids['deployment']}").get_json()
    keys = {node["key"] for node in graph["nodes"]}
    assert keys == {
        f"deployment:{ids['deployment']}",
        f"model_version:{ids['model']}",
        f"run:{ids['run']}",
        f"dataset_version:{ids['version']}",
    }
    assert {"from": f"dataset_version:{ids['version']}", "to": f"run:{ids['run']}"} in graph[
        "edges"
    ]
    used = engineer.get(f"/api/v1/lineage/dataset_version/{ids['version']}/deployments").get_json()
    assert [d["id"] for d in used["items"]] == [ids["deployment"]]
    run = engineer.get(f"/api/v1/runs/{ids['run']}").get_json()
    assert run["dataset_version_ids"] == [ids["version"]] and run["state"] == "draft"
    assert run["authors"][0] == engineer.username


def test_keyset_pagination_and_filters(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    for index in range(7):
        domain = "credit" if index % 2 else "general"
        engineer.post(
            "/api/v1/datasets", json={"name": f"ds-{index}", "owner": "team-a", "domain": domain}
        )
    seen: list[str] = []
    after = None
    while True:
        query = {"limit": 3, **({"after": after} if after else {})}
        page = engineer.get("/api/v1/datasets", query_string=query).get_json()
        seen += [d["name"] for d in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == [f"ds-{i}" for i in range(7)]
    credit = engineer.get("/api/v1/datasets", query_string={"domain": "credit"}).get_json()
    assert [d["name"] for d in credit["items"]] == ["ds-1", "ds-3", "ds-5"]


def test_invalid_transition_is_409_naming_allowed(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    body = _is_problem(
        engineer.post(f"/api/v1/runs/{ids['run']}/transitions", json={"to": "running"}), 409
    )
    assert body["current"] == "draft" and body["requested"] == "running"
    assert body["allowed"] == ["submitted", "cancelled"]
    assert "submitted, cancelled" in body["detail"]


@pytest.mark.parametrize(
    ("path_template", "target"),
    [
        ("/api/v1/runs/{run}/transitions", "submitted"),
        ("/api/v1/deployments/{deployment}/transitions", "promotion_requested"),
    ],
)
def test_gated_transitions_cannot_be_taken_directly(
    make_actor: Any, path_template: str, target: str
) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    body = _is_problem(engineer.post(path_template.format(**ids), json={"to": target}), 409)
    assert "only through" in body["detail"] and "gate" in body["detail"]


def test_allowed_transition_is_ledgered(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    response = engineer.post(
        f"/api/v1/runs/{ids['run']}/transitions", json={"to": "cancelled", "reason": "superseded"}
    )
    assert response.status_code == 200 and response.get_json()["state"] == "cancelled"
    events = engineer.get(
        "/api/v1/ledger/events",
        query_string={"subject_type": "finetune_run", "action": "run.cancelled"},
    ).get_json()
    assert len(events["items"]) == 1
    event = events["items"][0]
    assert (
        event["actor"] == engineer.username
        and event["payload"]["from"] == "draft"
        and event["payload"]["reason"] == "superseded"
    )
    assert engineer.get("/api/v1/ledger/verify").get_json()["intact"] is True


def test_unknown_ids_are_404(make_actor: Any) -> None:
    reader = make_actor("auditor")
    for path in (
        "/api/v1/datasets/999",
        "/api/v1/runs/999",
        "/api/v1/models/999",
        "/api/v1/deployments/999",
        "/api/v1/lineage/run/999",
        "/api/v1/datasets/versions/999",
        "/api/v1/nothing-here",
    ):
        _is_problem(reader.get(path), 404)


def test_malformed_json_is_400(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    response = engineer.post(
        "/api/v1/datasets", data='{"name": "x", ', content_type="application/json"
    )
    _is_problem(response, 400)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": "ok", "owner": "me", "unexpected": 1},
        {"name": "", "owner": "me"},
        {"name": "../etc/passwd", "owner": "me"},
        {"name": "x" * 500, "owner": "me"},
        {"name": 12, "owner": ["me"]},
        ["not", "an", "object"],
        "string",
        None,
    ],
)
def test_bad_payloads_are_4xx_problems(make_actor: Any, payload: Any) -> None:
    engineer = make_actor("ml_engineer")
    response = engineer.post("/api/v1/datasets", json=payload)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


def test_bad_query_and_path_values_are_4xx(make_actor: Any) -> None:
    reader = make_actor("auditor")
    for path, query in (
        ("/api/v1/datasets", {"limit": "abc"}),
        ("/api/v1/datasets", {"limit": 100000}),
        ("/api/v1/runs", {"after": -1}),
        ("/api/v1/lineage/planet/1", {}),
    ):
        response = reader.get(path, query_string=query)
        assert 400 <= response.status_code < 500, (path, query, response.status_code)


def test_missing_expired_revoked_tokens_are_401(
    app: Any, engine: Any, client: Any, make_actor: Any
) -> None:
    _is_problem(client.get("/api/v1/datasets"), 401)
    _is_problem(
        client.get("/api/v1/datasets", headers={"Authorization": "Bearer gth_not-a-real-token"}),
        401,
    )
    _is_problem(
        client.get("/api/v1/datasets", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401
    )
    actor = make_actor("auditor")
    with session_scope(engine) as db:
        expired = create_token(
            session=db,
            username=actor.username,
            name="short",
            scopes=["read"],
            actor="test",
            expires_in=timedelta(seconds=1),
        )
    import time

    time.sleep(1.2)
    body = _is_problem(
        client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {expired.secret}"}), 401
    )
    assert "expired" in body["detail"]
    with session_scope(engine) as db:
        revocable = create_token(
            session=db, username=actor.username, name="rev", scopes=["read"], actor="test"
        )
        revoke_token(session=db, token_id=revocable.token.id, actor="test")
    body = _is_problem(
        client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {revocable.secret}"}), 401
    )
    assert "revoked" in body["detail"]


def test_wrong_role_and_missing_scope_are_403(make_actor: Any) -> None:
    auditor = make_actor("auditor")
    body = _is_problem(auditor.post("/api/v1/datasets", json={"name": "x", "owner": "y"}), 403)
    assert "auditor" in body["detail"]
    read_only = make_actor("ml_engineer", scopes=("read",))
    body = _is_problem(read_only.post("/api/v1/datasets", json={"name": "x", "owner": "y"}), 403)
    assert "'write' scope" in body["detail"]


def test_classification_override_needs_justification_and_is_ledgered(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    officer = make_actor("compliance_officer")
    ids = make_lineage(engineer)
    path = f"/api/v1/datasets/versions/{ids['version']}"
    _is_problem(officer.patch(path, json={"contains_phi": False}), 422)
    justified = {"justification": "expert review found no PHI"}
    # A steward states every flag: confirming one must not vouch for the others.
    _is_problem(officer.patch(path, json={"contains_phi": False, **justified}), 422)
    flags = {"contains_pii": True, "contains_phi": False, "special_category": False}
    response = officer.patch(path, json={**flags, **justified})
    assert response.status_code == 200
    version = response.get_json()
    assert version["contains_phi"] is False and version["classification_source"] == "manual"
    events = officer.get(
        "/api/v1/ledger/events",
        query_string={"subject_type": "dataset_version", "actor": officer.username},
    ).get_json()
    assert events["items"][-1]["payload"]["contains_phi"] is False


def test_model_card_sections_are_checked(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    _is_problem(
        engineer.put(f"/api/v1/models/{ids['model']}/card", json={"sections": {"bogus": "x"}}), 422
    )
    model = engineer.put(
        f"/api/v1/models/{ids['model']}/card", json={"sections": {"intended_use": "triage notes"}}
    ).get_json()
    assert model["card"]["sections"] == {"intended_use": "triage notes"}
    assert (
        "intended_use" not in model["missing_card_sections"]
        and "caveats" in model["missing_card_sections"]
    )


def test_duplicate_names_and_versions_are_refused(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    engineer.post("/api/v1/datasets", json={"name": "dup", "owner": "x"})
    _is_problem(engineer.post("/api/v1/datasets", json={"name": "dup", "owner": "x"}), 422)
    engineer.post("/api/v1/models", json={"name": "m", "version": "1", "platform": "openai"})
    _is_problem(
        engineer.post("/api/v1/models", json={"name": "m", "version": "1", "platform": "openai"}),
        422,
    )


def test_a_model_reference_names_one_version_or_is_refused(make_actor: Any) -> None:
    """``GET /models/named`` reads a reference as every door does: an id, ``name@version``
    (split at the last ``@``), or a name with one version; never a guess between several."""
    engineer = make_actor("ml_engineer")
    auditor = make_actor("auditor")
    ids = {
        (name, version): engineer.post(
            "/api/v1/models", json={"name": name, "version": version, "platform": "openai"}
        ).get_json()["id"]
        for name, version in [("twice", "1"), ("twice", "2"), ("once", "7"), ("org@team", "3")]
    }

    def named(ref: str) -> Any:
        return auditor.get("/api/v1/models/named", query_string={"ref": ref})

    assert named("twice@2").get_json()["id"] == ids["twice", "2"]
    assert named("once").get_json()["id"] == ids["once", "7"]
    assert named("org@team@3").get_json()["id"] == ids["org@team", "3"]
    assert named(str(ids["once", "7"])).get_json()["version"] == "7"
    ambiguous = _is_problem(named("twice"), 422)
    assert "'twice' names 2 model versions (twice@1, twice@2); give one" in ambiguous["detail"]
    assert "no model version named 'twice@3'" in _is_problem(named("twice@3"), 404)["detail"]
    _is_problem(named("999999"), 404)
    _is_problem(named(""), 422)
    _is_problem(auditor.get("/api/v1/models/named"), 422)


def test_versions_number_themselves(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    dataset = engineer.post("/api/v1/datasets", json={"name": "numbered", "owner": "x"}).get_json()
    numbers = [
        engineer.post(
            f"/api/v1/datasets/{dataset['id']}/versions",
            json={
                "format": "llama_io",
                "content_sha256": sha(str(i)),
                "storage_uri": f"file:///v{i}",
            },
        ).get_json()["version"]
        for i in range(3)
    ]
    assert numbers == [1, 2, 3]


def test_openapi_document_describes_the_api(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/datasets" in document["paths"]
    assert "post" in document["paths"]["/api/v1/datasets"]
    assert "bearer" in document["components"]["securitySchemes"]


def test_swagger_ui_is_served_from_the_package(client: Any) -> None:
    page = client.get("/api/v1/docs/").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in page and "https://" not in page
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/assets/../../app/config.py").status_code == 404
