"""OSCAL assessment results from the demo's decisions: schema-valid, controls from the
catalogue, and each finding's state the outcome its control reported to the gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from trestle.oscal.assessment_results import AssessmentResults

from app.db import session_scope
from app.evidence.oscal import (
    OSCAL_VERSION,
    Assessor,
    decisions_in,
    latest_decisions_in,
    period_results,
    promotion_results,
)
from app.evidence.oscal_schema import schema_errors
from app.models.governance import PolicyDecision
from app.models.vocabulary import GateName
from app.policy.catalogue import Control, load_catalogue
from tests.reports_registry.conftest import PERIOD, World

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def catalogue(world: World) -> dict[str, Control]:
    return {c.id: c for c in load_catalogue(policy_dir=world.settings.policy_dir)}


@pytest.fixture
def assessor(catalogue: dict[str, Control]) -> Assessor:
    return Assessor(catalogue=catalogue, organisation="Demo", generated_at=NOW)


def _findings(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (result,) = document["assessment-results"]["results"]
    return {finding["target"]["target-id"]: finding for finding in result["findings"]}


def _props(item: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for prop in item.get("props", []):
        found.setdefault(prop["name"], []).append(prop["value"])
    return found


def _promotions(world: World) -> list[PolicyDecision]:
    with session_scope(world.engine) as session:
        return decisions_in(session=session, period=PERIOD, gate=GateName.PRODUCTION_PROMOTION)


def test_each_promotion_decision_is_valid_oscal_with_the_controls_outcomes(
    world: World, catalogue: dict[str, Control], assessor: Assessor
) -> None:
    decisions = _promotions(world)
    assert decisions, "the demo makes production promotion decisions"
    for decision in decisions:
        document = promotion_results(decision=decision, assessor=assessor)
        assert schema_errors(document) == []
        # The model library reads it back (round trip through compliance-trestle).
        parsed = AssessmentResults.parse_obj(document["assessment-results"])
        assert parsed.metadata.oscal_version.__root__ == OSCAL_VERSION == "1.1.3"
        findings = _findings(document)
        reported = {
            outcome["control_id"]: outcome["status"]
            for outcome in decision.result.get("controls", [])
            if outcome["status"] != "not_applicable"
        }
        assert set(findings) >= set(reported)
        assert set(findings) <= set(catalogue) | {v["control"] for v in decision.violations}
        for control_id, status in reported.items():
            state = findings[control_id]["target"]["status"]["state"]
            assert state == ("satisfied" if status == "pass" else "not-satisfied")
            props = _props(findings[control_id])
            control = catalogue[control_id]
            assert props["citation"] == [control.citation]
            for framework, references in control.frameworks.items():
                assert props.get(framework, []) == list(references)
        observation = document["assessment-results"]["results"][0]["observations"][0]
        assert _props(observation)["policy-bundle-sha256"] == [decision.bundle_sha256]
        assert _props(observation)["input-sha256"] == [decision.input_sha256]


def test_the_period_document_is_the_standing_at_its_end(world: World, assessor: Assessor) -> None:
    with session_scope(world.engine) as session:
        standing = latest_decisions_in(session=session, period=PERIOD)
        every = decisions_in(session=session, period=PERIOD)
    assert len({(d.gate, d.subject_type, d.subject_id) for d in every}) == len(standing)
    document = period_results(
        decisions=standing,
        period=PERIOD,
        assessor=assessor,
        policy_bundle_sha256="0" * 64,
    )
    assert schema_errors(document) == []
    observations = document["assessment-results"]["results"][0]["observations"]
    assert len(observations) == len(standing)
    failing = {
        outcome["control_id"]
        for decision in standing
        for outcome in decision.result.get("controls", [])
        if outcome["status"] == "fail"
    }
    findings = _findings(document)
    assert failing, "the demo has failing controls"
    for control_id in failing:
        assert findings[control_id]["target"]["status"]["state"] == "not-satisfied"
    # The same decisions export under the same UUIDs (stable identifiers per subject).
    again = period_results(
        decisions=standing,
        period=PERIOD,
        assessor=assessor,
        policy_bundle_sha256="0" * 64,
    )
    assert again == document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("metadata", "oscal-version"), None, '"oscal-version" is a required property'),
        (("uuid",), "not-a-uuid", "does not match"),
        (("import-ap",), {}, '"href" is a required property'),
    ],
)
def test_the_schema_names_what_is_wrong(
    world: World, assessor: Assessor, path: tuple[str, ...], value: Any, message: str
) -> None:
    document = promotion_results(decision=_promotions(world)[0], assessor=assessor)
    parent = document["assessment-results"]
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    errors = schema_errors(document)
    assert errors and any(message in error for error in errors), errors
