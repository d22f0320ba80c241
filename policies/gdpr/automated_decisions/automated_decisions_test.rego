package gdpr.automated_decisions_test

import data.gdpr.automated_decisions
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "GDPR-22",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "GDPR-22",
		"regulation": "GDPR",
		"citation": "GDPR Art. 22; Recital 71",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked 1 dataset(s) with EU/EEA personal data behind automated decisions"

input_reviewed_and_explained := fx.promotion({"datasets": [fx.eu_dataset]})

input_no_review_no_audit := object.union(fx.with_model({"human_review": false}), {"datasets": [fx.eu_dataset], "audits": [fx.fairness_audit]})

test_human_review_and_explanations_pass if {
	automated_decisions.outcome == outcome("pass", reason, []) with input as input_reviewed_and_explained
}

test_no_legal_effect_is_not_applicable if {
	automated_decisions.outcome == outcome("not_applicable", "the model makes no automated decision with legal effect", []) with input as fx.with_model({"automated_decision_legal_effect": false})
}

test_no_eu_subjects_is_not_applicable if {
	automated_decisions.outcome == outcome("not_applicable", "no dataset holds personal data of EU/EEA data subjects", []) with input as fx.promotion({"datasets": [fx.phi_dataset]})
}

test_missing_review_and_explanations_fail if {
	automated_decisions.outcome == outcome("fail", reason, [
		"the model makes automated decisions with legal effect without an explainability audit run by someone who did not build it",
		"the model makes automated decisions with legal effect without human review",
	]) with input as input_no_review_no_audit
}

# Unknown legal effect counts as legal effect; unknown human review as none.
test_unattested_legal_effect_and_review_fail if {
	automated_decisions.outcome == outcome("fail", reason, ["the model has no legal_effect attested (recorded by compliance_officer) and so counts as making automated decisions with legal effect; it has no human_review attested (recorded by compliance_officer)"]) with input as object.union(fx.with_model({"automated_decision_legal_effect": null, "human_review": null}), {"datasets": [fx.eu_dataset]})
}

test_an_explainability_audit_run_by_a_developer_does_not_count if {
	audits := [object.union(fx.explainability_audit, {"requested_by": "omar"})]
	messages := {v.message | some v in automated_decisions.outcome.violations} with input as fx.promotion({"audits": audits})
	"the model makes automated decisions with legal effect without an explainability audit run by someone who did not build it" in messages
}
