"""Portal actions on runs and the links between records: register and submit a run,
ask the gate again, answer a denial; pages name what they link to."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.db import session_scope
from app.gates.answers import ANSWER_ACTION
from app.ledger import recent_events
from tests.foundation.helpers import make_lineage


def _denied_run(engineer: Any) -> tuple[dict[str, int], int]:
    """A run on PHI that the training_launch gate denies; its ids and the decision id."""
    ids = make_lineage(engineer)
    answer = engineer.post(f"/api/v1/runs/{ids['run']}/submit").get_json()
    assert answer["decision"]["allow"] is False, answer
    return ids, answer["decision"]["id"]


def test_run_page_shows_the_denial_its_controls_and_the_records_around_it(
    login: Any, make_actor: Any
) -> None:
    engineer = make_actor("ml_engineer")
    ids, decision_id = _denied_run(engineer)
    officer, _ = login("compliance_officer")
    page = officer.get(f"/runs/{ids['run']}").get_data(as_text=True)
    assert "denied this run" in page
    assert f'href="/decisions/{decision_id}#control-' in page
    assert "Remediation:" in page
    assert f'href="/models/{ids["model"]}">notes-assistant 1.0</a>' in page
    assert f'href="/datasets/{ids["dataset"]}#version-{ids["version"]}">notes v1</a>' in page
    assert "Ask the gate again" in page  # officers may ask the gate
    assert "Submit again to the gate" not in page  # only the run's people submit it
    decision_page = officer.get(f"/decisions/{decision_id}").get_data(as_text=True)
    assert f'href="/runs/{ids["run"]}">run notes-sft</a>' in decision_page
    dashboard = officer.get("/").get_data(as_text=True)
    assert "run notes-sft</a>" in dashboard
    assert "run notes-sft</a>" in officer.get("/decisions").get_data(as_text=True)
    model_page = officer.get(f"/models/{ids['model']}").get_data(as_text=True)
    assert f'href="/runs/{ids["run"]}">run notes-sft</a>' in model_page
    assert f'href="/deployments/{ids["deployment"]}/monitoring">deployment' in model_page
    deployments = officer.get("/deployments").get_data(as_text=True)
    assert f'href="/models/{ids["model"]}">notes-assistant 1.0</a>' in deployments


def test_asking_the_gate_again_stores_a_decision_and_leaves_the_run_as_it_is(
    app: Flask, engine: Any, login: Any, make_actor: Any
) -> None:
    engineer = make_actor("ml_engineer")
    ids, decision_id = _denied_run(engineer)
    officer, actor = login("compliance_officer")
    response = officer.post(f"/runs/{ids['run']}/gate")
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_id > decision_id
    assert engineer.get(f"/api/v1/runs/{ids['run']}").get_json()["state"] == "draft"
    with session_scope(engine) as session:
        latest = recent_events(session=session, limit=1)[0]
    assert (latest.action, latest.actor) == ("gate.denied", actor.username)


def test_an_engineer_registers_a_run_submits_it_and_answers_the_denial(
    app: Flask, engine: Any, login: Any, make_actor: Any
) -> None:
    ids = make_lineage(make_actor("ml_engineer"))
    portal, engineer = login("ml_engineer")
    form = portal.get("/runs/new").get_data(as_text=True)
    assert "notes v1 (openai_chat)" in form
    created = portal.post(
        "/runs/new",
        data={
            "name": "notes-sft-2",
            "base_model": "gpt-4.1-mini",
            "platform": "openai",
            "method": "sft",
            "hosting": "external",
            "dataset_versions": [str(ids["version"])],
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    run_id = int(created.headers["Location"].rsplit("/", 1)[1])
    run = engineer.get(f"/api/v1/runs/{run_id}").get_json()
    assert (run["requester"], run["dataset_version_ids"]) == (engineer.username, [ids["version"]])
    submitted = portal.post(f"/runs/{run_id}/submit", follow_redirects=True)
    assert "the training_launch gate denied the run" in submitted.get_data(as_text=True)
    decision = engineer.get(f"/api/v1/decisions?subject_id={run_id}&gate=training_launch")
    decision_id = decision.get_json()["items"][-1]["id"]
    answered = portal.post(
        f"/decisions/{decision_id}/answers",
        data={"text": "Wrong dataset attached; a de-identified version follows."},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "answer recorded in the ledger" in answered
    assert "Wrong dataset attached; a de-identified version follows." in answered
    with session_scope(engine) as session:
        latest = recent_events(session=session, limit=1)[0]
    assert (latest.action, latest.actor, latest.subject_id) == (
        ANSWER_ACTION,
        engineer.username,
        str(decision_id),
    )


def test_only_the_runs_people_answer_its_denial_and_never_with_nothing(
    login: Any, make_actor: Any
) -> None:
    owner = make_actor("ml_engineer")
    ids, decision_id = _denied_run(owner)
    stranger, _ = login("ml_engineer")
    refused = stranger.post(
        f"/decisions/{decision_id}/answers", data={"text": "not mine"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "answer not recorded" in refused and "may not change run" in refused
    assert "not mine" not in refused.split("Answers to this denial")[1]
    empty = stranger.post(
        f"/decisions/{decision_id}/answers", data={"text": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "This field is required" in empty
    auditor, _ = login("auditor")
    assert auditor.post(f"/decisions/{decision_id}/answers", data={"text": "x"}).status_code == 403
    assert auditor.post(f"/runs/{ids['run']}/submit").status_code == 403
    assert auditor.post(f"/runs/{ids['run']}/gate").status_code == 403
