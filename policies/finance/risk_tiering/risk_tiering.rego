# METADATA
# schemas:
#   - input: schema.input
# title: Model risk tiering (SR 26-2 / OCC 2026-13)
# description: >-
#   A credit or financial-risk model has a risk tier (high, medium, low); a high-tier
#   model needs an approval from model risk management by someone who did not build it.
# related_resources:
#   - ref: https://www.occ.treas.gov/news-issuances/bulletins/2026/bulletin-2026-13.html
#     description: Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (governance and controls; risk-based approach)
#   - ref: https://www.federalreserve.gov/supervisionreg/srletters/SR2602.htm
#     description: Federal Reserve SR 26-2 (17 April 2026), supersedes SR 11-7 and SR 21-8
# custom:
#   control_id: FIN-SR11-7-TIER
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.3]
#     iso_42001: []
#   regulation: Finance
#   severity: high
#   remediation: Assign the risk tier; for a high-tier model obtain the model_risk approval.
#   effective_from: 2026-04-17
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   generative_ai: >-
#     SR 26-2 / OCC Bulletin 2026-13 put generative and agentic AI models outside their
#     scope and say the bank's own risk management and governance practices should decide
#     the controls for them. A fine-tuned LLM is a generative model, so Gatehouse applies
#     this control to it as the institution's own model-risk policy (built on the SR 26-2
#     principles), not as a supervisory requirement; a non-generative model (scorecard,
#     classifier) is in the guidance's scope directly. The check is the same for both.
#   legacy_citation:
#     switch: data.gatehouse.model_risk.adopted_guidance = "sr11-7"
#     citation: Federal Reserve SR 11-7 / OCC 2011-12, Guidance on Model Risk Management, as adopted by the bank's model risk policy (rescinded 17 April 2026)
#     ref: https://www.federalreserve.gov/supervisionreg/srletters/sr1107.htm
#     effective_from: 2011-04-04
#     superseded_by: Federal Reserve SR 26-2 / OCC Bulletin 2026-13 (17 April 2026)
package finance.risk_tiering

import data.lib.approvals
import data.lib.controls

control := {
	"control_id": "FIN-SR11-7-TIER",
	"regulation": "Finance",
	"citation": controls.model_risk_citation({
		"sr26_2": "Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (governance and controls; risk-based approach)",
		"sr11_7": "Federal Reserve SR 11-7 / OCC 2011-12, Guidance on Model Risk Management, as adopted by the bank's model risk policy (rescinded 17 April 2026)",
	}),
	"severity": "high",
}

model_risk_approved if {
	some approval in input.approvals
	approval.role == "model_risk"
	approval.decision == "approve"
	approvals.independent(approval)
}

failures contains controls.unattested("the model", "risk_tier") if {
	not controls.member(controls.model, "risk_tier", {"high", "medium", "low"})
}

# An unknown tier counts as high.
failures contains "the high-tier model has no approval from model risk management" if {
	not controls.member(controls.model, "risk_tier", {"medium", "low"})
	not model_risk_approved
}

scope := {"applicable": true, "reason": "checked the model's risk tier"} if {
	controls.finance_applies
} else := {"applicable": false, "reason": "the model's domain is not credit or financial risk"}

outcome := controls.outcome(control, scope, failures, set())
