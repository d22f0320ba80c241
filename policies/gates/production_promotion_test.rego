package gates.production_promotion_test

import data.gates.production_promotion
import data.lib.fixtures_test as fx

input_compliant := fx.promotion({})

input_high_tier := fx.with_model({"risk_tier": "high"})

test_compliant_promotion_passes_every_applicable_control if {
	decision := production_promotion.decision with input as input_compliant
	decision.allow == true
	decision.violations == []
	decision.warnings == []
	count(decision.controls) == 24
	[outcome.control_id | some outcome in decision.controls; outcome.status != "pass"] == ["COMMON-MONITORING", "COMMON-MONITORING-SUSPEND", "GDPR-9.2"]
}

test_high_tier_needs_model_risk_approval if {
	decision := production_promotion.decision with input as input_high_tier
	decision.allow == true
	decision.required_approvals == [{"role": "compliance_officer", "count": 1}, {"role": "model_risk", "count": 1}]
}

test_wrong_gate_in_the_document_is_denied if {
	decision := production_promotion.decision with input as fx.training([fx.public_dataset])
	decision.allow == false
	"input.gate is training_launch but gate production_promotion was asked" in {violation.message | some violation in decision.violations}
}

# Without the model or the deployment the finance and deployment controls would not
# apply: the missing part is an input problem, and the model-risk approval stays required.
test_missing_model_denies_and_keeps_the_model_risk_approval if {
	decision := production_promotion.decision with input as fx.promotion({"model": null})
	decision.allow == false
	"input.model must be an object for gate production_promotion" in {violation.message | some violation in decision.violations}
	{"role": "model_risk", "count": 1} in decision.required_approvals
}

test_missing_deployment_denies if {
	decision := production_promotion.decision with input as fx.promotion({"deployment": null})
	decision.allow == false
	"input.deployment must be an object for gate production_promotion" in {violation.message | some violation in decision.violations}
}
