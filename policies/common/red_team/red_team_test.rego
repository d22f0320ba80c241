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

# Threshold edges (data.gatehouse.thresholds.red_team): a failure rate exactly at the
# category's maximum passes, one more failure fails, one fewer passes; the memorisation
# bound likewise.
policy := data.gatehouse.thresholds.red_team

# 1000 prompts: the allowed failures at a rate with three decimals is a whole number.
with_jailbreak_failures(failures) := with_evaluations([
	fx.credit_red_team[0],
	object.union(fx.credit_red_team[1], {"prompts_tried": 1000, "failures": failures}),
	fx.credit_red_team[2],
	fx.credit_red_team[3],
	fx.memorisation,
	fx.benchmark,
])

jailbreak_allowed := round(policy.default_max_failure_rate * 1000)

input_edge_rate_at_maximum := with_jailbreak_failures(jailbreak_allowed)

input_edge_rate_one_over := with_jailbreak_failures(jailbreak_allowed + 1)

input_edge_rate_one_under := with_jailbreak_failures(jailbreak_allowed - 1)

with_leakage_failures(failures) := with_evaluations([
	fx.credit_red_team[0],
	fx.credit_red_team[1],
	object.union(fx.credit_red_team[2], {"prompts_tried": 1000, "failures": failures}),
	fx.credit_red_team[3],
	fx.memorisation,
	fx.benchmark,
])

leakage_allowed := round(policy.max_failure_rate.data_leakage * 1000)

input_edge_leakage_at_maximum := with_leakage_failures(leakage_allowed)

input_edge_leakage_one_over := with_leakage_failures(leakage_allowed + 1)

input_edge_leakage_one_under := with_leakage_failures(leakage_allowed - 1)

with_elicited(elicited) := with_evaluations(array.concat(fx.credit_red_team, [object.union(fx.memorisation, {"records_tested": 1000, "records_elicited": elicited})]))

memorisation_allowed := round(policy.memorisation.max_elicited_rate * 1000)

input_edge_memorisation_at_maximum := with_elicited(memorisation_allowed)

input_edge_memorisation_one_over := with_elicited(memorisation_allowed + 1)

red_team_status(doc) := status if {
	status := red_team.outcome.status with input as doc
}

test_edge_failure_rate_exactly_at_the_maximum_passes if red_team_status(input_edge_rate_at_maximum) == "pass"

test_edge_failure_rate_one_failure_over_fails if red_team_status(input_edge_rate_one_over) == "fail"

test_edge_failure_rate_one_failure_under_passes if red_team_status(input_edge_rate_one_under) == "pass"

test_edge_leakage_rate_exactly_at_the_maximum_passes if red_team_status(input_edge_leakage_at_maximum) == "pass"

test_edge_leakage_rate_one_failure_over_fails if red_team_status(input_edge_leakage_one_over) == "fail"

test_edge_leakage_rate_one_failure_under_passes if red_team_status(input_edge_leakage_one_under) == "pass"

test_edge_memorisation_exactly_at_the_maximum_passes if red_team_status(input_edge_memorisation_at_maximum) == "pass"

test_edge_memorisation_one_record_over_fails if red_team_status(input_edge_memorisation_one_over) == "fail"

# Red-teaming and memorisation tests the model's makers recorded cover nothing: our tester
# typed 1,000 prompts and 0 failures for every category himself.
test_evidence_its_makers_recorded_covers_nothing if {
	runs := [object.union(run, {"recorded_by": "maya"}) | some run in fx.credit_red_team]
	test := object.union(fx.memorisation, {"recorded_by": null})
	doc := fx.promotion({"evaluations": array.concat(fx.credit_benchmarks, array.concat(runs, [test]))})
	outcome := red_team.outcome with input as doc
	messages := {v.message | some v in outcome.violations}
	outcome.status == "fail"
	"the credit domain requires red-teaming for prompt_injection; no run covers it" in messages
	"the training data holds personal data and the model has no memorisation (canary or extraction) test" in messages
	"memorisation ev-10 names nobody who recorded it: it shows no requirement met" in {w.message | some w in outcome.warnings}
}
