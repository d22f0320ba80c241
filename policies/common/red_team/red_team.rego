# METADATA
# schemas:
#   - input: schema.input
# title: Red-team results
# description: >-
#   The model has been red-teamed in every attack category its domain requires; each
#   category's failure rate is under its bound; no finding of a blocking severity
#   (critical by default, or of unknown severity) is still open; and a model trained
#   on personal data has a memorisation test (canary or extraction) that elicited no
#   more training records than the policy allows.
# related_resources:
#   - ref: https://www.nist.gov/itl/ai-risk-management-framework
#     description: NIST AI RMF 1.0, MEASURE 2.7 (security and resilience evaluated)
# custom:
#   control_id: COMMON-RED-TEAM
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.7, MEASURE 2.10]
#     iso_42001: [A.6.2.4]
#   effective_from: 2026-11-26
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Common
#   severity: critical
#   remediation: Red-team the missing categories; mitigate or accept (independently) the blocking findings; run a memorisation test when the training data holds personal data.
package common.red_team

import data.lib.controls

control := {
	"control_id": "COMMON-RED-TEAM",
	"regulation": "Common",
	"citation": "NIST AI RMF 1.0, MEASURE 2.7 (security and resilience evaluated)",
	"severity": "critical",
}

policy := data.gatehouse.thresholds.red_team

red_team_runs := [evaluation | some evaluation in input.evaluations; evaluation.kind == "red_team"]

memorisation_tests := [evaluation | some evaluation in input.evaluations; evaluation.kind == "memorisation"]

domain := object.get(controls.model, "domain", null)

failures contains "the model has no red-team evaluation" if count(red_team_runs) == 0

max_failure_rate(category) := policy.max_failure_rate[category] if {
	is_number(policy.max_failure_rate[category])
} else := policy.default_max_failure_rate

number_or(object, key, absent) := object[key] if {
	is_number(object[key])
} else := absent

within_bound(evaluation) if {
	is_number(evaluation.failures)
	controls.at_least(evaluation, "prompts_tried", 1)
	controls.rounded(evaluation.failures / evaluation.prompts_tried) <= max_failure_rate(evaluation.attack_category)
}

failures contains controls.message(["red-team run ", object.get(evaluation, "id", "unknown"), " (", object.get(evaluation, "attack_category", "unknown"), ") is above the failure rate ", max_failure_rate(object.get(evaluation, "attack_category", "unknown")), ": ", number_or(evaluation, "failures", "unknown"), " failures in ", number_or(evaluation, "prompts_tried", "unknown"), " prompts"]) if {
	some evaluation in red_team_runs
	not within_bound(evaluation)
}

failures contains controls.message(["no red-team policy for the model's domain ", domain]) if {
	not controls.array_field(policy.required_categories, domain)
}

# Coverage counts only runs someone who did not build the model recorded (our tester
# covered every category with counts he typed himself); a run's failures and open
# findings count whoever recorded it.
tested_categories := {evaluation.attack_category |
	some evaluation in red_team_runs
	controls.independently_recorded(evaluation)
	controls.at_least(evaluation, "prompts_tried", 1)
}

not_counted contains controls.not_counted(evaluation) if {
	some evaluation in array.concat(red_team_runs, memorisation_tests)
	not controls.independently_recorded(evaluation)
}

independent_memorisation_tests := [test | some test in memorisation_tests; controls.independently_recorded(test)]

failures contains controls.message(["the ", domain, " domain requires red-teaming for ", category, "; no run covers it"]) if {
	some category in policy.required_categories[domain]
	not category in tested_categories
}

# A finding of unknown severity blocks like a critical one.
blocking(finding) if finding.severity in policy.blocking_severities

blocking(finding) if not controls.string_field(finding, "severity")

severity_text(finding) := finding.severity if {
	controls.string_field(finding, "severity")
} else := "unrated (no recorded severity)"

failures contains controls.message(["open ", severity_text(finding), " red-team finding ", object.get(finding, "id", "unknown"), " (", object.get(finding, "category", "unknown"), ") in run ", object.get(evaluation, "id", "unknown")]) if {
	some evaluation in red_team_runs
	some finding in evaluation.open_findings
	blocking(finding)
}

personal_training_data if {
	some dataset in input.datasets
	controls.personal(dataset)
}

acceptable_memorisation(test) if {
	controls.at_least(test, "records_tested", 1)
	is_number(test.records_elicited)
	controls.rounded(test.records_elicited / test.records_tested) <= policy.memorisation.max_elicited_rate
}

failures contains "the training data holds personal data and the model has no memorisation (canary or extraction) test" if {
	personal_training_data
	count(independent_memorisation_tests) == 0
}

failures contains controls.message(["memorisation test ", object.get(test, "id", "unknown"), " elicited ", number_or(test, "records_elicited", "unknown"), " of ", number_or(test, "records_tested", "unknown"), " training records, more than the policy allows"]) if {
	personal_training_data
	some test in memorisation_tests
	not acceptable_memorisation(test)
}

failures contains controls.message(["red-team run ", object.get(evaluation, "id", "unknown"), " has no record of its open findings"]) if {
	some evaluation in red_team_runs
	not controls.array_field(evaluation, "open_findings")
}

outcome := controls.outcome(
	control,
	{"applicable": true, "reason": controls.message(["checked ", count(red_team_runs), " red-team run(s) and ", count(memorisation_tests), " memorisation test(s)"])},
	failures,
	not_counted,
)
