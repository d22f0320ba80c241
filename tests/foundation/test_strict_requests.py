"""Issue 14's input hygiene reproductions, through the API on SQLite and PostgreSQL: a value
of the wrong JSON type is not converted, text with a control character, a non-finite number
and an oversized field or body are refused with a problem naming the field (or the limit),
and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from tests.foundation.helpers import sha

RUN = {"name": "notes-sft", "base_model": "llama-3.1-8b", "platform": "meta", "method": "lora"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    return body


def _places(problem: dict[str, Any]) -> list[str]:
    return [".".join(str(p) for p in error["loc"] if p != "body") for error in problem["errors"]]


def _run_count(actor: Any) -> int:
    return len(actor.get("/api/v1/runs").get_json()["items"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gpu_count", False),  # false taken as 0
        ("gpu_count", "4"),  # text taken as a number
        ("gpu_count", 2.0),  # a float taken as a whole number
        ("max_hours", True),  # true taken as 1.0
        ("name", 7),  # a number taken as text
        ("hyperparameters", {"epochs": None}),
    ],
)
def test_a_value_of_another_json_type_is_not_converted(
    app: Flask, make_actor: Any, field: str, value: Any
) -> None:
    actor = make_actor("ml_engineer")
    problem = _problem(actor.post("/api/v1/runs", json={**RUN, field: value}), 422)
    assert any(place.startswith(field) for place in _places(problem)), problem
    assert _run_count(actor) == 0
    # The same body with the right type is taken, so the refusal was the type's.
    assert actor.post("/api/v1/runs", json=RUN).status_code == 201


def test_zero_point_zero_is_not_a_boolean(app: Flask, make_actor: Any) -> None:
    actor = make_actor("ml_engineer")
    dataset = actor.post(
        "/api/v1/datasets", json={"name": "notes", "owner": actor.username, "domain": "healthcare"}
    ).get_json()
    version = {
        "format": "openai_chat",
        "content_sha256": sha("v1"),
        "storage_uri": "file:///data/notes-v1.jsonl",
    }
    url = f"/api/v1/datasets/{dataset['id']}/versions"
    problem = _problem(actor.post(url, json={**version, "contains_phi": 0.0}), 422)
    assert _places(problem) == ["contains_phi"]
    assert actor.get(url).get_json()["items"] == []
    created = actor.post(url, json={**version, "contains_phi": False})
    assert created.status_code == 201
    assert created.get_json()["contains_phi"] is False


@pytest.mark.parametrize(
    ("body", "place"),
    [
        ({**RUN, "name": "notes\x00sft"}, "name"),
        ({**RUN, "base_model": "llama\x1b[31m"}, "base_model"),
        ({**RUN, "authors": ["ada", "bob\x00"]}, "authors[1]"),
        ({**RUN, "hyperparameters": {"lr\x00": 0.1}}, "hyperparameters.lr\x00"),
        ({**RUN, "hyperparameters": {"note": "\ud800"}}, "hyperparameters.note"),
    ],
)
def test_control_characters_are_refused_on_both_databases(
    app: Flask, make_actor: Any, body: dict[str, Any], place: str
) -> None:
    actor = make_actor("ml_engineer")
    problem = _problem(actor.post("/api/v1/runs", json=body), 422)
    assert _places(problem) == [place]
    assert "control character" in problem["detail"]
    assert _run_count(actor) == 0


def test_a_line_break_is_text_but_not_a_name(app: Flask, make_actor: Any) -> None:
    actor = make_actor("ml_engineer")
    problem = _problem(actor.post("/api/v1/runs", json={**RUN, "name": "notes\nsft"}), 422)
    assert _places(problem) == ["name"]
    created = actor.post("/api/v1/runs", json={**RUN, "hyperparameters": {"note": "a\nb\tc"}})
    assert created.status_code == 201
    assert created.get_json()["hyperparameters"] == {"note": "a\nb\tc"}


def test_control_characters_in_a_query_are_refused(app: Flask, make_actor: Any) -> None:
    actor = make_actor("auditor")
    problem = _problem(actor.get("/api/v1/datasets?owner=a%00b"), 422)
    assert _places(problem) == ["query.owner"]


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_refused(app: Flask, make_actor: Any, raw: str) -> None:
    actor = make_actor("ml_engineer")
    for field in ("hyperparameters", "max_hours"):
        value = {"lr": "X"} if field == "hyperparameters" else "X"
        body = json.dumps({**RUN, field: value}).replace('"X"', raw)
        response = actor.post("/api/v1/runs", data=body, content_type="application/json")
        if raw.lstrip("-").isalpha():
            # Not JSON at all: the body does not parse (the constant is named).
            assert raw.lstrip("-") in _problem(response, 400)["detail"]
        else:
            # JSON, but beyond a float: the field is named.
            assert _places(_problem(response, 422))[0].startswith(field)
    assert _run_count(actor) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("authors", ["x" * 201]),
        ("authors", [f"person-{i}" for i in range(101)]),
        ("training_command", ["python", "y" * 4001]),
        ("training_command", ["arg"] * 201),
        ("hyperparameters", {f"h{i}": i for i in range(201)}),
        ("hyperparameters", {"note": "z" * 1001}),
        ("name", "n" * 201),
    ],
)
def test_free_text_fields_are_bounded(app: Flask, make_actor: Any, field: str, value: Any) -> None:
    actor = make_actor("ml_engineer")
    problem = _problem(actor.post("/api/v1/runs", json={**RUN, field: value}), 422)
    assert any(place.startswith(field) for place in _places(problem)), problem
    assert _run_count(actor) == 0


def test_a_body_beyond_the_json_limit_is_413_before_it_is_read(app: Flask, make_actor: Any) -> None:
    actor = make_actor("ml_engineer")
    limit = app.config["GATEHOUSE"].max_json_bytes
    # The 100 MB `authors` was stored and sent back on every read.
    body = json.dumps({**RUN, "authors": ["a" * 100] * (limit // 100 + 1)})
    problem = _problem(actor.post("/api/v1/runs", data=body, content_type="application/json"), 413)
    assert f"{limit:,}" in problem["detail"] and "GATEHOUSE_MAX_JSON_BYTES" in problem["detail"]
    assert _run_count(actor) == 0


def test_a_multipart_part_without_a_readable_name_is_a_400(app: Flask, make_actor: Any) -> None:
    """Found by the contract fuzz: a part whose name holds a raw line break reaches the form
    parser as a part named None, and the idempotency fingerprint, which sorts the parts by name, failed
    with a 500. It is refused as a malformed form before anything runs, key or not."""
    actor = make_actor("ml_engineer")
    dataset_id = actor.post(
        "/api/v1/datasets", json={"name": "faq", "owner": actor.username}
    ).get_json()["id"]
    boundary = b"gatehouse-test-boundary"
    parts = [
        (b'name="note\rx"', b"text"),
        (b'name="note"', b"text"),
        (b'name="format"', b"llama_io"),
        (b'name="file"; filename="faq.jsonl"', b'{"input": "Fee?", "output": "None."}\n'),
    ]
    body = (
        b"".join(
            b"--"
            + boundary
            + b"\r\nContent-Disposition: form-data; "
            + header
            + b"\r\n\r\n"
            + content
            + b"\r\n"
            for header, content in parts
        )
        + b"--"
        + boundary
        + b"--\r\n"
    )
    url = f"/api/v1/datasets/{dataset_id}/versions/upload"
    for key in ({"Idempotency-Key": "upload-1"}, {}):
        response = actor.client.post(
            url,
            data=body,
            content_type=f"multipart/form-data; boundary={boundary.decode()}",
            headers={**actor.headers(), **key},
        )
        problem = _problem(response, 400)
        assert problem["title"] == "Malformed form"
    assert actor.get(f"/api/v1/datasets/{dataset_id}/versions").get_json()["items"] == []
