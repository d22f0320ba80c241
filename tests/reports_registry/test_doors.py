"""The API, portal and CLI doors to reports: who may do what, downloads ledgered, verification.

Roles are the seed's people: olivia (compliance officer), marcus (model risk), eli (ML
engineer), audrey (auditor), ada (admin) and release-bot (pipeline token).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from werkzeug.test import TestResponse

from app.cli.reports import cli_group
from app.db import session_scope
from app.models.evidence import Report
from app.models.ledger import LedgerEvent
from app.reports.service import MAX_VERIFY_BYTES
from tests.reports.conftest import pdf_text
from tests.reports_registry.conftest import World

SAFE_FILENAME = re.compile(r'attachment; filename="[a-z_]+-[a-z_]+(-\d+)?-\d{8}-[0-9a-f]{12}\.pdf"')


def _downloads(world: World, report_id: int) -> list[LedgerEvent]:
    with session_scope(world.engine) as session:
        return list(
            session.exec(
                select(LedgerEvent)
                .where(
                    LedgerEvent.action == "report.downloaded",
                    LedgerEvent.subject_id == str(report_id),
                )
                .order_by(col(LedgerEvent.seq))
            ).all()
        )


def _flipped(data: bytes) -> bytes:
    """The file with one byte of its signed content changed."""
    altered = bytearray(data)
    altered[len(altered) // 3] ^= 0x01
    return bytes(altered)


def _problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The problem+json body of ``response``, which must have ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- API ---------------------------------------------------------------------------------


def test_auditor_downloads_through_the_api_and_the_download_is_ledgered(world: World) -> None:
    report = world.reports["promotion_evidence"]
    client, headers = world.api("audrey")
    before = len(_downloads(world, report.id or 0))
    response = client.get(f"/api/v1/reports/{report.id}/download", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert SAFE_FILENAME.fullmatch(response.headers["Content-Disposition"])
    assert response.data == world.pdf("promotion_evidence")
    events = _downloads(world, report.id or 0)
    assert len(events) == before + 1
    assert events[-1].actor == "audrey"
    assert events[-1].payload["pdf_sha256"] == report.pdf_sha256


@pytest.mark.parametrize(
    ("username", "method", "path", "status"),
    [
        ("eli", "post", "/api/v1/reports", 403),
        ("audrey", "post", "/api/v1/reports", 403),
        ("release-bot", "post", "/api/v1/reports", 403),
        ("release-bot", "get", "/api/v1/reports", 403),
        ("release-bot", "get", "/api/v1/reports/1/download", 403),
        ("release-bot", "post", "/api/v1/reports/verify", 403),
        ("eli", "get", "/api/v1/reports", 200),
        ("audrey", "get", "/api/v1/reports", 200),
        ("eli", "get", "/api/v1/reports/1/download", 200),
    ],
)
def test_api_roles(world: World, username: str, method: str, path: str, status: int) -> None:
    client, headers = world.api(username)
    body = {"kind": "model_card", "subject_id": world.ids["notes_model"]}
    response = getattr(client, method)(
        path, headers=headers, **({"json": body} if method == "post" else {})
    )
    if status == 403:
        _problem(response, 403)
    else:
        assert response.status_code == status, response.get_data(as_text=True)


def test_list_filters_by_kind(world: World) -> None:
    client, headers = world.api("audrey")
    response = client.get("/api/v1/reports?kind=dataset_sheet", headers=headers)
    items = response.get_json()["items"]
    assert items and {item["kind"] for item in items} == {"dataset_sheet"}
    assert items[0]["pdf_sha256"] == world.reports["dataset_sheet"].pdf_sha256
    assert items[0]["filename"].endswith(".pdf")


def test_officer_generates_through_the_api(world: World) -> None:
    client, headers = world.api("olivia")
    response = client.post(
        "/api/v1/reports",
        headers=headers,
        json={"kind": "model_card", "subject_id": world.ids["notes_model"]},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "model_card" and body["subject_type"] == "model_version"
    assert body["created_by"] == "olivia" and body["self_signed"] is True
    with session_scope(world.engine) as session:
        report = session.get(Report, body["id"])
        assert report is not None
    text = pdf_text((world.settings.storage_dir / report.storage_path).read_bytes())
    # The notes model's card lacks its caveats: the report says so instead of an empty cell.
    assert "notes-assistant 0.9.0" in text
    assert "Not written." in text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "horoscope", "subject_id": 1}, 422),
        ({"kind": "model_card"}, 422),
        ({"kind": "periodic_compliance", "period_start": "2026-01-01"}, 422),
        ({"kind": "model_card", "subject_id": 999999}, 404),
        ({"kind": "audit_report", "subject_id": 999999}, 404),
        (
            {
                "kind": "periodic_compliance",
                "period_start": "2026-12-31",
                "period_end": "2026-01-01",
            },
            422,
        ),
    ],
)
def test_generate_problems(world: World, body: dict[str, object], status: int) -> None:
    client, headers = world.api("marcus")
    _problem(client.post("/api/v1/reports", headers=headers, json=body), status)


def test_promotion_pack_without_a_decision_is_a_conflict(world: World) -> None:
    client, headers = world.api("ada")
    fresh = client.post(
        "/api/v1/deployments",
        headers=headers,
        json={
            "model_version_id": world.ids["notes_model"],
            "endpoint": "https://canary.internal/notes",
        },
    ).get_json()
    body = _problem(
        client.post(
            "/api/v1/reports",
            headers=headers,
            json={"kind": "promotion_evidence", "subject_id": fresh["id"]},
        ),
        409,
    )
    assert "production_promotion" in str(body["detail"])


def test_download_of_a_missing_report_is_a_problem(world: World) -> None:
    client, headers = world.api("audrey")
    _problem(client.get("/api/v1/reports/999999/download", headers=headers), 404)


def test_a_stored_file_that_no_longer_matches_its_digest_is_not_served(world: World) -> None:
    report = world.reports["periodic_compliance"]
    stored = world.settings.storage_dir / report.storage_path
    original = stored.read_bytes()
    before = len(_downloads(world, report.id or 0))
    client, headers = world.api("audrey")
    try:
        stored.write_bytes(_flipped(original))
        body = _problem(client.get(f"/api/v1/reports/{report.id}/download", headers=headers), 500)
    finally:
        stored.write_bytes(original)
    assert body["title"] == "Report file missing or altered"
    assert len(_downloads(world, report.id or 0)) == before


def test_api_verify_reports_intact_and_registered(world: World) -> None:
    client, headers = world.api("audrey")
    data = world.pdf("audit_report")
    response = client.post(
        "/api/v1/reports/verify",
        headers=headers,
        data={"file": (io.BytesIO(data), "audit.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["verdict"] == "intact_untrusted" and body["intact"] is True
    assert body["trust"] == "self-signed"
    assert body["sha256_matches"] is True
    assert body["installation_signer"] is True
    assert body["registry"]["registered"] is True
    assert body["registry"]["report_id"] == world.reports["audit_report"].id
    assert world.settings.organisation in body["signatures"][0]["signer_subject"]
    assert body["signatures"][0]["signing_time"]


def test_api_verify_reports_a_flipped_byte_as_tampered(world: World) -> None:
    client, headers = world.api("eli")
    response = client.post(
        "/api/v1/reports/verify",
        headers=headers,
        data={"file": (io.BytesIO(_flipped(world.pdf("audit_report"))), "audit.pdf")},
        content_type="multipart/form-data",
    )
    body = response.get_json()
    assert body["verdict"] == "tampered" and body["intact"] is False
    assert body["registry"]["registered"] is False
    assert body["problems"]


def test_api_verify_needs_a_file_and_refuses_large_uploads(world: World) -> None:
    client, headers = world.api("audrey")
    _problem(
        client.post(
            "/api/v1/reports/verify", headers=headers, data={}, content_type="multipart/form-data"
        ),
        422,
    )
    oversized = io.BytesIO(b"%PDF-1.7\n" + b"0" * (MAX_VERIFY_BYTES + 128 * 1024))
    _problem(
        client.post(
            "/api/v1/reports/verify",
            headers=headers,
            data={"file": (oversized, "big.pdf")},
            content_type="multipart/form-data",
        ),
        413,
    )


# --- portal ------------------------------------------------------------------------------


def test_portal_lists_reports_and_auditor_downloads_ledgered(world: World) -> None:
    portal = world.portal("audrey")
    page = portal.get("/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    report = world.reports["dataset_sheet"]
    assert f"/reports/{report.id}/download" in html
    assert "Generate a report" not in html  # auditors download and verify only
    response = portal.get(f"/reports/{report.id}/download")
    assert response.status_code == 200 and response.data == world.pdf("dataset_sheet")
    assert SAFE_FILENAME.fullmatch(response.headers["Content-Disposition"])
    assert _downloads(world, report.id or 0)[-1].actor == "audrey"
    assert portal.post("/reports", data={"kind": "model_card", "subject_id": 1}).status_code == 403


def test_portal_verify_page_says_intact_signer_and_registry_match(world: World) -> None:
    portal = world.portal("eli")
    response = portal.post(
        "/reports/verify",
        data={"file": (io.BytesIO(world.pdf("model_card")), "card.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "INTACT." in html and "self-signed" in html
    assert f"report {world.reports['model_card'].id}" in html
    assert "issued by this registry" in html
    assert world.settings.organisation in html
    tampered = portal.post(
        "/reports/verify",
        data={"file": (io.BytesIO(_flipped(world.pdf("model_card"))), "card.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "TAMPERED." in tampered and "no report with this SHA-256" in tampered


def test_portal_officer_generates_a_periodic_report(world: World) -> None:
    portal = world.portal("olivia")
    assert "Generate a report" in portal.get("/reports").get_data(as_text=True)
    response = portal.post(
        "/reports",
        data={
            "kind": "periodic_compliance",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with session_scope(world.engine) as session:
        newest = session.exec(select(Report).order_by(col(Report.id).desc())).first()
    assert newest is not None and newest.kind == "periodic_compliance"
    assert newest.created_by == "olivia"
    assert "Q1 2026" in pdf_text((world.settings.storage_dir / newest.storage_path).read_bytes())
    refused = portal.post("/reports", data={"kind": "dataset_sheet", "subject_id": 999999})
    assert refused.status_code == 404
    assert "does not exist" in refused.get_data(as_text=True)


# --- CLI ---------------------------------------------------------------------------------


def test_cli_generate_writes_a_file_that_verify_accepts(world: World, tmp_path: Path) -> None:
    runner = world.app.test_cli_runner()
    output = tmp_path / "sheet.pdf"
    result = runner.invoke(
        cli_group,
        [
            "generate",
            "dataset_sheet",
            "--subject",
            str(world.ids["german_credit"]),
            "-o",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    sha = result.output.strip().rsplit(" ", 1)[-1]
    assert "german-credit v1" in pdf_text(output.read_bytes())
    verified = runner.invoke(cli_group, ["verify", str(output), "--expected-sha256", sha])
    assert verified.exit_code == 0, verified.output
    assert "INTACT" in verified.output and "self-signed" in verified.output
    output.write_bytes(_flipped(output.read_bytes()))
    assert runner.invoke(cli_group, ["verify", str(output)]).exit_code == 1


def test_cli_generate_errors(world: World, tmp_path: Path) -> None:
    runner = world.app.test_cli_runner()
    output = tmp_path / "x.pdf"
    missing = runner.invoke(cli_group, ["generate", "model_card", "-o", str(output)])
    assert missing.exit_code == 2 and "--subject" in missing.output
    unknown = runner.invoke(
        cli_group, ["generate", "model_card", "--subject", "999999", "-o", str(output)]
    )
    assert unknown.exit_code == 1 and "does not exist" in unknown.output
    assert not output.exists()
