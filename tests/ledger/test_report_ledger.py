"""Reports pin the ledger: a report made before a truncation or rewrite fails afterwards."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.cli import cli
from app.ledger.anchors import read_reference
from tests.ledger.tampering import append_many, execute, head, rewrite_from


def _generate(app: Any, path: Path) -> None:
    result = app.test_cli_runner().invoke(
        cli,
        [
            "report",
            "generate",
            "periodic_compliance",
            "--period-start",
            "2026-01-01",
            "--period-end",
            "2026-12-31",
            "-o",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output


def _verify(app: Any, path: Path, *extra: str) -> Any:
    return app.test_cli_runner().invoke(cli, ["report", "verify", str(path), *extra])


def test_report_generated_before_a_truncation_fails_its_ledger_check(
    app: Any, engine: sa.Engine, tmp_path: Path
) -> None:
    append_many(engine, 5)
    pinned_seq, pinned_hash = head(engine)
    report = tmp_path / "periodic.pdf"
    _generate(app, report)
    reference = read_reference(report.read_bytes())
    assert reference is not None
    assert (reference.head.seq, reference.head.hash) == (pinned_seq, pinned_hash)
    assert reference.checkpoint is None

    holds = _verify(app, report)
    assert holds.exit_code == 0, holds.output
    assert f"head event {pinned_seq}: the ledger still holds them" in holds.output

    execute(engine, f"DELETE FROM ledger_event WHERE seq > {pinned_seq - 2}")
    assert app.test_cli_runner().invoke(cli, ["ledger", "verify"]).exit_code == 0
    failed = _verify(app, report)
    assert failed.exit_code == 1
    assert "ledger check failed" in failed.output
    assert f"known to have reached event {pinned_seq}: truncated" in failed.output
    # The signature itself is still intact: only the ledger check fails.
    assert "INTACT" in failed.output
    offline = _verify(app, report, "--offline")
    assert offline.exit_code == 0 and "not checked against a ledger" in offline.output


def test_report_embeds_the_latest_checkpoint_and_catches_a_rewrite_before_it(
    app: Any, engine: sa.Engine, tmp_path: Path, make_actor: Any
) -> None:
    append_many(engine, 4)
    checkpoint = app.test_cli_runner().invoke(cli, ["ledger", "checkpoint"])
    assert checkpoint.exit_code == 0, checkpoint.output
    report = tmp_path / "periodic.pdf"
    _generate(app, report)
    reference = read_reference(report.read_bytes())
    assert reference is not None and reference.checkpoint is not None
    assert reference.checkpoint.head.seq == 4

    rewrite_from(engine, 2)
    failed = _verify(app, report)
    assert failed.exit_code == 1
    assert "the Merkle root over events 1..4 is" in failed.output
    assert "events 1–4 are the first range that differs" in failed.output

    auditor = make_actor("auditor")
    response = auditor.post(
        "/api/v1/reports/verify",
        data={"file": (io.BytesIO(report.read_bytes()), "periodic.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    ledger = response.get_json()["ledger"]
    assert ledger["holds"] is False and ledger["checkpoint_seq"] == 4
    assert any("rewritten" in problem for problem in ledger["problems"])


def test_portal_verify_page_shows_the_ledger_check(
    app: Any, engine: sa.Engine, tmp_path: Path, login: Any
) -> None:
    append_many(engine, 3)
    report = tmp_path / "periodic.pdf"
    _generate(app, report)
    pinned = read_reference(report.read_bytes())
    assert pinned is not None
    portal, _user = login("auditor")

    def page() -> str:
        response = portal.post(
            "/reports/verify",
            data={"file": (io.BytesIO(report.read_bytes()), "periodic.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "the ledger still holds them" in page()
    execute(engine, f"DELETE FROM ledger_event WHERE seq >= {pinned.head.seq - 1}")
    shown = page()
    assert "THE LEDGER NO LONGER HOLDS THEM" in shown and "truncated" in shown
