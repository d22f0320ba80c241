package finance.independent_validation_test

import data.finance.independent_validation
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "FIN-SR11-7-VALIDATION",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "FIN-SR11-7-VALIDATION",
		"regulation": "Finance",
		"citation": "Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (model validation and monitoring)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked the model's validation"

input_independent := fx.promotion({})

input_validator_is_developer := fx.with_model({"validator": "omar"})

input_nothing_recorded := fx.with_model({"validator": null, "developers": []})

test_independent_validator_passes if {
	independent_validation.outcome == outcome("pass", reason, []) with input as input_independent
}

test_legal_domain_is_not_applicable if {
	independent_validation.outcome == outcome("not_applicable", "the model's domain is not credit or financial risk", []) with input as fx.with_model({"domain": "legal"})
}

test_validator_who_developed_fails if {
	independent_validation.outcome == outcome("fail", reason, ["validator omar is also a developer of the model"]) with input as input_validator_is_developer
}

test_missing_people_fail if {
	independent_validation.outcome == outcome("fail", reason, [
		"the model has no validation attested (recorded by model_risk)",
		"the model lists no developers, so independence cannot be shown",
	]) with input as input_nothing_recorded
}

# A bank whose own model risk policy still adopts SR 11-7 sets the switch: the finding
# then cites SR 11-7 as that policy's basis, and what is checked does not change.
test_sr11_7_switch_cites_the_banks_adopted_guidance if {
	found := independent_validation.outcome with input as input_validator_is_developer
		with data.gatehouse.model_risk.adopted_guidance as "sr11-7"
	found.status == "fail"
	found.violations[0].citation == "Federal Reserve SR 11-7 / OCC 2011-12, Section V (Model Validation), as adopted by the bank's model risk policy (rescinded 17 April 2026)"
}

# An unrecognised setting cites the current guidance.
test_unknown_switch_cites_current_guidance if {
	found := independent_validation.outcome with input as input_validator_is_developer
		with data.gatehouse.model_risk.adopted_guidance as "sr99-1"
	found == outcome("fail", reason, ["validator omar is also a developer of the model"])
}
