package finance.risk_tiering_test

import data.finance.risk_tiering
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "FIN-SR11-7-TIER",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "FIN-SR11-7-TIER",
		"regulation": "Finance",
		"citation": "Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (governance and controls; risk-based approach)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked the model's risk tier"

input_medium_tier := fx.promotion({})

input_high_tier_approved := fx.with_model({"risk_tier": "high"})

input_no_tier := fx.with_model({"risk_tier": null})

input_high_tier_without_model_risk := object.union(fx.with_model({"risk_tier": "high"}), {"approvals": [fx.approvals[0]]})

input_high_tier_approved_by_developer := object.union(fx.with_model({"risk_tier": "high"}), {"approvals": [fx.approvals[0], {"role": "model_risk", "user": "omar", "decision": "approve"}]})

test_medium_tier_passes if {
	risk_tiering.outcome == outcome("pass", reason, []) with input as input_medium_tier
}

test_high_tier_with_model_risk_approval_passes if {
	risk_tiering.outcome == outcome("pass", reason, []) with input as input_high_tier_approved
}

test_general_domain_is_not_applicable if {
	risk_tiering.outcome == outcome("not_applicable", "the model's domain is not credit or financial risk", []) with input as fx.with_model({"domain": "general"})
}

test_missing_tier_fails if {
	risk_tiering.outcome == outcome("fail", reason, ["the model has no risk_tier attested (recorded by model_risk)"]) with input as input_no_tier
}

test_high_tier_without_model_risk_approval_fails if {
	risk_tiering.outcome == outcome("fail", reason, ["the high-tier model has no approval from model risk management"]) with input as input_high_tier_without_model_risk
}

test_approval_by_a_developer_does_not_count if {
	risk_tiering.outcome == outcome("fail", reason, ["the high-tier model has no approval from model risk management"]) with input as input_high_tier_approved_by_developer
}

# An unknown tier counts as high: the model-risk approval is required.
test_missing_tier_without_model_risk_approval_fails if {
	risk_tiering.outcome == outcome("fail", reason, [
		"the high-tier model has no approval from model risk management",
		"the model has no risk_tier attested (recorded by model_risk)",
	]) with input as object.union(fx.with_model({"risk_tier": null}), {"approvals": [fx.approvals[0]]})
}

test_sr11_7_switch_cites_the_banks_adopted_guidance if {
	found := risk_tiering.outcome with input as input_high_tier_without_model_risk
		with data.gatehouse.model_risk.adopted_guidance as "sr11-7"
	found.violations[0].citation == "Federal Reserve SR 11-7 / OCC 2011-12, Guidance on Model Risk Management, as adopted by the bank's model risk policy (rescinded 17 April 2026)"
}
