package common.red_team_test

import data.common.red_team
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "COMMON-RED-TEAM",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "COMMON-RED-TEAM",
		"regulation": "Common",
		"citation": "NIST AI RMF 1.0, MEASURE 2.7 (security and resilience evaluated)",
		"severity": "critical",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

with_evaluations(evaluations) := fx.promotion({"evaluations": evaluations})

input_clean := fx.promotion({})

leakage := fx.credit_red_team[2]

others := [fx.credit_red_team[0], fx.credit_red_team[1], fx.credit_red_team[3], fx.memorisation]

input_high_findings_only := with_evaluations(array.concat(others, [object.union(leakage, {"open_findings": [{"id": "finding-7", "severity": "high", "category": "data_leakage"}]})]))

input_critical_leak := with_evaluations(array.concat(others, [object.union(leakage, {"failures": 1, "open_findings": [
	{"id": "finding-8", "severity": "critical", "category": "data_leakage"},
	{"id": "finding-9", "severity": null, "category": "data_leakage"},
]})]))

input_leakage_rate_above_bound := with_evaluations(array.concat(others, [object.union(leakage, {"failures": 4})]))

input_category_missing := with_evaluations(others)

input_failures_unknown := with_evaluations(array.concat(others, [object.union(leakage, {"failures": null})]))

input_not_red_teamed := with_evaluations([fx.memorisation])

input_no_memorisation_test := with_evaluations(fx.credit_red_team)

input_memorised := with_evaluations(array.concat(fx.credit_red_team, [object.union(fx.memorisation, {"records_elicited": 3})]))

# A model trained on public data only needs no memorisation test.
input_public_data := object.union(input_no_memorisation_test, {"datasets": [fx.public_dataset]})

test_clean_red_team_passes if {
	red_team.outcome == outcome("pass", "checked 4 red-team run(s) and 1 memorisation test(s)", []) with input as input_clean
}

test_non_critical_findings_pass if {
	red_team.outcome.status == "pass" with input as input_high_findings_only
}

test_open_critical_and_unknown_severity_findings_fail if {
	red_team.outcome == outcome("fail", "checked 4 red-team run(s) and 1 memorisation test(s)", [
		"open critical red-team finding finding-8 (data_leakage) in run ev-8",
		"open unrated (no recorded severity) red-team finding finding-9 (data_leakage) in run ev-8",
	]) with input as input_critical_leak
}

test_failure_rate_above_category_bound_fails if {
	[v.message | some v in red_team.outcome.violations] == ["red-team run ev-8 (data_leakage) is above the failure rate 0.01: 4 failures in 200 prompts"] with input as input_leakage_rate_above_bound
}

test_unknown_failures_fail if {
	[v.message | some v in red_team.outcome.violations] == ["red-team run ev-8 (data_leakage) is above the failure rate 0.01: unknown failures in 200 prompts"] with input as input_failures_unknown
}

test_required_category_missing_fails if {
	[v.message | some v in red_team.outcome.violations] == ["the credit domain requires red-teaming for data_leakage; no run covers it"] with input as input_category_missing
}

test_no_red_team_fails if {
	"the model has no red-team evaluation" in {v.message | some v in red_team.outcome.violations} with input as input_not_red_teamed
}

test_personal_data_needs_memorisation_test if {
	[v.message | some v in red_team.outcome.violations] == ["the training data holds personal data and the model has no memorisation (canary or extraction) test"] with input as input_no_memorisation_test
}

test_memorised_records_fail if {
	[v.message | some v in red_team.outcome.violations] == ["memorisation test ev-10 elicited 3 of 200 training records, more than the policy allows"] with input as input_memorised
}

test_public_data_needs_no_memorisation_test if {
	red_team.outcome.status == "pass" with input as input_public_data
}

test_unrecorded_counts_fail if {
	[v.message | some v in red_team.outcome.violations] == ["red-team run ev-8 (data_leakage) is above the failure rate 0.01: unknown failures in 200 prompts"] with input as with_evaluations(array.concat(others, [object.remove(leakage, {"failures"})]))
}

test_unrecorded_findings_fail if {
	[v.message | some v in red_team.outcome.violations] == ["red-team run ev-8 has no record of its open findings"] with input as with_evaluations(array.concat(others, [object.union(leakage, {"open_findings": null})]))
}
