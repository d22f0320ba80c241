# METADATA
# title: Model risk tiering (SR 11-7)
# description: >-
#   A credit or financial-risk model has a risk tier (high, medium, low); a high-tier
#   model needs an approval from model risk management by someone who did not build it.
# related_resources:
#   - ref: https://www.federalreserve.gov/supervisionreg/srletters/sr1107.htm
#     description: Federal Reserve SR 11-7, Guidance on Model Risk Management
# custom:
#   control_id: FIN-SR11-7-TIER
#   regulation: Finance
#   severity: high
#   remediation: Assign the risk tier; for a high-tier model obtain the model_risk approval.
package finance.risk_tiering

import data.lib.approvals
import data.lib.controls

control := {
	"control_id": "FIN-SR11-7-TIER",
	"regulation": "Finance",
	"citation": "Federal Reserve SR 11-7, Guidance on Model Risk Management",
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
