# METADATA
# schemas:
#   - input: schema.input
# title: Adverse action reasons (ECOA / Regulation B)
# description: >-
#   A model that makes credit decisions has an explainability audit that provides the
#   principal reasons for each decision, as an adverse action notice requires, finished
#   no longer ago than the freshness limit (data.gatehouse.thresholds.explainability).
# related_resources:
#   - ref: https://www.ecfr.gov/current/title-12/chapter-X/part-1002/section-1002.9
#     description: 12 CFR 1002.9 (Regulation B)
# custom:
#   control_id: FIN-REGB-1002.9
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.9]
#     iso_42001: []
#   effective_from: 2011-12-30
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Finance
#   severity: high
#   remediation: Run an explainability audit that yields principal reasons per decision, and re-run it before it is older than data.gatehouse.thresholds.explainability.max_audit_age_days.
#   judges: [explainability_audit]
package finance.adverse_action

import data.lib.controls

control := {
	"control_id": "FIN-REGB-1002.9",
	"regulation": "Finance",
	"citation": "12 CFR 1002.9 (Regulation B)",
	"severity": "high",
}

# A model whose decision type is not recorded counts as making credit decisions.
credit_decisions if input.model.decision_type == "credit_decision"

credit_decisions if not controls.string_field(controls.model, "decision_type")

limits := data.gatehouse.thresholds.explainability

reason_audits := [audit |
	some audit in input.audits
	audit.kind == "explainability"
	audit.principal_reasons_available == true
]

# Ages of the reason audits whose age is known: an audit without a valid finish time,
# or any audit while the evaluation time is unknown, cannot be shown fresh.
reason_ages := [controls.age_days(audit.finished_at) |
	some audit in reason_audits
	controls.string_field(audit, "finished_at")
]

failures contains "the credit-decision model has no explainability audit providing principal reasons" if {
	count(reason_audits) == 0
}

failures contains "no explainability audit providing principal reasons has a known age (a valid finish time and a valid evaluation time)" if {
	count(reason_audits) > 0
	count(reason_ages) == 0
}

failures contains controls.message(["the newest explainability audit providing principal reasons is ", min(reason_ages), " days old, older than ", limits.max_audit_age_days, " days"]) if {
	count(reason_ages) > 0
	min(reason_ages) > limits.max_audit_age_days
}

scope := {"applicable": false, "reason": "the model's domain is not credit or financial risk"} if {
	not controls.finance_applies
} else := {"applicable": true, "reason": "checked the principal reasons for credit decisions"} if {
	credit_decisions
} else := {"applicable": false, "reason": "the model makes no credit decisions"}

outcome := controls.outcome(control, scope, failures, set())
