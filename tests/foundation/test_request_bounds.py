"""Requests the request models never see: wrong media types, deep or non-standard JSON, and
whole numbers beyond the database's range get 4xx problem bodies, never a 500."""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.v1.request_bounds import LARGEST_ID, MAX_JSON_DEPTH

TOO_LARGE = LARGEST_ID + 1


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    return body


def test_ids_beyond_the_database_range_match_no_url(
    app: Flask, make_actor: Any, login: Any
) -> None:
    actor = make_actor("auditor")
    client = app.test_client()
    for url in (f"/api/v1/runs/{TOO_LARGE}", f"/api/v1/datasets/{10**30}"):
        _problem(client.get(url, headers=actor.headers()), 404)
    portal, _ = login("compliance_officer")
    assert portal.get(f"/runs/{TOO_LARGE}").status_code == 404


def test_a_form_or_text_body_on_a_json_operation_is_415(app: Flask, make_actor: Any) -> None:
    actor = make_actor("ml_engineer")
    client = app.test_client()
    for body in ({"data": {"name": "x"}}, {"data": "name=x", "content_type": "text/plain"}):
        for url in ("/api/v1/runs", "/api/v1/gates/production_promotion", "/api/v1/deployments"):
            problem = _problem(client.post(url, headers=actor.headers(), **body), 415)
            assert "application/json" in problem["detail"]


def test_deep_or_nonstandard_json_is_400(app: Flask, make_actor: Any) -> None:
    actor = make_actor("ml_engineer")
    client = app.test_client()
    for raw in ("[" * 100_000, "[" * (MAX_JSON_DEPTH + 2) + "]" * (MAX_JSON_DEPTH + 2)):
        problem = _problem(
            client.post(
                "/api/v1/runs", data=raw, content_type="application/json", headers=actor.headers()
            ),
            400,
        )
        assert "nests" in problem["detail"]
    nan = client.post(
        "/api/v1/runs",
        data='{"name": "x", "hyperparameters": {"lr": NaN}}',
        content_type="application/json",
        headers=actor.headers(),
    )
    assert "NaN" in _problem(nan, 400)["detail"]


def test_whole_numbers_beyond_range_are_named_where_they_stand(app: Flask, make_actor: Any) -> None:
    actor = make_actor("ml_engineer")
    client = app.test_client()
    body = {"model_version_id": TOO_LARGE, "dataset_version_id": 1, "kind": "fairness"}
    problem = _problem(client.post("/api/v1/audits", json=body, headers=actor.headers()), 422)
    assert problem["errors"][0]["loc"] == ["body", "model_version_id"]
    listed = client.get(f"/api/v1/runs?after={TOO_LARGE}", headers=actor.headers())
    assert _problem(listed, 422)["errors"][0]["loc"] == ["query", "after"]


def test_405_says_which_methods_are_allowed(app: Flask, make_actor: Any) -> None:
    actor = make_actor("auditor")
    response = app.test_client().open("/api/v1/runs", method="TRACE", headers=actor.headers())
    _problem(response, 405)
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "base_model",
                "platform",
                "method",
                "model_version_id",
                "dataset_version_id",
                "hyperparameters",
                "authors",
                "kind",
            ]
        ),
        JSON_VALUES,
        max_size=6,
    )
)
def test_any_json_body_gets_an_answer_not_a_500(
    app: Flask, make_actor: Any, body: dict[str, Any]
) -> None:
    actor = make_actor("ml_engineer")
    client = app.test_client()
    for url in ("/api/v1/runs", "/api/v1/audits", "/api/v1/deployments"):
        response = client.post(url, json=body, headers=actor.headers())
        assert response.status_code < 500, (url, body, response.get_data(as_text=True))
