# METADATA
# title: Red-team results
# description: >-
#   The model has been red-teamed, each red-team run meets the minimum pass rate, and no
#   finding of a blocking severity (critical by default) is still open.
# related_resources:
#   - ref: https://www.nist.gov/itl/ai-risk-management-framework
#     description: NIST AI RMF 1.0, MEASURE 2.7 (security and resilience evaluated)
# custom:
#   control_id: COMMON-RED-TEAM
#   regulation: Common
#   severity: critical
#   remediation: Fix and close the critical findings, then re-run the red-team evaluation.
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

passes(evaluation) if {
	is_number(evaluation.failures)
	controls.at_least(evaluation, "prompts_tried", 1)
	(evaluation.prompts_tried - evaluation.failures) / evaluation.prompts_tried >= policy.min_pass_rate
}

failures contains "the model has no red-team evaluation" if count(red_team_runs) == 0

failures contains controls.message(["red-team run ", object.get(evaluation, "id", "unknown"), " (", object.get(evaluation, "attack_category", "unknown"), ") is below the pass rate ", policy.min_pass_rate, ": ", object.get(evaluation, "failures", "unknown"), " failures in ", object.get(evaluation, "prompts_tried", "unknown"), " prompts"]) if {
	some evaluation in red_team_runs
	not passes(evaluation)
}

# A finding of unknown severity blocks like a critical one.
blocking(finding) if finding.severity in policy.blocking_severities

blocking(finding) if not controls.string_field(finding, "severity")

severity_text(finding) := finding.severity if {
	controls.string_field(finding, "severity")
} else := "unrated (no recorded severity)"

failures contains controls.message(["open ", severity_text(finding), " red-team finding ", object.get(finding, "id", "unknown"), " in run ", object.get(evaluation, "id", "unknown")]) if {
	some evaluation in red_team_runs
	some finding in evaluation.open_findings
	blocking(finding)
}

failures contains controls.message(["red-team run ", object.get(evaluation, "id", "unknown"), " has no record of its open findings"]) if {
	some evaluation in red_team_runs
	not controls.array_field(evaluation, "open_findings")
}

outcome := controls.outcome(
	control,
	{"applicable": true, "reason": controls.message(["checked ", count(red_team_runs), " red-team run(s)"])},
	failures,
	set(),
)
