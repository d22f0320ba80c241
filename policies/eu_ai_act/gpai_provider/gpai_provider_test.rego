package eu_ai_act.gpai_provider_test

import data.eu_ai_act.gpai_provider
import data.lib.controls
import data.lib.fixtures_test as fx

outcome(status, reason, messages, warnings) := {
	"control_id": "EUAIA-53",
	"status": status,
	"reason": reason,
	"violations": [finding(message) | some message in messages],
	"warnings": [finding(message) | some message in warnings],
}

finding(message) := {
	"control": "EUAIA-53",
	"regulation": "EU AI Act",
	"citation": "Regulation (EU) 2024/1689 (AI Act) Art. 53(1)(b)-(d), Recital 109; Commission GPAI guidelines (July 2025), one-third compute criterion",
	"severity": "high",
	"message": message,
}

checked := "checked the Art. 53 documents of a modified GPAI model"

below := "the fine-tune's compute is at most a third of the base model's: no new GPAI provider obligations"

eu(changes) := fx.with_model(object.union(fx.eu_credit_model, changes))

compute(base, modification) := {"gpai_modification": {"base_model_training_flop": base, "modification_training_flop": modification}}

input_eu_documented := eu({})

input_eu_undocumented := eu({"gpai_documentation": null})

input_eu_partly_documented := eu({"gpai_documentation": {"downstream_documentation_ref": "GPAI-DOC-2026-02", "training_data_summary_ref": " ", "copyright_policy_ref": null}})

input_small_fine_tune := eu(object.union(compute(9e23, 1e21), {"gpai_documentation": null}))

input_compute_unattested := eu({"gpai_modification": null, "gpai_documentation": null})

input_base_compute_unknown := eu(object.union(compute(null, 4e22), {"gpai_documentation": null}))

input_market_unattested := fx.with_model(object.union(fx.eu_credit_model, {"eu_market": null, "gpai_documentation": null}))

# Threshold edges: exactly a third of the base compute, just over, just under.
input_edge_exactly_a_third := eu(object.union(compute(9e23, 3e23), {"gpai_documentation": null}))

input_edge_just_over_a_third := eu(object.union(compute(9e23, 3.0001e23), {"gpai_documentation": null}))

input_edge_just_under_a_third := eu(object.union(compute(9e23, 2.9999e23), {"gpai_documentation": null}))

undocumented(why) := controls.message(["the model is a modified GPAI model (", why, ") and it has no gpai_documentation attested (recorded by compliance_officer)"])

test_not_on_the_eu_market_is_not_applicable if {
	gpai_provider.outcome == outcome("not_applicable", "the model is not placed on the EU market", [], []) with input as fx.promotion({})
}

test_documented_modification_passes if {
	gpai_provider.outcome == outcome("pass", checked, [], []) with input as input_eu_documented
}

test_undocumented_modification_fails if {
	gpai_provider.outcome == outcome("fail", checked, [undocumented("its fine-tune compute 400000e18 FLOP is more than 1/3 of 900000e18 FLOP")], []) with input as input_eu_undocumented
}

test_each_missing_document_is_named if {
	found := gpai_provider.outcome with input as input_eu_partly_documented
	found.status == "fail"
	[v.message | some v in found.violations] == [
		"the model is a modified GPAI model (its fine-tune compute 400000e18 FLOP is more than 1/3 of 900000e18 FLOP) and has no copyright policy (Art. 53(1)(c))",
		"the model is a modified GPAI model (its fine-tune compute 400000e18 FLOP is more than 1/3 of 900000e18 FLOP) and has no public summary of the training content (Art. 53(1)(d))",
	]
}

test_small_fine_tune_needs_no_provider_documents if {
	gpai_provider.outcome == outcome("pass", below, [], []) with input as input_small_fine_tune
}

# Unknown compute counts as over the threshold.
test_unattested_compute_counts_as_a_significant_modification if {
	gpai_provider.outcome == outcome("fail", checked, [undocumented("its fine-tune has no gpai_modification_compute attested (recorded by model_risk)")], []) with input as input_compute_unattested
}

# Without the base model's compute, a third of the 1e23 FLOP presumption threshold is the bound.
test_unknown_base_compute_uses_the_presumption_threshold if {
	found := gpai_provider.outcome with input as input_base_compute_unknown
	found.status == "fail"
	contains(found.violations[0].message, "more than 1/3 of 100000e18 FLOP")
}

test_unattested_market_counts_as_the_eu_market if {
	gpai_provider.outcome.status == "fail" with input as input_market_unattested
}

test_edge_exactly_a_third_is_not_a_new_provider if {
	gpai_provider.outcome == outcome("pass", below, [], []) with input as input_edge_exactly_a_third
}

test_edge_just_over_a_third_is_a_new_provider if {
	gpai_provider.outcome.status == "fail" with input as input_edge_just_over_a_third
}

test_edge_just_under_a_third_is_not_a_new_provider if {
	gpai_provider.outcome.status == "pass" with input as input_edge_just_under_a_third
}

# Before the application date the gate warns instead of denying.
test_before_the_application_date_it_warns if {
	found := gpai_provider.outcome with input as input_eu_undocumented
		with data.gatehouse.eu_ai_act.application_dates.gpai_providers as "2027-01-01T00:00:00+00:00"
	found == outcome("pass", checked, [], [controls.message([undocumented("its fine-tune compute 400000e18 FLOP is more than 1/3 of 900000e18 FLOP"), " (applies from 2027-01-01)"])])
}
