"""Evaluations must state what their kind needs, and a wrong one can be superseded.

Reproduces issue 14: a red-team evaluation posted without ``prompts_tried``/``failures``
was accepted (201) and then failed the red-team control for good, since evaluations
could not be corrected. Now the post is a 422 naming the missing field, and an
independent approver can supersede a wrong evaluation (with a reason, ledgered) so the
promotion gate reads only the standing ones.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import col, select

from app.cli import cli
from app.cli.pipeline import EXIT_DENIED, EXIT_DONE
from app.db import session_scope
from app.models.ledger import LedgerEvent
from tests.approvals.conftest import ENGINEER, Registry

RED_TEAM = {
    "kind": "red_team",
    "name": "jailbreaks",
    "metrics": {"prompts_tried": 400, "failures": 3},
    "attack_category": "jailbreak",
    "severity": "low",
}


def _without(field: str) -> dict[str, Any]:
    body = {**RED_TEAM, "metrics": dict(RED_TEAM["metrics"])}  # type: ignore[call-overload]
    if field in body["metrics"]:
        del body["metrics"][field]
    else:
        del body[field]
    return body


def _evaluations(actor: Any, model_id: int) -> list[dict[str, Any]]:
    listed = actor.get(f"/api/v1/models/{model_id}/evaluations")
    assert listed.status_code == 200, listed.json
    return list(listed.json["items"])


@pytest.mark.parametrize(
    ("field", "location"),
    [
        ("prompts_tried", "metrics"),
        ("failures", "metrics"),
        ("attack_category", "attack_category"),
        ("severity", "severity"),
    ],
)
def test_red_team_without_a_required_field_is_a_problem_naming_it(
    make_actor: Any, registry: Registry, field: str, location: str
) -> None:
    engineer = make_actor("ml_engineer", username=ENGINEER)
    before = _evaluations(engineer, registry.model_id)
    refused = engineer.post(f"/api/v1/models/{registry.model_id}/evaluations", json=_without(field))
    assert refused.status_code == 422, refused.json
    assert refused.mimetype == "application/problem+json"
    assert field in refused.json["detail"]
    assert [error["loc"][-1] for error in refused.json["errors"]] == [location]
    assert _evaluations(engineer, registry.model_id) == before


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {**RED_TEAM, "metrics": {"prompts_tried": 10, "failures": 11}},
            "failures (11) cannot exceed prompts_tried (10)",
        ),
        (
            {**RED_TEAM, "metrics": {"prompts_tried": 10.5, "failures": 1}},
            "prompts_tried must be a non-negative whole number",
        ),
        (
            {**RED_TEAM, "metrics": {"prompts_tried": 10, "failures": -1}},
            "failures must be a non-negative whole number",
        ),
        ({"kind": "benchmark", "name": "holdout"}, "a benchmark states at least one metric"),
    ],
)
def test_counts_must_make_sense_and_benchmarks_need_a_metric(
    make_actor: Any, registry: Registry, body: dict[str, Any], message: str
) -> None:
    engineer = make_actor("ml_engineer", username=ENGINEER)
    refused = engineer.post(f"/api/v1/models/{registry.model_id}/evaluations", json=body)
    assert refused.status_code == 422, refused.json
    assert message in refused.json["detail"]


def _promote(pipeline: Any, deployment_id: int) -> Any:
    return pipeline.post(f"/api/v1/deployments/{deployment_id}/promote")


def test_a_superseded_evaluation_no_longer_blocks_promotion(
    engine: sa.Engine, make_actor: Any, registry: Registry
) -> None:
    engineer = make_actor("ml_engineer", username=ENGINEER)
    pipeline = make_actor("pipeline")
    officer = make_actor("compliance_officer", username="olivia")
    # A wrong record: another model's red-team run, with a critical open finding.
    wrong = engineer.post(
        f"/api/v1/models/{registry.model_id}/evaluations",
        json={
            **RED_TEAM,
            "metrics": {"prompts_tried": 400, "failures": 300},
            "severity": "critical",
            "open_findings": 1,
        },
    )
    assert wrong.status_code == 201, wrong.json
    evaluation_id = wrong.json["id"]
    denied = _promote(pipeline, registry.deployment_id)
    assert denied.json["outcome"] == "denied"
    assert "COMMON-RED-TEAM" in {v["control"] for v in denied.json["violations"]}

    # Registrars cannot take evidence away; approvers must be independent and say why.
    path = f"/api/v1/evaluations/{evaluation_id}/supersede"
    assert engineer.post(path, json={"reason": "wrong model"}).status_code == 403
    blank = officer.post(path, json={"reason": "  "})
    assert blank.status_code == 422 and blank.mimetype == "application/problem+json"
    developer = make_actor("model_risk", username="dev-risk")
    engineer.patch(
        f"/api/v1/models/{registry.model_id}", json={"developers": [ENGINEER, "dev-risk"]}
    )
    involved = developer.post(path, json={"reason": "wrong model"})
    assert involved.status_code == 403 and involved.mimetype == "application/problem+json"
    assert "independent" in involved.json["detail"]
    missing = officer.post("/api/v1/evaluations/999999/supersede", json={"reason": "x"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"

    superseded = officer.post(path, json={"reason": "figures of the 0.9 model, not this one"})
    assert superseded.status_code == 200, superseded.json
    assert superseded.json["superseded_by"] == "olivia"
    assert superseded.json["superseded_reason"] == "figures of the 0.9 model, not this one"
    again = officer.post(path, json={"reason": "twice"})
    assert again.status_code == 409 and "already superseded by olivia" in again.json["detail"]

    history = {e["id"]: e for e in _evaluations(officer, registry.model_id)}
    assert history[evaluation_id]["superseded_at"] is not None
    with session_scope(engine) as session:
        events = session.exec(
            select(LedgerEvent)
            .where(LedgerEvent.action == "evaluation.superseded")
            .order_by(col(LedgerEvent.seq))
        ).all()
        assert [(e.actor, e.subject_id) for e in events] == [("olivia", str(evaluation_id))]
        assert events[0].occurred_at is not None

    allowed = _promote(pipeline, registry.deployment_id)
    assert allowed.status_code == 201, allowed.json
    assert "COMMON-RED-TEAM" not in {v["control"] for v in allowed.json["violations"]}
    assert allowed.json["approval_request"] is not None


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cli_supersedes_with_the_approvers_token(
    live_url: str, make_actor: Any, registry: Registry
) -> None:
    engineer = make_actor("ml_engineer", username=ENGINEER)
    officer = make_actor("compliance_officer", username="olivia")
    posted = engineer.post(f"/api/v1/models/{registry.model_id}/evaluations", json=RED_TEAM)
    evaluation_id = str(posted.json["id"])
    runner = CliRunner()

    def supersede(token: str) -> Any:
        return runner.invoke(
            cli,
            ["evaluation", "supersede", evaluation_id, "--reason", "posted twice"],
            env={"GATEHOUSE_URL": live_url, "GATEHOUSE_TOKEN": token},
            catch_exceptions=False,
        )

    refused = supersede(engineer.token)
    assert refused.exit_code == EXIT_DENIED
    assert refused.output.count("\n") == 1 and refused.output.startswith("supersede refused: ")
    done = supersede(officer.token)
    assert done.exit_code == EXIT_DONE, done.output
    assert f"evaluation {evaluation_id} (red_team 'jailbreaks'" in done.output
    assert "superseded by olivia" in done.output
