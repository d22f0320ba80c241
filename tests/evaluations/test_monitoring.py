"""Monitoring batches: drift against the audit baseline (PSI and KS, checked against
independent computations), review and suspension decided by the policy, incidents."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from scipy.stats import ks_2samp
from sqlmodel import col, select

from app.approvals.webhook_targets import WebhookTargets
from app.approvals.webhooks import create_subscription
from app.db import session_scope
from app.evaluations import monitoring
from app.evaluations.schemas import BaselineCreate, IncidentCreate, MonitoringBatchCreate
from app.models.deployments import Deployment
from app.models.ledger import LedgerEvent
from app.models.webhooks import WebhookDelivery
from app.policy.engine import PolicyEngine
from app.registry.records import transition_record
from app.registry.state_machines import APPROVAL_WORKFLOW, DEPLOYMENT_MACHINE, PROMOTION_WORKFLOW
from tests.approvals.conftest import Registry

RNG_SEED = 20261130


def independent_psi(baseline: np.ndarray, current: np.ndarray) -> float:
    """PSI written out by hand: decile bins of the baseline, shares floored at 1e-4."""
    edges = sorted(set(float(np.quantile(baseline, q / 10)) for q in range(1, 10)))

    def shares(values: np.ndarray) -> list[float]:
        counts = [0] * (len(edges) + 1)
        for value in values:
            position = 0
            while position < len(edges) and value >= edges[position]:
                position += 1
            counts[position] += 1
        return [max(count / len(values), 1e-4) for count in counts]

    return sum(
        (a - e) * math.log(a / e) for a, e in zip(shares(current), shares(baseline), strict=True)
    )


def _batch(scores: np.ndarray, groups: list[str]) -> MonitoringBatchCreate:
    return MonitoringBatchCreate(
        period_start=datetime(2026, 11, 29, tzinfo=UTC),
        period_end=datetime(2026, 11, 30, tzinfo=UTC),
        volume=len(scores),
        error_rate=0.004,
        latency_p50_ms=310,
        latency_p95_ms=880,
        latency_p99_ms=1400,
        feedback_positive=41,
        feedback_negative=3,
        scores=[float(s) for s in scores],
        groups=groups,
    )


@pytest.fixture
def production(engine: sa.Engine, registry: Registry) -> Registry:
    """The registry's deployment in production, with a webhook subscriber."""
    with session_scope(engine) as session:
        transition_record(
            session=session,
            machine=DEPLOYMENT_MACHINE,
            record_id=registry.deployment_id,
            to="promotion_requested",
            actor="rita",
            workflow=PROMOTION_WORKFLOW,
        )
        transition_record(
            session=session,
            machine=DEPLOYMENT_MACHINE,
            record_id=registry.deployment_id,
            to="production",
            actor="rita",
            workflow=APPROVAL_WORKFLOW,
        )
        create_subscription(
            session=session,
            url="http://127.0.0.1:9/hook",
            events=["deployment.needs_review", "deployment.suspended"],
            actor="admin",
            # Never answered: the events are queued (what these tests check), and sending
            # them, outside any application that allows loopback, is refused unsent.
            targets=WebhookTargets((ip_network("127.0.0.0/8"),)),
        )
    return registry


def _receive(
    engine: sa.Engine, policy_engine: PolicyEngine, deployment_id: int, batch: MonitoringBatchCreate
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    with session_scope(engine) as session:
        stored, verdict = monitoring.receive_batch(
            session=session,
            engine=policy_engine,
            deployment_id=deployment_id,
            data=batch,
            actor="serving-bot",
        )
        return stored.drift, verdict


def test_known_shift_is_detected_and_marks_for_review_an_unshifted_batch_does_not(
    engine: sa.Engine, policy_engine: PolicyEngine, production: Registry
) -> None:
    rng = np.random.default_rng(RNG_SEED)
    baseline = np.clip(rng.normal(0.5, 0.1, 2000), 0, 1)
    baseline_groups = ["A", "B"] * 1000
    with session_scope(engine) as session:
        monitoring.record_baseline(
            session=session,
            deployment_id=production.deployment_id,
            data=BaselineCreate(
                scores=list(baseline), groups=baseline_groups, source="audit_run:1"
            ),
            actor="marcus",
        )
    groups = ["A", "B"] * 500

    steady = np.clip(rng.normal(0.5, 0.1, 1000), 0, 1)
    drift, verdict = _receive(
        engine, policy_engine, production.deployment_id, _batch(steady, groups)
    )
    overall = drift[0]
    assert overall["group"] is None
    assert overall["psi"] == pytest.approx(independent_psi(baseline, steady), abs=1e-12)
    reference = ks_2samp(baseline, steady, method="asymp")
    assert overall["ks_statistic"] == pytest.approx(reference.statistic, abs=1e-12)
    assert overall["ks_p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert overall["psi"] < 0.2 and overall["ks_p_value"] > 0.01
    assert [figures["group"] for figures in drift] == [None, "A", "B"]
    assert verdict["controls"] == {"COMMON-MONITORING": "pass", "COMMON-MONITORING-SUSPEND": "pass"}
    assert verdict["needs_review"] is False

    # Group B's scores move up by half a standard deviation; group A's do not.
    shifted = np.clip(rng.normal(0.5, 0.1, 1000), 0, 1) + np.where(
        np.array(groups) == "B", 0.05, 0.0
    )
    drift, verdict = _receive(
        engine, policy_engine, production.deployment_id, _batch(shifted, groups)
    )
    by_group = {figures["group"]: figures for figures in drift}
    part_base = baseline[np.array(baseline_groups) == "B"]
    part = shifted[np.array(groups) == "B"]
    assert by_group["B"]["psi"] == pytest.approx(independent_psi(part_base, part), abs=1e-12)
    reference = ks_2samp(part_base, part, method="asymp")
    assert by_group["B"]["ks_statistic"] == pytest.approx(reference.statistic, abs=1e-12)
    assert by_group["B"]["ks_p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert by_group["B"]["psi"] > 0.2 and by_group["B"]["ks_p_value"] < 0.01
    assert by_group["A"]["psi"] < 0.2
    assert verdict["controls"] == {"COMMON-MONITORING": "fail", "COMMON-MONITORING-SUSPEND": "pass"}
    assert any(m.startswith("score drift (B)") for m in verdict["messages"])
    with session_scope(engine) as session:
        deployment = session.get(Deployment, production.deployment_id)
        assert (
            deployment is not None and deployment.needs_review and deployment.state == "production"
        )
        events = {d.event for d in session.exec(select(WebhookDelivery)).all()}
        assert events == {"deployment.needs_review"}


def test_critical_incident_suspends_production_through_the_policy(
    engine: sa.Engine, policy_engine: PolicyEngine, production: Registry
) -> None:
    with session_scope(engine) as session:
        incident, verdict = monitoring.open_incident(
            session=session,
            engine=policy_engine,
            deployment_id=production.deployment_id,
            data=IncidentCreate(
                severity="critical", title="Leaked a patient's address in a summary"
            ),
            actor="olivia",
        )
        incident_id = incident.id or 0
    assert verdict["suspended"] is True and verdict["state"] == "suspended"
    assert verdict["messages"] == [
        f"open critical incident incident-{incident_id}",
        f"open critical incident incident-{incident_id} suspends production use",
    ]
    with session_scope(engine) as session:
        actions = [
            (e.action, e.actor)
            for e in session.exec(
                select(LedgerEvent)
                .where(col(LedgerEvent.subject_type).in_(("deployment", "incident")))
                .where(col(LedgerEvent.action).not_in(("deployment.created",)))
                .order_by(col(LedgerEvent.seq))
            ).all()
        ]
        assert actions[-5:] == [
            ("incident.opened", "olivia"),
            ("gate.denied", "olivia"),
            ("deployment.needs_review", "olivia"),
            ("deployment.suspended", "olivia"),
            ("deployment.monitoring_reviewed", "olivia"),
        ]
        assert {d.event for d in session.exec(select(WebhookDelivery)).all()} == {
            "deployment.needs_review",
            "deployment.suspended",
        }
        resolved = monitoring.resolve_incident(
            session=session, incident_id=incident_id, resolution="Filter fixed", actor="olivia"
        )
        assert resolved.status == "resolved" and resolved.resolved_by == "olivia"


def test_batch_input_is_checked(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="groups has 1 labels for 2 scores"):
        BaselineCreate(scores=[0.1, 0.2], groups=["A"], source="x")
    with pytest.raises(ValueError, match="p50 <= p95 <= p99"):
        MonitoringBatchCreate(
            period_start=datetime(2026, 11, 29, tzinfo=UTC),
            period_end=datetime(2026, 11, 30, tzinfo=UTC),
            volume=1,
            error_rate=0.0,
            latency_p50_ms=900,
            latency_p95_ms=800,
            latency_p99_ms=1000,
        )
