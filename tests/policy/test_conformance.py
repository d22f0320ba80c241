"""The two engines agree exactly: the Rego tests' inputs and 500+ generated documents.

Generated documents come from the ``GateInput`` models (so they are documents the
registry can actually build), drawn from small pools of values so that every control
meets both compliant and non-compliant data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.model_versions import MODEL_CARD_SECTIONS
from app.policy.decision import GATES
from app.policy.embedded import EmbeddedEngine
from app.policy.input_document import (
    ApprovalInput,
    AuditInput,
    BusinessAssociateAgreement,
    CardInput,
    DatasetInput,
    DeploymentInput,
    DriftInput,
    EvaluationInput,
    GateInput,
    IncidentInput,
    ModelInput,
    MonitoringInput,
    PhiField,
    RedTeamFinding,
    RunInput,
    Subject,
)
from app.policy.opa_server import OpaServerEngine

pytestmark = pytest.mark.opa

GENERATED_DOCUMENTS = 500
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PEOPLE = ["maya", "omar", "lena", "carla", "ivan"]
REGIONS = ["US", "DE", "FR", "IE", "JP", "GB", "IN", "BR", "EU"]
SECTIONS = list(MODEL_CARD_SECTIONS)
references = st.one_of(st.none(), st.just(""), st.sampled_from(["REF-1", "REF-2026-7"]))
names = st.text(alphabet="abcdefghij-_. \"'\\é", min_size=1, max_size=12)
moments = st.one_of(
    st.none(), st.integers(-800, 800).map(lambda days: NOW + timedelta(days=days, seconds=17))
)
ratios = st.integers(0, 1000).map(lambda thousandths: thousandths / 1000)


def unknown_or(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A fact as the registry sends it: recorded, or null when nobody recorded it."""
    return st.one_of(st.none(), values)


@st.composite
def datasets(draw: st.DrawFn) -> DatasetInput:
    return DatasetInput(
        id=draw(st.sampled_from(["ds-1", "ds-2", "ds-3"])),
        name=draw(names),
        version=draw(st.sampled_from(["1", "2", "10"])),
        contains_pii=draw(unknown_or(st.booleans())),
        contains_phi=draw(unknown_or(st.booleans())),
        special_category=draw(unknown_or(st.booleans())),
        data_subjects_regions=draw(unknown_or(st.lists(st.sampled_from(REGIONS), max_size=3))),
        deidentification_method=draw(
            st.sampled_from(["none", "safe_harbor", "expert_determination", "pseudonymised"])
        ),
        expert_determination_ref=draw(references),
        pii_findings_count=draw(unknown_or(st.integers(0, 3))),
        phi_fields=draw(
            st.lists(
                st.builds(PhiField, name=names, purpose=references),
                max_size=3,
            )
        ),
        lawful_basis=draw(st.sampled_from([None, "consent", "contract", "legitimate_interests"])),
        art9_condition=draw(st.sampled_from([None, "a", "h"])),
        dpia_ref=draw(references),
        consent_ref=draw(references),
        baa_refs=draw(
            st.lists(
                st.builds(
                    BusinessAssociateAgreement,
                    vendor=st.sampled_from(["openai", "anthropic", "google"]),
                    ref=st.sampled_from(["", "BAA-1"]),
                ),
                max_size=2,
            )
        ),
        residency_region=draw(st.one_of(st.none(), st.sampled_from(REGIONS))),
        transfer_mechanism=draw(st.sampled_from(["adequacy", "scc", "bcr", "none"])),
        transfer_ref=draw(references),
        retention_until=draw(moments),
        open_erasure_requests=draw(st.integers(0, 2)),
        encrypted_at_rest=draw(unknown_or(st.booleans())),
        controller=draw(references),
        purpose=draw(references),
        data_categories=draw(st.lists(st.sampled_from(["income", "health"]), max_size=2)),
        large_scale=draw(unknown_or(st.booleans())),
    )


@st.composite
def monitoring_inputs(draw: st.DrawFn) -> MonitoringInput:
    return MonitoringInput(
        baseline_recorded=draw(st.booleans()),
        latest_batch_at=draw(st.one_of(st.none(), st.just(NOW))),
        drift=draw(
            st.lists(
                st.builds(
                    DriftInput,
                    group=st.sampled_from([None, "A"]),
                    psi=ratios,
                    ks_statistic=ratios,
                    ks_p_value=ratios,
                    baseline_count=st.integers(0, 500),
                    current_count=st.integers(0, 500),
                ),
                max_size=2,
            )
        ),
        open_incidents=draw(
            st.lists(
                st.builds(
                    IncidentInput,
                    id=st.just("incident-1"),
                    severity=st.sampled_from(["critical", "high", "low"]),
                ),
                max_size=2,
            )
        ),
    )


@st.composite
def evaluations(draw: st.DrawFn) -> EvaluationInput:
    if draw(st.booleans()):
        return EvaluationInput(
            id=draw(st.sampled_from(["ev-1", "ev-2"])),
            kind="benchmark",
            metric=draw(st.sampled_from(["accuracy", "latency_p99_ms", "reasoning_step_validity"])),
            value=draw(st.one_of(st.none(), ratios, st.integers(0, 9000).map(float))),
            threshold=draw(st.one_of(st.none(), ratios)),
            higher_is_better=draw(st.booleans()),
            baseline=draw(st.one_of(st.none(), ratios)),
            measured_at=draw(
                st.one_of(
                    st.none(), st.integers(0, 200).map(lambda days: NOW - timedelta(days=days))
                )
            ),
        )
    if draw(st.integers(0, 3)) == 0:
        tested = draw(st.integers(0, 300))
        return EvaluationInput(
            id="mem-1",
            kind="memorisation",
            method=draw(st.sampled_from(["canary", "extraction"])),
            records_tested=tested,
            records_elicited=draw(st.integers(0, max(tested, 0))),
        )
    tried = draw(st.integers(0, 500))
    return EvaluationInput(
        id=draw(st.sampled_from(["rt-1", "rt-2"])),
        kind="red_team",
        attack_category=draw(st.sampled_from(["jailbreak", "prompt_injection", "data_leakage"])),
        prompts_tried=tried,
        failures=draw(st.integers(0, max(tried, 0))),
        open_findings=draw(
            st.lists(
                st.builds(
                    RedTeamFinding,
                    id=st.sampled_from(["f-1", "f-2"]),
                    severity=unknown_or(st.sampled_from(["critical", "high", "low"])),
                ),
                max_size=2,
            )
        ),
    )


@st.composite
def gate_inputs(draw: st.DrawFn) -> GateInput:
    run = draw(
        st.one_of(
            st.none(),
            st.builds(
                RunInput,
                id=st.just("run-1"),
                platform=st.sampled_from(["openai", "anthropic", "self_hosted"]),
                hosting=unknown_or(st.sampled_from(["external", "internal"])),
                vendor=st.sampled_from(["openai", "anthropic", "self"]),
                region=st.one_of(st.none(), st.sampled_from(REGIONS)),
                method=st.sampled_from(["sft", "dpo"]),
                requester=st.sampled_from(PEOPLE),
                authors=st.lists(st.sampled_from(PEOPLE), max_size=2),
            ),
        )
    )
    model = draw(
        st.one_of(
            st.none(),
            st.builds(
                ModelInput,
                id=st.just("mv-1"),
                name=names,
                version=st.just("1"),
                domain=unknown_or(
                    st.sampled_from(["healthcare", "credit", "financial_risk", "general"])
                ),
                risk_tier=st.sampled_from([None, "high", "medium", "low"]),
                decision_type=st.sampled_from([None, "credit_decision", "risk_score"]),
                automated_decision_legal_effect=unknown_or(st.booleans()),
                human_review=unknown_or(st.booleans()),
                developers=st.lists(st.sampled_from(PEOPLE), max_size=2),
                validator=st.one_of(st.none(), st.sampled_from(PEOPLE)),
                monitoring_enabled=unknown_or(st.booleans()),
            ),
        )
    )
    card = draw(
        st.one_of(
            st.none(),
            st.builds(
                CardInput,
                sections=st.dictionaries(
                    st.sampled_from(SECTIONS), st.sampled_from(["", "text"]), max_size=10
                ),
                missing=st.lists(st.sampled_from(SECTIONS), max_size=2),
            ),
        )
    )
    audits = draw(
        st.lists(
            st.builds(
                AuditInput,
                id=st.sampled_from(["au-1", "au-2", "au-3"]),
                kind=st.sampled_from(["fairness", "explainability"]),
                finished_at=moments,
                adverse_impact_ratio=st.one_of(st.none(), ratios),
                equalized_odds_difference=st.one_of(st.none(), ratios),
                principal_reasons_available=st.one_of(st.none(), st.booleans()),
            ),
            max_size=3,
        )
    )
    approvals = draw(
        st.lists(
            st.builds(
                ApprovalInput,
                role=st.sampled_from(["compliance_officer", "model_risk", "ml_engineer"]),
                user=st.sampled_from(PEOPLE),
                decision=st.sampled_from(["approve", "approve", "reject"]),
            ),
            max_size=3,
        )
    )
    deployment = draw(
        st.one_of(
            st.none(),
            st.builds(
                DeploymentInput,
                id=st.just("dep-1"),
                environment=st.sampled_from(["staging", "production"]),
                access_logging=st.booleans(),
                monitoring=st.booleans(),
            ),
        )
    )
    return GateInput(
        gate=draw(st.sampled_from(GATES)),
        subject=Subject(kind="run", id="run-1"),
        datasets=draw(st.lists(datasets(), max_size=3)),
        run=run,
        model=model,
        card=card,
        evaluations=draw(st.lists(evaluations(), max_size=3)),
        audits=audits,
        approvals=approvals,
        deployment=deployment,
        monitoring=draw(st.one_of(st.none(), monitoring_inputs())),
        now=NOW,
    )


def _assert_same(
    gate: str,
    document: dict[str, Any],
    embedded_engine: EmbeddedEngine,
    opa_engine: OpaServerEngine,
) -> None:
    embedded = embedded_engine.decide(gate, document)
    served = opa_engine.decide(gate, document)
    assert embedded.error is None, embedded.error
    assert served.error is None, served.error
    assert embedded.result() == served.result(), (gate, document)
    assert embedded.bundle_hash == served.bundle_hash


def test_engines_agree_on_the_rego_test_inputs(
    rego_test_inputs: dict[str, dict[str, Any]],
    embedded_engine: EmbeddedEngine,
    opa_engine: OpaServerEngine,
) -> None:
    assert len(rego_test_inputs) >= 60
    for document in rego_test_inputs.values():
        for gate in GATES:
            _assert_same(gate, document, embedded_engine, opa_engine)


@pytest.mark.slow
def test_engines_agree_on_generated_documents(
    embedded_engine: EmbeddedEngine, opa_engine: OpaServerEngine
) -> None:
    compared: list[bool] = []

    @settings(
        max_examples=GENERATED_DOCUMENTS,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(gate_inputs())
    def agree(gate_input: GateInput) -> None:
        document = gate_input.document()
        _assert_same(gate_input.gate, document, embedded_engine, opa_engine)
        compared.append(embedded_engine.decide(gate_input.gate, document).allow)

    agree()
    assert len(compared) >= GENERATED_DOCUMENTS
    # The corpus is only worth something if it holds both answers.
    assert any(compared) and not all(compared)
