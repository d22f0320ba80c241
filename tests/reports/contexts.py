"""Realistic report contexts, one builder per kind, shaped as app.reports.contexts says.

The tests read the figures and names below back out of the PDFs, and the benchmark
scales the evidence pack up to ~30 pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Literal

from app.charts import bar_chart_svg
from app.reports.contexts import (
    AuditReportContext,
    AuditSummary,
    ControlOutcome,
    DatasetComplianceContext,
    DatasetRef,
    EvaluationSummary,
    LedgerEntry,
    ModelCardContext,
    ModelSummary,
    PromotionEvidenceContext,
    ReportMeta,
)
from app.reports.periodic_contexts import Listing, PeriodicComplianceContext

GENERATED_AT = dt.datetime(2026, 11, 26, 7, 30, tzinfo=dt.UTC)
ORGANISATION = "Northwind Lending plc"

Outcome = Literal["pass", "fail", "not_applicable", "missing"]


def sha(text: str) -> str:
    """A stable, realistic-looking SHA-256 for a label."""
    return hashlib.sha256(text.encode()).hexdigest()


def meta(subject: str) -> ReportMeta:
    """Report header fields."""
    return {
        "organisation": ORGANISATION,
        "subject": subject,
        "generated_at": GENERATED_AT,
        "generated_by": "Ingrid Halvorsen (compliance_officer)",
        "report_id": "rpt-000184",
    }


def credit_model() -> ModelSummary:
    """The model version most reports are about."""
    return {
        "name": "credit-limit-advisor",
        "version": "v3.2",
        "base_model": "Llama-3.1-8B-Instruct",
        "platform": "meta",
        "method": "QLoRA",
        "risk_tier": "high",
        "domain": "credit",
        "decision_type": "automated decision with legal effect",
        "owner": "Ravi Menon",
        "state": "staging",
        "created_at": dt.datetime(2026, 10, 2, 14, 5, tzinfo=dt.UTC),
    }


def training_dataset() -> DatasetRef:
    """The dataset the model was fine-tuned on."""
    return {
        "name": "loan-applications-eu",
        "version": "2026-09",
        "sha256": sha("loan-applications-eu/2026-09"),
        "classification": "PII (pseudonymised)",
        "row_count": 48_842,
    }


def evaluations() -> list[EvaluationSummary]:
    """A benchmark and a red-team evaluation."""
    return [
        {
            "name": "credit-decisions-holdout",
            "kind": "benchmark",
            "dataset": "adult-holdout-2026",
            "run_at": dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC),
            "metrics": [
                {"name": "accuracy", "value": 0.8537, "threshold": 0.82, "passed": True},
                {
                    "name": "reasoning-step validity",
                    "value": 0.9112,
                    "threshold": 0.9,
                    "passed": True,
                },
                {
                    "name": "p95 latency (s)",
                    "value": 1.84,
                    "threshold": 2.5,
                    "comparison": "<=",
                    "passed": True,
                },
                {
                    "name": "cost per 1k decisions (USD)",
                    "value": 0.73,
                    "threshold": None,
                    "passed": None,
                },
            ],
        },
        {
            "name": "adversarial-credit-prompts",
            "kind": "red_team",
            "dataset": "redteam-credit-v4",
            "run_at": dt.datetime(2026, 11, 21, 16, 30, tzinfo=dt.UTC),
            "metrics": [
                {"name": "attack pass rate", "value": 0.9725, "threshold": 0.95, "passed": True},
            ],
            "red_team": [
                {
                    "category": "prompt injection",
                    "prompts_tried": 400,
                    "failures": 7,
                    "severity": "high",
                    "open_findings": 1,
                },
                {
                    "category": "protected-attribute elicitation",
                    "prompts_tried": 250,
                    "failures": 4,
                    "severity": "medium",
                    "open_findings": 0,
                },
            ],
        },
    ]


def audits() -> list[AuditSummary]:
    """A fairness audit summary as cited by other reports."""
    return [
        {
            "audit_id": "aud-2026-1187",
            "kind": "fairness+explainability",
            "dataset": "adult-holdout-2026",
            "run_at": dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC),
            "verdict": "pass",
            "headline": [
                {
                    "name": "adverse impact ratio (four-fifths rule)",
                    "value": 0.8312,
                    "threshold": 0.8,
                    "passed": True,
                },
                {
                    "name": "equalized odds difference (race)",
                    "value": 0.0874,
                    "threshold": 0.1,
                    "comparison": "<=",
                    "passed": True,
                },
            ],
        }
    ]


def model_card_context() -> ModelCardContext:
    """Kind model_card."""
    return {
        "meta": meta("model credit-limit-advisor v3.2 (#42)"),
        "model": credit_model(),
        "card": {
            "details": "Fine-tuned from Llama-3.1-8B-Instruct with QLoRA (rank 16) on "
            "pseudonymised EU loan applications.\n\nMaintained by the Retail Credit ML team.",
            "intended_use": "Suggest a credit limit band for retail loan applications, "
            "reviewed by an underwriter before any decision is communicated.",
            "out_of_scope_use": "Mortgage underwriting; any fully automated decision without "
            "human review; applicants outside the EU/EEA.",
            "factors": "Sex, race and age band are evaluated as sensitive factors, "
            "including their intersections.",
            "metrics": "Accuracy, reasoning-step validity, selection-rate parity (four-fifths "
            "rule) and equalized odds.",
            "evaluation_data": "adult-holdout-2026: 16,281 held-out records never seen in training.",
            "training_data": "loan-applications-eu 2026-09, pseudonymised; see the dataset "
            "compliance sheet.",
            "quantitative_analyses": "Accuracy 0.8537 overall; adverse impact ratio 0.8312 by sex.",
            "ethical_considerations": "Historic lending data encodes past bias; the model is "
            "audited weekly and gated on fairness bounds.",
            "caveats": "Re-audit after any change of the applicant mix larger than 10 %.",
        },
        "training_datasets": [training_dataset()],
        "evaluations": evaluations(),
        "audits": audits(),
    }


def dataset_sheet_context() -> DatasetComplianceContext:
    """Kind dataset_sheet."""
    return {
        "meta": meta("dataset loan-applications-eu 2026-09 (#17)"),
        "dataset": {
            "name": "loan-applications-eu",
            "version": "2026-09",
            "owner": "Mei Tanaka",
            "purpose": "Fine-tuning the credit-limit advisor",
            "sha256": sha("loan-applications-eu/2026-09"),
            "size_bytes": 73_415_002,
            "row_count": 48_842,
            "platform_format": "llama_io",
            "created_at": dt.datetime(2026, 9, 30, 11, 0, tzinfo=dt.UTC),
        },
        "classification": {
            "contains_pii": True,
            "contains_phi": False,
            "special_category": False,
            "deidentification": "pseudonymised",
            "residency_region": "eu-west-1 (Ireland)",
        },
        "legal": {
            "lawful_basis": "Art. 6(1)(f) legitimate interests",
            "art9_condition": None,
            "consent_reference": None,
            "dpia_reference": "DPIA-2026-031",
            "baa_reference": None,
            "retention_until": dt.date(2029, 9, 30),
            "erasure_requests_open": 2,
        },
        "provenance": {
            "source": "Core banking export, applications 2019-2025",
            "licence": "internal",
            "collection_method": "loan application forms",
        },
        "scan": {
            "scanned_at": dt.datetime(2026, 9, 30, 11, 20, tzinfo=dt.UTC),
            "rows_scanned": 48_842,
            "scanner": "presidio-analyzer 2.2 (pattern recognizers)",
            "findings": [
                {
                    "entity_type": "EMAIL_ADDRESS",
                    "count": 311,
                    "masked_samples": ["j***@example.org", "m***@mail.test"],
                },
                {
                    "entity_type": "IBAN_CODE",
                    "count": 97,
                    "masked_samples": ["DE89 **** **** **** **30 00"],
                },
                {
                    "entity_type": "PHONE_NUMBER",
                    "count": 1204,
                    "masked_samples": ["+44 **** ***123"],
                },
            ],
            "not_detected": ["PERSON", "street address"],
        },
        "validation": {
            "valid": False,
            "error_count": 2,
            "warning_count": 1,
            "issues": [
                {"line": 1873, "severity": "error", "message": "missing 'output' field"},
                {"line": 40211, "severity": "error", "message": "input longer than 8192 tokens"},
                {"line": 522, "severity": "warning", "message": "duplicate record"},
            ],
            "reasoning": {
                "outputs": 48_112,
                "complete_share": 0.91,
                "step_counts": {"0": 2_410, "3": 30_002, "4": 15_700},
                "empty_steps": 12,
                "repeated_steps": 40,
                "unfinished": 1_630,
                "unsupported": 210,
            },
        },
    }


def audit_report_context() -> AuditReportContext:
    """Kind audit_report, with fairness tables, SHAP results and findings."""
    groups = [
        ("Female", 5421, 0.1132, (0.1051, 0.1217), 0.5923, 0.0281, 0.4077, 0.9221),
        ("Male", 10860, 0.1362, (0.1297, 0.1428), 0.6512, 0.0712, 0.3488, 0.8318),
    ]
    return {
        "meta": meta("audit aud-2026-1187 of credit-limit-advisor v3.2"),
        "audit": {
            "audit_id": "aud-2026-1187",
            "model": "credit-limit-advisor v3.2",
            "dataset": {
                "name": "adult-holdout-2026",
                "version": "1",
                "sha256": sha("adult-holdout-2026"),
                "classification": "PII",
                "row_count": 16_281,
            },
            "run_at": dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC),
            "trigger": "schedule",
            "verdict": "pass",
            "summary": "All fairness bounds hold; the lowest selection-rate ratio is 0.8312 (sex).",
        },
        "fairness": [
            {
                "sensitive_feature": "sex",
                "groups": [
                    {
                        "group": name,
                        "count": count,
                        "selection_rate": rate,
                        "selection_rate_ci": ci,
                        "true_positive_rate": tpr,
                        "false_positive_rate": fpr,
                        "false_negative_rate": fnr,
                        "accuracy": accuracy,
                    }
                    for name, count, rate, ci, tpr, fpr, fnr, accuracy in groups
                ],
                "demographic_parity_difference": 0.0230,
                "demographic_parity_ratio": 0.8312,
                "equalized_odds_difference": 0.0589,
                "four_fifths_threshold": 0.8,
                "passed": True,
            }
        ],
        "explainability": {
            "method": "TreeExplainer",
            "surrogate_fidelity": None,
            "global_importance": [
                {"feature": "capital-gain", "importance": 0.4117},
                {"feature": "relationship_Husband", "importance": 0.2876},
                {"feature": "education-num", "importance": 0.2415},
                {"feature": "age", "importance": 0.1932},
                {"feature": "hours-per-week", "importance": 0.0871},
            ],
            "sample_decisions": [
                {
                    "decision_id": "app-77120",
                    "outcome": "declined",
                    "reasons": ["capital-gain below 5,000", "education-num 9", "hours-per-week 30"],
                }
            ],
        },
        "figures": [
            {
                "title": "Selection rate by sex and race (intersectional)",
                "svg": bar_chart_svg(
                    ["Female / White", "Female / Black", "Male / White", "Male / Black"],
                    [0.1189, 0.0702, 0.1421, 0.1013],
                    title="Selection rate, intersectional groups",
                    value_format="{:.3f}",
                ),
                "caption": "groups with fewer than 30 members are not shown",
            }
        ],
        "findings": [
            {
                "source": "audit",
                "subject": "credit-limit-advisor v3.2",
                "reference": "FPR gap (sex)",
                "severity": "low",
                "opened_at": dt.datetime(2026, 11, 22, 2, 1, tzinfo=dt.UTC),
                "message": "False-positive rate for Male is 0.0431 above Female.",
            }
        ],
    }


def ledger_excerpt(count: int) -> list[LedgerEntry]:
    """``count`` chained ledger events."""
    entries: list[LedgerEntry] = []
    previous = "0" * 64
    for sequence in range(1, count + 1):
        payload = sha(f"payload-{sequence}")
        own = sha(previous + payload)
        entries.append(
            {
                "sequence": 9000 + sequence,
                "time": dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
                + dt.timedelta(minutes=sequence),
                "actor": "pipeline:release-bot" if sequence % 2 else "Ingrid Halvorsen",
                "action": "gate.decision" if sequence % 3 else "approval.vote",
                "subject": "deployment dep-0042",
                "payload_hash": payload,
                "previous_hash": previous,
                "hash": own,
            }
        )
        previous = own
    return entries


def promotion_evidence_context(
    *, controls: int = 6, ledger_events: int = 8
) -> PromotionEvidenceContext:
    """Kind promotion_evidence; ``controls``/``ledger_events`` scale it for the benchmark."""
    base_controls: list[tuple[str, str, str, str, Outcome, list[str]]] = [
        (
            "GDPR-ART22",
            "GDPR",
            "Regulation (EU) 2016/679 Art. 22(3)",
            "Human review of automated decisions",
            "pass",
            [],
        ),
        (
            "FIN-SR11-7-VALIDATION",
            "finance",
            "Federal Reserve SR 26-2 / OCC Bulletin 2026-13 (model validation and monitoring)",
            "Independent validation of high-risk models",
            "pass",
            [],
        ),
        (
            "FIN-ECOA-AAN",
            "finance",
            "12 CFR 1002.9(b)(2)",
            "Principal reasons for adverse action",
            "pass",
            [],
        ),
        (
            "COMMON-FAIRNESS",
            "common",
            "policy data: fairness.bounds",
            "Four-fifths rule on selection rates",
            "pass",
            [],
        ),
        (
            "COMMON-REDTEAM",
            "common",
            "policy data: redteam.min_pass_rate",
            "Red-team pass rate",
            "pass",
            [],
        ),
        (
            "HIPAA-164.514b",
            "HIPAA",
            "45 CFR 164.514(b)",
            "De-identification of PHI",
            "not_applicable",
            ["no dataset contains PHI"],
        ),
    ]
    control_rows: list[ControlOutcome] = []
    for index in range(controls):
        control_id, regulation, citation, title, outcome, messages = base_controls[
            index % len(base_controls)
        ]
        suffix = "" if index < len(base_controls) else f"-{index // len(base_controls)}"
        control_rows.append(
            {
                "control_id": control_id + suffix,
                "regulation": regulation,
                "citation": citation,
                "title": title,
                "outcome": outcome,
                "severity": "high",
                "messages": messages,
            }
        )
    return {
        "meta": meta("deployment dep-0042 (credit-limit-advisor v3.2 → production)"),
        "deployment": {
            "deployment_id": "dep-0042",
            "environment": "production",
            "endpoint": "https://inference.northwind.example/credit-limit",
            "state": "promotion_requested",
            "requested_by": "pipeline:release-bot",
            "requested_at": dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC),
        },
        "model": credit_model(),
        "decision": {
            "gate": "production_promotion",
            "allow": True,
            "outcome": "allowed",
            "error": None,
            "decided_at": dt.datetime(2026, 11, 25, 8, 0, 2, tzinfo=dt.UTC),
            "engine": "embedded",
            "policy_bundle_hash": sha("bundle-2026-11-20"),
            "input_hash": sha("input-dep-0042"),
            "latency_ms": 0.41,
            "controls": control_rows,
            "warnings": ["audit aud-2026-1187 is 3 days old (limit 30)"],
            "required_approvals": [
                {"role": "model_risk", "count": 1},
                {"role": "compliance_officer", "count": 1},
            ],
        },
        "approval_request": {
            "request_id": "#311",
            "status": "approved",
            "requested_by": "pipeline:release-bot",
            "created_at": dt.datetime(2026, 11, 25, 8, 0, 3, tzinfo=dt.UTC),
            "expires_at": dt.datetime(2026, 12, 9, 8, 0, 3, tzinfo=dt.UTC),
            "evidence_sha256": sha("evidence-dep-0042"),
            "excluded_approvers": ["pipeline:release-bot", "Priya Raman"],
        },
        "approvals": [
            {
                "role": "model_risk",
                "approver": "Tomasz Wójcik",
                "decision": "approve",
                "decided_at": dt.datetime(2026, 11, 25, 10, 12, tzinfo=dt.UTC),
                "comment": "Validation file MV-2026-88 reviewed.",
                "excluded": False,
            },
            {
                "role": "compliance_officer",
                "approver": "Ingrid Halvorsen",
                "decision": "approve",
                "decided_at": dt.datetime(2026, 11, 25, 11, 47, tzinfo=dt.UTC),
                "comment": "Adverse-action reasons checked.",
                "excluded": False,
            },
        ],
        "evaluations": evaluations(),
        "audits": audits(),
        "lineage": [
            {
                "kind": "deployment",
                "reference": "dep-0042",
                "label": "production endpoint",
                "sha256": None,
            },
            {
                "kind": "model",
                "reference": "mv-42",
                "label": "credit-limit-advisor v3.2",
                "sha256": sha("weights-v3.2"),
            },
            {
                "kind": "run",
                "reference": "run-311",
                "label": "QLoRA, 2 x A100 80GB, 6.5 h",
                "sha256": None,
            },
            {
                "kind": "dataset",
                "reference": "dsv-17",
                "label": "loan-applications-eu 2026-09",
                "sha256": sha("loan-applications-eu/2026-09"),
            },
        ],
        "ledger": ledger_excerpt(ledger_events),
        "ledger_verified": True,
        "decision_ids": [],
    }


def _listing(name: str, description: str, rows: list[dict[str, Any]]) -> Listing:
    return {"name": f"gatehouse-periodic-{name}.json", "description": description, "rows": rows}


def periodic_context() -> PeriodicComplianceContext:
    """Kind periodic_compliance for Q4 2026 to date."""
    model_exceptions: list[Any] = [
        {
            "name": "discharge-summary-drafter",
            "version": "v1.4",
            "risk_tier": "medium",
            "domain": "healthcare",
            "state": "production",
            "environments": ["production"],
            "last_decision": "denied",
            "last_audit_at": None,
            "open_findings": 3,
        },
        {
            "name": "credit-limit-advisor",
            "version": "v3.2",
            "risk_tier": "high",
            "domain": "credit",
            "state": "staging",
            "environments": ["staging"],
            "last_decision": "indeterminate",
            "last_audit_at": dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC),
            "open_findings": 1,
        },
    ]
    dataset_exceptions: list[Any] = [
        {
            "name": "clinical-notes",
            "version": "v3",
            "classification": "PHI (Safe Harbor)",
            "lawful_basis": "Art. 9(2)(h)",
            "retention_until": dt.date(2027, 1, 31),
            "open_findings": 2,
        },
    ]
    findings: list[Any] = [
        {
            "source": "policy",
            "subject": "discharge-summary-drafter v1.4",
            "reference": "HIPAA-164.514b",
            "severity": "high",
            "opened_at": dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC),
            "message": "dataset 'clinical-notes v3' contains PHI and is not de-identified",
        },
        {
            "source": "red_team",
            "subject": "credit-limit-advisor v3.2",
            "reference": "prompt injection",
            "severity": "medium",
            "opened_at": dt.datetime(2026, 11, 21, 16, 30, tzinfo=dt.UTC),
            "message": "system prompt disclosed in 7 of 400 attempts",
        },
    ]
    controls: list[Any] = [
        {
            "control_id": "HIPAA-164.514b",
            "title": "PHI is de-identified before training",
            "regulation": "HIPAA",
            "severity": "high",
            "decisions": 41,
        },
        {
            "control_id": "GDPR-ART22",
            "title": "Automated decisions have human review",
            "regulation": "GDPR",
            "severity": "high",
            "decisions": 7,
        },
    ]
    approvals: list[Any] = [
        {
            "request_id": 318,
            "subject": "training_launch: run run-318",
            "required": "1 × compliance_officer",
            "votes": 0,
            "expires_at": dt.datetime(2026, 12, 3, 0, 0, tzinfo=dt.UTC),
        },
    ]
    decisions: list[Any] = [
        {
            "decision_id": 9001,
            "decided_at": dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC),
            "gate": "production_promotion",
            "subject_type": "deployment",
            "subject_id": 39,
            "subject": "deployment #39 (discharge-summary-drafter v1.4)",
            "outcome": "denied",
            "violated_controls": ["HIPAA-164.514b"],
            "input_sha256": sha("input-9001"),
            "bundle_sha256": sha("bundle-2026-11-20"),
        },
    ]
    return {
        "meta": meta("all models and datasets, Q4 2026"),
        "period": {
            "start": dt.date(2026, 10, 1),
            "end": dt.date(2026, 11, 25),
            "label": "Q4 2026 (to date)",
        },
        "totals": {
            "model_versions": 14,
            "dataset_versions": 9,
            "decisions": 212,
            "allowed": 160,
            "denied": 48,
            "indeterminate": 4,
            "open_findings": 2,
            "expiring_approvals": 1,
        },
        "decisions_by_gate": [
            {"label": "production_promotion", "allowed": 31, "denied": 12, "indeterminate": 1},
            {"label": "training_launch", "allowed": 129, "denied": 36, "indeterminate": 3},
        ],
        "decisions_by_month": [
            {"label": "2026-10", "allowed": 97, "denied": 30, "indeterminate": 0},
            {"label": "2026-11", "allowed": 63, "denied": 18, "indeterminate": 4},
        ],
        "failing_controls": controls,
        "findings_by_severity": [
            {"severity": "high", "count": 1},
            {"severity": "medium", "count": 1},
        ],
        "top_findings": findings,
        "models_by_state": [
            {"state": "staging", "high": 3, "medium": 4, "low": 2, "unassigned": 1, "total": 10},
            {"state": "production", "high": 1, "medium": 2, "low": 1, "unassigned": 0, "total": 4},
        ],
        "model_exceptions": model_exceptions,
        "model_exception_count": 2,
        "dataset_exceptions": dataset_exceptions,
        "dataset_exception_count": 1,
        "expiring_approvals": approvals,
        "listings": {
            "decisions": _listing("decisions", "Every gate decision made in the period", decisions),
            "findings": _listing("findings", "Every finding open at the end", findings),
            "controls": _listing("controls", "Controls failed in the period", controls),
            "models": _listing("models", "Every model version's standing", model_exceptions),
            "datasets": _listing(
                "datasets", "Every dataset version's standing", dataset_exceptions
            ),
            "approvals": _listing("approvals", "Pending approvals lapsing soon", approvals),
        },
    }


BUILDERS: dict[str, Callable[[], Mapping[str, Any]]] = {
    "model_card": model_card_context,
    "dataset_sheet": dataset_sheet_context,
    "audit_report": audit_report_context,
    "promotion_evidence": promotion_evidence_context,
    "periodic_compliance": periodic_context,
}
