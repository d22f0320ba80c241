"""``Idempotency-Key`` on the API's POSTs: replayed, refused when reused, scoped, expired.

Real application, database (SQLite and PostgreSQL), stored files and report renderer.
The crash test (``test_crash.py``) shows the same keys surviving ``kill -9``.
"""

from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, func, select

from app.db import session_scope
from app.jobs.definitions import JobContext
from app.jobs.runner import execute_job
from app.migrations import downgrade, upgrade
from app.models.base import utc_now
from app.models.datasets import Dataset, DatasetVersion
from app.models.evidence import Report
from app.models.idempotency import IdempotentResponse
from app.models.ledger import LedgerEvent
from app.models.webhooks import WebhookSubscription
from tests.approvals.conftest import build_registry
from tests.conftest import serving

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def _keyed(actor: Any, path: str, key: str, **kwargs: Any) -> Any:
    """POST as ``actor`` with ``key`` as its Idempotency-Key."""
    return actor.client.post(path, headers={**actor.headers(), KEY: key}, **kwargs)


def _count(engine: sa.Engine, model: Any, *where: Any) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_same_key_and_body_replays_the_answer_and_creates_once(
    make_actor: Any, engine: sa.Engine
) -> None:
    engineer = make_actor("ml_engineer")
    body = {"name": "faq", "owner": engineer.username}
    first = _keyed(engineer, "/api/v1/datasets", "k-1", json=body)
    again = _keyed(engineer, "/api/v1/datasets", "k-1", json=body)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers[REPLAYED] == "true" and REPLAYED not in first.headers
    assert _count(engine, Dataset) == 1
    assert _count(engine, LedgerEvent, col(LedgerEvent.action) == "dataset.created") == 1
    # Without a key a POST is not remembered: the same body is a new request (refused: the name exists).
    plain = engineer.post("/api/v1/datasets", json=body)
    assert plain.status_code == 422 and REPLAYED not in plain.headers


def test_same_key_with_another_body_is_a_422_problem_and_changes_nothing(
    make_actor: Any, engine: sa.Engine
) -> None:
    engineer = make_actor("ml_engineer")
    assert (
        _keyed(engineer, "/api/v1/datasets", "k-2", json={"name": "a", "owner": "x"}).status_code
        == 201
    )
    reused = _keyed(engineer, "/api/v1/datasets", "k-2", json={"name": "b", "owner": "x"})
    assert reused.status_code == 422
    assert reused.mimetype == "application/problem+json"
    assert reused.get_json()["title"] == "Idempotency key reused"
    assert _count(engine, Dataset) == 1


def test_keys_belong_to_the_caller_and_the_path(make_actor: Any, engine: sa.Engine) -> None:
    first, second = make_actor("ml_engineer"), make_actor("ml_engineer")
    for actor, name in ((first, "one"), (second, "two")):
        answer = _keyed(actor, "/api/v1/datasets", "shared", json={"name": name, "owner": "x"})
        assert answer.status_code == 201 and REPLAYED not in answer.headers
    assert _count(engine, Dataset) == 2


@pytest.mark.usefixtures("public_webhook_hosts")
def test_a_webhook_secret_is_never_stored_and_its_replay_is_a_410_problem(
    make_actor: Any, engine: sa.Engine
) -> None:
    # Found after issue 14: the whole answer, the signing secret shown once with it, was
    # kept in clear for 24 h in the idempotency table.
    admin = make_actor("admin")
    body = {"url": "https://hooks.example.com/gatehouse", "events": ["approval.decided"]}
    first = _keyed(admin, "/api/v1/webhooks", "hook-1", json=body)
    assert first.status_code == 201, first.get_data(as_text=True)
    secret, subscription = first.get_json()["secret"], first.get_json()["id"]
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT status, body FROM idempotent_response")).all()
    assert len(stored) == 1 and secret not in stored[0][1] and stored[0][0] == 410
    again = _keyed(admin, "/api/v1/webhooks", "hook-1", json=body)
    assert again.status_code == 410 and again.mimetype == "application/problem+json"
    assert again.headers[REPLAYED] == "true" and secret not in again.get_data(as_text=True)
    problem = again.get_json()
    assert problem["title"] == "Secret not replayed"
    assert problem["subscription_id"] == subscription
    assert f"DELETE /api/v1/webhooks/{subscription}" in problem["detail"]
    assert _count(engine, WebhookSubscription) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("key", ["", "x" * 256, "no spaces", "caf\u00e9"])
def test_a_malformed_key_is_refused(make_actor: Any, engine: sa.Engine, key: str) -> None:
    engineer = make_actor("ml_engineer")
    answer = _keyed(engineer, "/api/v1/datasets", key, json={"name": "faq", "owner": "x"})
    assert answer.status_code == 422 and answer.get_json()["title"] == "Invalid idempotency key"
    assert _count(engine, Dataset) == 0


def test_an_upload_is_stored_once_and_matched_by_its_content(
    make_actor: Any, engine: sa.Engine, settings: Any
) -> None:
    engineer = make_actor("ml_engineer")
    dataset_id = engineer.post(
        "/api/v1/datasets", json={"name": "faq", "owner": engineer.username}
    ).get_json()["id"]

    def upload(content: bytes) -> Any:
        return _keyed(
            engineer,
            f"/api/v1/datasets/{dataset_id}/versions/upload",
            "upload-1",
            data={"file": (io.BytesIO(content), "faq.jsonl")},
            content_type="multipart/form-data",
        )

    line = b'{"input": "What is APR?", "output": "The yearly cost of credit."}\n'
    first, again = upload(line), upload(line)
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json() == first.get_json() and again.headers[REPLAYED] == "true"
    other = upload(line * 2)
    assert other.status_code == 422 and other.get_json()["title"] == "Idempotency key reused"
    assert _count(engine, DatasetVersion) == 1
    stored = [p for p in (settings.storage_dir / "datasets").rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == line


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_report_in_flight_is_a_409_and_generated_once(
    app: Any, make_actor: Any, engine: sa.Engine
) -> None:
    """While the first request renders (seconds), the same key is refused as in flight;
    afterwards it is replayed. One report, one file."""
    officer = make_actor("compliance_officer")
    with session_scope(engine) as session:
        version_id = build_registry(session).dataset_version_id
    body = b'{"kind": "dataset_sheet", "subject_id": %d}' % version_id
    headers = {**officer.headers(), KEY: "report-1", "Content-Type": "application/json"}

    def post(url: str) -> tuple[int, dict[str, Any], str | None]:
        request = urllib.request.Request(
            f"{url}/api/v1/reports", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, _json(response.read()), response.headers.get(REPLAYED)
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read()), error.headers.get(REPLAYED)

    with serving(app) as url:
        results: list[tuple[int, dict[str, Any], str | None]] = []
        first = threading.Thread(target=lambda: results.append(post(url)))
        first.start()
        seen = []
        while first.is_alive():
            seen.append(post(url))
        first.join()
        after = post(url)
    answers = [*results, *seen]
    ran = [a for a in answers if a[0] == 201 and a[2] is None]
    assert len(ran) == 1, answers
    answer = ran[0][1]
    in_flight = [a for a in answers if a[0] == 409]
    assert in_flight, "the report rendered before a second request arrived"
    assert all(a[1]["title"] == "Idempotency key in flight" for a in in_flight)
    assert all(a == (201, answer, "true") for a in answers if a not in in_flight + ran)
    assert after == (201, answer, "true")
    assert _count(engine, Report) == 1


def _json(raw: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


def test_answers_expire_and_the_job_forgets_them(
    app: Any, make_actor: Any, engine: sa.Engine, settings: Any
) -> None:
    engineer = make_actor("ml_engineer")
    body = {"name": "faq", "owner": engineer.username}
    assert _keyed(engineer, "/api/v1/datasets", "k-3", json=body).status_code == 201
    context = JobContext(
        engine=engine, settings=settings, policy_engine=app.extensions["gatehouse.policy_engine"]
    )
    kept = execute_job(context, "idempotency-expiry")
    assert kept is not None and kept.details["expired"] == 0
    with session_scope(engine) as session:
        stored = session.exec(select(IdempotentResponse)).one()
        assert stored.status == 201 and stored.expires_at - stored.created_at == timedelta(hours=24)
        stored.expires_at = utc_now() - timedelta(seconds=1)
        session.add(stored)
    # Expired: the key is free again, the request runs (and is refused: the name exists).
    rerun = _keyed(engineer, "/api/v1/datasets", "k-3", json=body)
    assert rerun.status_code == 422 and REPLAYED not in rerun.headers
    with session_scope(engine) as session:
        session.exec(select(IdempotentResponse)).one().expires_at = utc_now() - timedelta(hours=1)
    swept = execute_job(context, "idempotency-expiry")
    assert swept is not None and swept.outcome == "succeeded" and swept.details["expired"] == 1
    assert _count(engine, IdempotentResponse) == 0


def test_the_document_names_the_header_on_every_post(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    posts = [ops["post"] for ops in document["paths"].values() if "post" in ops]
    assert posts
    for operation in posts:
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [p["name"] for p in headers] == [KEY], operation["operationId"]
    others = [
        op for ops in document["paths"].values() for method, op in ops.items() if method != "post"
    ]
    assert not any(p.get("name") == KEY for op in others for p in op.get("parameters", []))


def test_the_upgrade_removes_secrets_stored_before_it(database_url: str) -> None:
    # A database that stored a webhook's answer whole before revision 0013.
    downgrade(database_url, "0012")
    engine = sa.create_engine(database_url)
    answer = {"id": 7, "url": "https://hooks.example.com/x", "secret": "s3cr3t-value-shown-once"}
    now = utc_now()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(IdempotentResponse.__table__).values(  # type: ignore[attr-defined]
                principal="token:ada",
                method="POST",
                path="/api/v1/webhooks",
                key="k",
                fingerprint="0" * 64,
                status=201,
                media_type="application/json",
                body=json.dumps(answer),
                created_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    upgrade(database_url)
    with engine.connect() as connection:
        status, body = connection.execute(
            sa.text("SELECT status, body FROM idempotent_response")
        ).one()
    engine.dispose()
    assert status == 410 and "s3cr3t" not in body
    assert json.loads(body)["subscription_id"] == 7
