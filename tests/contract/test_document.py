"""The OpenAPI document declares every answer: a success schema (or a file, or no body)
and a problem body (``application/problem+json``) for each error status; and what the
fuzz found, kept as reproductions: enum filters with unknown values and ids beyond the
database's INTEGER columns are 4xx problems, never 500 or a 503 "database unavailable"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.api.v1.request_bounds import LARGEST_ROW_ID
from app.problems import Problem

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _schema_name(content: dict[str, Any]) -> str:
    return str(content["schema"]["$ref"].rsplit("/", 1)[1].split(".")[0])


def test_every_operation_declares_its_success_and_problem_answers(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operations = _operations(document)
    assert len(operations) >= 78
    undeclared = []
    for method, path, operation in operations:
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        if len(success) == 0:
            undeclared.append(f"{method} {path}: no success answer")
        for code in success:
            if code != "204" and not responses[code].get("content"):
                undeclared.append(f"{method} {path}: {code} without a body schema")
        errors = {code for code in responses if code[0] in "45"}
        for needed in ("401", "403", "422", "503"):
            if needed not in errors:
                undeclared.append(f"{method} {path}: {needed} not declared")
        for code in errors:
            content = responses[code]["content"]
            if list(content) != ["application/problem+json"]:
                undeclared.append(f"{method} {path}: {code} is {list(content)}")
            elif _schema_name(content["application/problem+json"]) != "Problem":
                undeclared.append(f"{method} {path}: {code} is not a Problem")
        if operation.get("requestBody") and not {"400", "415"} <= errors:
            undeclared.append(f"{method} {path}: takes a body but declares no 400/415")
        if "{" in path and "404" not in errors:
            undeclared.append(f"{method} {path}: names a record but declares no 404")
    assert undeclared == []
    download = document["paths"]["/api/v1/reports/{report_id}/download"]["get"]
    assert list(download["responses"]["200"]["content"]) == ["application/pdf"]
    problem = next(
        schema
        for name, schema in document["components"]["schemas"].items()
        if name.split(".")[0] == "Problem"
    )
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["additionalProperties"] is True


def _references(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(_references(member) for member in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(member) for member in value))
    return set()


def _dangling(application: Flask) -> set[str]:
    document = application.test_client().get("/api/v1/openapi.json").get_json()
    components = set(document["components"]["schemas"])
    return {
        ref
        for ref in _references(document["paths"]) | _references(document["components"])
        if ref.removeprefix("#/components/schemas/") not in components
    }


def _id_members(
    schema: dict[str, Any], schemas: dict[str, Any], where: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``*_id``/``*_ids`` member of a request schema (nested models too), with the
    schema of the integer it holds (an array's items, an optional's integer branch)."""
    if "$ref" in schema:
        yield from _id_members(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas, where)
        return
    for branch in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from _id_members(branch, schemas, where)
    for name, member in schema.get("properties", {}).items():
        if name.endswith(("_id", "_ids")):
            yield from _integers(member, schemas, f"{where}.{name}")
        yield from _id_members(member, schemas, f"{where}.{name}")
    if "items" in schema:
        yield from _id_members(schema["items"], schemas, f"{where}[]")


def _integers(
    schema: dict[str, Any], schemas: dict[str, Any], where: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    if schema.get("type") == "integer":
        yield where, schema
    for branch in schema.get("anyOf", []):
        yield from _integers(branch, schemas, where)
    if "items" in schema:
        yield from _integers(schema["items"], schemas, where)


def test_every_id_a_request_names_is_bounded_by_the_integer_columns(client: Any) -> None:
    # Found after issue 14: a body id between 2^31 and 2^63 reached PostgreSQL, whose
    # INTEGER columns refused it with a 422 that named no field. One id type bounds them all.
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    found: dict[str, dict[str, Any]] = {}
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"].endswith(("_id", "_ids")):
                where = f"{method} {path} query.{parameter['name']}"
                found.update(_integers(parameter["schema"], schemas, where))
        for content in operation.get("requestBody", {}).get("content", {}).values():
            found.update(_id_members(content["schema"], schemas, f"{method} {path} body"))
    assert len(found) >= 20
    unbounded = [
        where
        for where, schema in found.items()
        if (schema.get("minimum"), schema.get("maximum")) != (1, LARGEST_ROW_ID)
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/audits",
            {"model_version_id": 1, "dataset_version_id": 1, "kind": "fairness"},
            "model_version_id",
        ),
        (
            "/api/v1/runs",
            {
                "name": "r",
                "base_model": "m",
                "method": "sft",
                "platform": "openai",
                "dataset_version_ids": [1],
            },
            "dataset_version_ids",
        ),
        ("/api/v1/gates/training_launch", {"subject_id": 1}, "subject_id"),
        (
            "/api/v1/deployments",
            {"model_version_id": 1, "endpoint": "e"},
            "model_version_id",
        ),
    ],
)
def test_a_body_id_beyond_the_integer_columns_is_a_422_naming_it_on_both_databases(
    app: Flask, backend: str, make_actor: Any, path: str, body: dict[str, Any], field: str
) -> None:
    actor = make_actor("admin")
    for beyond in (LARGEST_ROW_ID + 1, 2**40, 2**63 - 1, 0):
        value = [beyond] if isinstance(body[field], list) else beyond
        response = app.test_client().post(
            path, json={**body, field: value}, headers=actor.headers()
        )
        assert response.status_code == 422, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["title"] == "Invalid request"
        assert [error["loc"][0] for error in problem["errors"]] == [field], problem
        assert problem["detail"].startswith(field)


def test_every_application_of_a_process_serves_a_whole_document(app: Flask, settings: Any) -> None:
    # spectree dropped nested definitions after the first document, so the next
    # application built in the same process (each test builds one) served dangling refs.
    assert _dangling(app) == set()
    second = create_app(settings)
    try:
        assert _dangling(second) == set()
    finally:
        second.extensions["gatehouse.engine"].dispose()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/datasets?domain=ref", "/api/v1/models?domain=ref", "/api/v1/runs?platform=x%C3%9B"],
)
def test_unknown_filter_values_of_an_enum_column_are_422(
    app: Flask, make_actor: Any, url: str
) -> None:
    # Found by the fuzz: the filters were plain strings, and the enum column's type
    # refused the value while binding it (500).
    response = app.test_client().get(url, headers=make_actor("auditor").headers())
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert Problem.model_validate(response.get_json()).errors


def test_ids_beyond_the_integer_columns_are_4xx_on_both_databases(
    app: Flask, backend: str, make_actor: Any
) -> None:
    # Found by the fuzz on PostgreSQL: ids are 32-bit INTEGER columns there, so a larger
    # id in a path, query or body raised NumericValueOutOfRange, answered as 503.
    actor = make_actor("admin")
    client = app.test_client()
    beyond = LARGEST_ROW_ID + 1
    # Also for methods other than the first rule's (a converter bound answered 405).
    for method, url in (
        ("GET", f"/api/v1/runs/{beyond}"),
        ("GET", f"/api/v1/datasets/{beyond}/versions"),
        ("DELETE", f"/api/v1/audit-schedules/{beyond}"),
        ("PATCH", f"/api/v1/audit-schedules/{beyond}"),
    ):
        response = client.open(url, method=method, headers=actor.headers())
        assert response.status_code == 404, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
    answers = [
        client.get(
            f"/api/v1/attestations?subject_type=model_version&subject_id={beyond}",
            headers=actor.headers(),
        ),
        client.get(f"/api/v1/decisions?subject_id={beyond}", headers=actor.headers()),
        client.post(
            "/api/v1/audits",
            json={"model_version_id": beyond, "dataset_version_id": 1, "kind": "fairness"},
            headers=actor.headers(),
        ),
    ]
    # Query and body ids beyond the columns are refused by their request model, naming the
    # field, on both databases alike (PostgreSQL answered "Value beyond the database").
    fields = ("subject_id", "subject_id", "model_version_id")
    for response, field in zip(answers, fields, strict=True):
        assert response.status_code == 422, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        problem = Problem.model_validate(response.get_json())
        assert [error["loc"][0] for error in problem.errors or []] == [field]
