"""CONTRIBUTING's "add a report kind" recipe, followed once with a test-only kind.

One :func:`register_kind` call is the only registration: the API, the portal's
generate form and ``gatehouse report generate`` all offer and produce the kind, and the
signed PDF verifies like any other report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import cli
from app.models.datasets import Dataset, DatasetVersion
from app.registry.records import get_record
from app.reports import verify_pdf
from app.reports.kind import ReportKind, register_kind, unregister_kind
from app.reports.reader import Reader, meta
from tests.foundation.helpers import make_lineage
from tests.reports.conftest import pdf_text

KIND = "fixture_retention"


def _build(
    reader: Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> dict[str, Any]:
    """The context: which dataset version, and how long it is kept."""
    version = get_record(session=reader.session, model=DatasetVersion, record_id=subject_id)
    dataset = get_record(session=reader.session, model=Dataset, record_id=version.dataset_id)
    return {
        "meta": meta(
            reader, subject=f"dataset {dataset.name}", actor=actor, generated_at=generated_at
        ),
        "dataset": {
            "name": dataset.name,
            "version": f"v{version.version}",
            "retention_until": version.retention_until or "no deadline recorded",
        },
    }


@pytest.fixture
def fixture_kind() -> Iterator[ReportKind]:
    kind = register_kind(
        ReportKind(
            name=KIND,
            label="Retention notice",
            subject_type="dataset_version",
            build=_build,
            template_dirs=(Path(__file__).parent / "templates",),
        )
    )
    yield kind
    unregister_kind(KIND)


def test_one_registration_makes_a_report_kind_available_at_every_door(
    app: Any, make_actor: Any, login: Any, fixture_kind: ReportKind, tmp_path: Path
) -> None:
    engineer = make_actor("ml_engineer")
    officer = make_actor("compliance_officer")
    version_id = make_lineage(engineer)["version"]

    made = officer.post("/api/v1/reports", json={"kind": KIND, "subject_id": version_id})
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["kind"] == KIND and body["subject_type"] == "dataset_version"
    pdf = officer.get(f"/api/v1/reports/{body['id']}/download").data
    assert verify_pdf(pdf, expected_sha256=body["pdf_sha256"]).intact
    assert "Retention notice: notes" in " ".join(pdf_text(pdf).split())

    portal, _ = login("compliance_officer")
    page = portal.get("/reports").get_data(as_text=True)
    assert f'value="{KIND}"' in page and "Retention notice" in page
    generated = portal.post(
        "/reports", data={"kind": KIND, "subject_id": str(version_id)}, follow_redirects=True
    )
    assert "generated and signed" in generated.get_data(as_text=True)

    output = tmp_path / "notice.pdf"
    ran = app.test_cli_runner().invoke(
        cli, ["report", "generate", KIND, "--subject", str(version_id), "-o", str(output)]
    )
    assert ran.exit_code == 0, ran.output
    assert "Retention notice" in ran.output and verify_pdf(output.read_bytes()).intact


def test_an_unregistered_kind_is_refused_at_the_doors(app: Any, make_actor: Any) -> None:
    officer = make_actor("compliance_officer")
    refused = officer.post("/api/v1/reports", json={"kind": KIND, "subject_id": 1})
    assert refused.status_code == 422
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    ran = app.test_cli_runner().invoke(
        cli, ["report", "generate", KIND, "--subject", "1", "-o", "x.pdf"]
    )
    assert ran.exit_code == 2 and "unknown report kind" in ran.output
