"""Gate decisions on the registry: HIPAA and GDPR outcomes, decision log, fail closed."""

from __future__ import annotations

from typing import Any

from app.cli import cli
from app.db import session_scope
from app.models.datasets import DatasetVersion


def _controls(decision: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["control_id"]: c for c in decision["result"]["controls"]}


def test_raw_phi_is_denied_with_the_hipaa_control_and_citation(
    seeded: Any, make_actor: Any
) -> None:
    bot = make_actor("pipeline")
    response = bot.post(
        "/api/v1/gates/training_launch", json={"subject_id": seeded.ids["notes-o4-mini-sft"]}
    )
    assert response.status_code == 200
    decision = response.get_json()
    assert decision["allow"] is False
    violation = next(v for v in decision["violations"] if v["control"] == "HIPAA-164.514")
    assert violation["citation"] == "45 CFR 164.514(a)-(b)" and violation["regulation"] == "HIPAA"
    assert _controls(decision)["HIPAA-164.514"]["status"] == "fail"


def test_deidentified_version_passes_the_deidentification_control(
    seeded: Any, make_actor: Any
) -> None:
    bot = make_actor("pipeline")
    decision = bot.post(
        "/api/v1/gates/training_launch", json={"subject_id": seeded.ids["notes-claude-sft"]}
    ).get_json()
    assert _controls(decision)["HIPAA-164.514"]["status"] == "pass"
    # Only the sign-off is missing: the policy requires it before any run is approved.
    assert decision["allow"] is False
    assert {v["control"] for v in decision["violations"]} == {"COMMON-APPROVALS"}
    assert {"role": "compliance_officer", "count": 1} in decision["result"]["required_approvals"]


def test_scan_found_identifiers_in_the_raw_notes_only(seeded: Any, engine: Any) -> None:
    with session_scope(engine) as session:
        raw = session.get(DatasetVersion, seeded.ids["notes_raw"])
        clean = session.get(DatasetVersion, seeded.ids["notes_deid"])
        assert raw.contains_phi and raw.classification_source == "scan"
        assert raw.pii_findings["total"] > 0 and "EMAIL_ADDRESS" not in raw.pii_findings["counts"]
        assert clean.pii_findings["total"] == 0
        assert "Maria" not in str(raw.pii_findings) and "(617)" not in str(raw.pii_findings)


def test_gdpr_special_category_without_art9_condition_is_denied(
    seeded: Any, make_actor: Any
) -> None:
    bot = make_actor("pipeline")
    decision = bot.post(
        "/api/v1/gates/training_launch", json={"subject_id": seeded.ids["triage-gemini-sft"]}
    ).get_json()
    assert decision["allow"] is False
    assert "GDPR-9.2" in {v["control"] for v in decision["violations"]}
    assert _controls(decision)["GDPR-9.2"]["status"] == "fail"


def test_every_decision_is_stored_and_ledgered(seeded: Any, make_actor: Any) -> None:
    bot = make_actor("pipeline")
    first = bot.post(
        "/api/v1/gates/training_launch", json={"subject_id": seeded.ids["notes-o4-mini-sft"]}
    ).get_json()
    allowed = bot.post(
        "/api/v1/gates/dataset_use",
        json={"subject_id": seeded.ids["notes_deid"], "run_id": seeded.ids["notes-claude-sft"]},
    )
    assert allowed.get_json()["allow"] is True
    auditor = make_actor("auditor")
    denied = auditor.get("/api/v1/decisions", query_string={"allow": "false"}).get_json()["items"]
    assert [d["id"] for d in denied] == [first["id"]]
    stored = auditor.get(f"/api/v1/decisions/{first['id']}").get_json()
    assert stored["input_sha256"] and stored["bundle_sha256"] and stored["engine"] == "embedded"
    events = auditor.get(
        "/api/v1/ledger/events", query_string={"action": "gate.denied"}
    ).get_json()["items"]
    assert events[-1]["payload"]["decision_id"] == first["id"]
    assert "HIPAA-164.514" in events[-1]["payload"]["controls_violated"]


def test_unknown_subject_and_gate_are_client_errors(seeded: Any, make_actor: Any) -> None:
    bot = make_actor("pipeline")
    assert bot.post("/api/v1/gates/training_launch", json={"subject_id": 9999}).status_code == 404
    assert bot.post("/api/v1/gates/launch_rockets", json={"subject_id": 1}).status_code == 404
    assert bot.post("/api/v1/gates/training_launch", json={"subject": 1}).status_code == 422


def test_cli_gate_check_exit_codes(app: Any, seeded: Any) -> None:
    runner = app.test_cli_runner()
    denied = runner.invoke(
        cli, ["gate", "check", "training_launch", "--subject", str(seeded.ids["notes-o4-mini-sft"])]
    )
    assert denied.exit_code == 1
    assert "DENY" in denied.output and "[HIPAA-164.514] 45 CFR 164.514(a)-(b)" in denied.output
    allowed = runner.invoke(
        cli,
        [
            "gate",
            "check",
            "dataset_use",
            "--subject",
            str(seeded.ids["notes_deid"]),
            "--run",
            str(seeded.ids["notes-claude-sft"]),
        ],
    )
    assert allowed.exit_code == 0 and "ALLOW" in allowed.output


def test_engine_failure_denies_and_cli_exits_3(settings: Any, seeded: Any) -> None:
    from app import create_app

    unreachable = create_app(
        settings.with_overrides(
            policy_engine="opa", opa_url="http://127.0.0.1:9", policy_timeout_s=1.0
        )
    )
    result = unreachable.test_cli_runner().invoke(
        cli, ["gate", "check", "training_launch", "--subject", str(seeded.ids["notes-claude-sft"])]
    )
    assert result.exit_code == 3, result.output
    assert result.output.startswith("could not ask: training_launch for run ")
    assert "is indeterminate, the policy engine gave no answer (OpaServerError" in result.output


def test_portal_shows_decisions_with_controls_and_citations(
    seeded: Any, make_actor: Any, login: Any
) -> None:
    bot = make_actor("pipeline")
    decision = bot.post(
        "/api/v1/gates/training_launch", json={"subject_id": seeded.ids["notes-o4-mini-sft"]}
    ).get_json()
    portal, _ = login("auditor")
    listing = portal.get("/decisions").get_data(as_text=True)
    assert "HIPAA-164.514" in listing and "<svg" in listing
    page = portal.get(f"/decisions/{decision['id']}").get_data(as_text=True)
    assert "45 CFR 164.514(a)-(b)" in page and "PHI is de-identified before training" in page
    assert "De-identify the dataset by Safe Harbor" in page


def test_opa_server_killed_mid_run_denies_every_later_call(
    settings: Any, seeded: Any, make_actor: Any
) -> None:
    from app import create_app
    from app.policy.opa_checks import find_opa_binary
    from app.policy.opa_process import start_opa_server

    binary = find_opa_binary()
    assert binary is not None, "the OPA binary is required (scripts/test builds it)"
    opa = start_opa_server(binary, token="gatehouse-test-token")
    try:
        served = create_app(
            settings.with_overrides(
                policy_engine="opa",
                opa_url=opa.url,
                opa_token="gatehouse-test-token",
                policy_timeout_s=5.0,
            )
        )
        bot = make_actor("pipeline")
        bot.client = served.test_client()
        outcomes = []
        for call in range(100):
            if call == 40:
                opa.kill()
            response = bot.post(
                "/api/v1/gates/dataset_use",
                json={
                    "subject_id": seeded.ids["notes_deid"],
                    "run_id": seeded.ids["notes-claude-sft"],
                },
            )
            assert response.status_code == 200, response.get_data(as_text=True)
            outcomes.append(response.get_json())
    finally:
        if opa.process.poll() is None:
            opa.kill()
    assert all(o["allow"] for o in outcomes[:40])
    assert all(o["outcome"] in ("allowed", "denied") for o in outcomes[:40])
    for decision in outcomes[40:]:
        assert decision["allow"] is False and decision["engine"] == "opa"
        assert decision["outcome"] == "indeterminate"
        assert decision["error"] and decision["violations"][0]["control"] == "GATEHOUSE-ENGINE"


def test_database_outage_denies_with_503_and_cli_exits_3(settings: Any, make_actor: Any) -> None:
    from app import create_app

    bot = make_actor("pipeline")
    down = create_app(
        settings.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    bot.client = down.test_client()
    response = bot.post("/api/v1/gates/training_launch", json={"subject_id": 1})
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.json["outcome"] == "indeterminate" and response.json["allow"] is False
    body = response.get_json()
    assert body["allow"] is False and "no gate allows" in body["detail"]
    result = down.test_cli_runner().invoke(
        cli, ["gate", "check", "training_launch", "--subject", "1"]
    )
    assert result.exit_code == 3 and "database unavailable" in result.output
