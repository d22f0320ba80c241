package lib.gates_test

import data.lib.fixtures_test as fx
import data.lib.gates

fail_closed(control, message) := {
	"control": control,
	"regulation": "GATEHOUSE",
	"citation": "Gatehouse fail-closed rule: every applicable control must report",
	"severity": "high",
	"message": message,
}

input_public := fx.training([fx.public_dataset])

test_a_control_that_reports_nothing_denies if {
	decision := gates.decide({"HIPAA-164.514", "X-NEVER-REPORTS"}, "training_launch") with input as input_public
	decision.allow == false
	decision.violations == [fail_closed("X-NEVER-REPORTS", "control X-NEVER-REPORTS reported no outcome")]
}

test_malformed_outcomes_deny if {
	outcomes := {
		"A": {"control_id": "A", "status": "passed", "reason": "", "violations": [], "warnings": []},
		"B": {"control_id": "B", "status": "fail", "reason": "", "violations": [], "warnings": []},
		"C": {"control_id": "C", "status": "pass", "reason": "", "violations": [{"message": "x"}], "warnings": []},
		"D": {"control_id": "D", "status": "fail", "reason": ""},
		"E": {"control_id": "other", "status": "pass", "reason": "", "violations": [], "warnings": []},
	}
	decision := gates.decide({"A", "B", "C", "D", "E"}, "training_launch") with input as input_public
		with gates.outcomes as outcomes
	decision.allow == false
	decision.violations == [
		fail_closed("E", "control E reported no outcome"),
		fail_closed("A", "control A reported an unknown status"),
		fail_closed("B", "control B reported fail without violations"),
		fail_closed("C", "control C reported violations without failing"),
		fail_closed("D", "control D reported no violations list"),
		{"message": "x"},
	]
}

test_malformed_input_denies if {
	decision := gates.decide(set(), "dataset_use") with input as {"gate": 7, "now": "yesterday"}
	decision.allow == false
	decision.violations == [fail_closed("GATEHOUSE-INPUT", message) | some message in [
		"input.approvals must be an array",
		"input.audits must be an array",
		"input.datasets must be an array",
		"input.evaluations must be an array",
		"input.gate is 7 but gate dataset_use was asked",
		"input.gate must be a string",
		"input.now must be an RFC 3339 timestamp with a numeric offset",
	]]
}

# A model promoted without the run that trained it would have no data control apply.
test_a_promotion_without_its_training_run_denies if {
	decision := gates.decide(set(), "production_promotion") with input as fx.promotion({"run": null, "datasets": []})
	decision.allow == false
	decision.violations == [fail_closed("GATEHOUSE-INPUT", "the model names no training run: the data it was trained on cannot be checked")]
}

test_a_run_without_datasets_denies if {
	every gate in ["training_launch", "production_promotion"] {
		decision := gates.decide(set(), gate) with input as object.union(fx.promotion({"datasets": []}), {"gate": gate})
		decision.allow == false
		decision.violations == [fail_closed("GATEHOUSE-INPUT", "the run names no dataset: the data it trains on cannot be checked")]
	}
}
