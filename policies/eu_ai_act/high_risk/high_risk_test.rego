package eu_ai_act.high_risk_test

import data.eu_ai_act.high_risk
import data.lib.controls
import data.lib.fixtures_test as fx

outcome(status, reason, messages, warnings) := {
	"control_id": "EUAIA-HIGH-RISK",
	"status": status,
	"reason": reason,
	"violations": [finding(message) | some message in messages],
	"warnings": [finding(message) | some message in warnings],
}

finding(message) := {
	"control": "EUAIA-HIGH-RISK",
	"regulation": "EU AI Act",
	"citation": "Regulation (EU) 2024/1689 (AI Act) Art. 6(2) and Annex III; Art. 9-15",
	"severity": "high",
	"message": message,
}

reason := "checked the high-risk evidence for Annex III use credit_scoring"

after_application := "2028-01-10T09:00:00+00:00"

eu(changes) := fx.with_model(object.union(fx.eu_credit_model, changes))

input_high_risk_ready := eu({})

input_no_evidence := eu({"high_risk_evidence": null, "human_review": false})

input_partial_evidence := eu({"high_risk_evidence": object.union(fx.eu_credit_model.high_risk_evidence, {"data_governance_ref": "", "instructions_for_use_ref": null})})

input_no_logging := object.union(input_high_risk_ready, {"deployment": object.union(fx.deployment, {"access_logging": false})})

input_use_unattested := eu({"annex_iii_use": null, "human_review": null})

input_no_evidence_after_application := object.union(input_no_evidence, {"now": after_application})

input_no_annex_iii_use := eu({"annex_iii_use": "none", "high_risk_evidence": null})

dated(messages) := [controls.message([message, " (applies from 2027-12-02)"]) | some message in messages]

test_complete_evidence_passes if {
	high_risk.outcome == outcome("pass", reason, [], []) with input as input_high_risk_ready
}

test_complete_evidence_passes_after_the_application_date if {
	high_risk.outcome == outcome("pass", reason, [], []) with input as object.union(input_high_risk_ready, {"now": after_application})
}

# Before 2 December 2027 the gaps are warnings that say when they start to deny.
test_missing_evidence_warns_before_the_application_date if {
	high_risk.outcome == outcome("pass", reason, [], dated([
		"the high-risk model has no high_risk_evidence attested (recorded by compliance_officer) (Art. 9, 10, 11, 13, 15)",
		"the model's decisions have no human oversight (Art. 14)",
	])) with input as input_no_evidence
}

test_missing_evidence_fails_from_the_application_date if {
	high_risk.outcome == outcome(
		"fail", reason, [
			"the high-risk model has no high_risk_evidence attested (recorded by compliance_officer) (Art. 9, 10, 11, 13, 15)",
			"the model's decisions have no human oversight (Art. 14)",
		],
		[],
	) with input as object.union(input_no_evidence, {"now": after_application})
}

test_each_missing_reference_is_named if {
	high_risk.outcome == outcome(
		"fail", reason, [
			"the high-risk model has no data governance of the training, validation and test data (Art. 10)",
			"the high-risk model has no instructions for use for deployers (Art. 13)",
		],
		[],
	) with input as object.union(input_partial_evidence, {"now": after_application})
}

test_deployment_without_logging_fails if {
	high_risk.outcome == outcome("fail", reason, ["the deployment does not log the model's use (Art. 12 record-keeping)"], []) with input as object.union(input_no_logging, {"now": after_application})
}

test_unattested_use_counts_as_high_risk if {
	high_risk.outcome == outcome(
		"fail", "checked the high-risk evidence for Annex III use unattested", [
			"the model has no annex_iii_use attested (recorded by compliance_officer)",
			"the model has no human_review attested (recorded by compliance_officer) (Art. 14 human oversight)",
		],
		[],
	) with input as object.union(input_use_unattested, {"now": after_application})
}

test_no_annex_iii_use_is_not_applicable if {
	high_risk.outcome == outcome("not_applicable", "the model's attested use is in no Annex III area", [], []) with input as input_no_annex_iii_use
}

test_not_on_the_eu_market_is_not_applicable if {
	high_risk.outcome == outcome("not_applicable", "the model is not placed on the EU market", [], []) with input as fx.promotion({})
}

# An evaluation time nobody can read is not "before" the date: the findings fail.
test_unknown_time_fails_rather_than_warns if {
	found := high_risk.outcome with input as object.union(input_no_evidence, {"now": null})
	found.status == "fail"
}
