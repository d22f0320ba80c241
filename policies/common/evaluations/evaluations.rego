# METADATA
# title: Evaluations present and within thresholds
# description: >-
#   The model has a benchmark result for every required metric, and every benchmark
#   result meets both the policy bound for its metric and its own recorded threshold.
# related_resources:
#   - ref: https://www.nist.gov/itl/ai-risk-management-framework
#     description: Gatehouse evaluation policy (thresholds in data.gatehouse.thresholds.evaluations)
# custom:
#   control_id: COMMON-EVALUATIONS
#   regulation: Common
#   severity: high
#   remediation: Run the missing benchmarks; improve the model until each metric meets its bound.
package common.evaluations

import data.lib.controls

control := {
	"control_id": "COMMON-EVALUATIONS",
	"regulation": "Common",
	"citation": "Gatehouse evaluation policy (thresholds in data.gatehouse.thresholds.evaluations)",
	"severity": "high",
}

policy := data.gatehouse.thresholds.evaluations

benchmarks := [evaluation | some evaluation in input.evaluations; evaluation.kind == "benchmark"]

# An evaluation of no known kind, or a benchmark without a metric name, cannot be judged.
failures contains controls.message(["evaluation ", object.get(evaluation, "id", "unknown"), " has no known kind (benchmark or red_team)"]) if {
	some evaluation in input.evaluations
	not controls.member(evaluation, "kind", {"benchmark", "red_team"})
}

failures contains controls.message(["benchmark result ", object.get(evaluation, "id", "unknown"), " names no metric"]) if {
	some evaluation in benchmarks
	not controls.recorded(evaluation, "metric")
}

failures contains controls.message(["no benchmark result for required metric ", metric]) if {
	some metric in policy.required_metrics
	not metric in {evaluation.metric | some evaluation in benchmarks}
}

failures contains controls.message([evaluation.metric, " = ", object.get(evaluation, "value", "unknown"), " is below the policy minimum ", minimum]) if {
	some evaluation in benchmarks
	minimum := policy.bounds[evaluation.metric].min
	not controls.at_least(evaluation, "value", minimum)
}

failures contains controls.message([evaluation.metric, " = ", object.get(evaluation, "value", "unknown"), " is above the policy maximum ", maximum]) if {
	some evaluation in benchmarks
	maximum := policy.bounds[evaluation.metric].max
	not controls.at_most(evaluation, "value", maximum)
}

meets_own_threshold(evaluation) if {
	evaluation.higher_is_better == true
	is_number(evaluation.threshold)
	controls.at_least(evaluation, "value", evaluation.threshold)
}

meets_own_threshold(evaluation) if {
	evaluation.higher_is_better == false
	is_number(evaluation.threshold)
	controls.at_most(evaluation, "value", evaluation.threshold)
}

meets_own_threshold(evaluation) if evaluation.threshold == null

failures contains controls.message([evaluation.metric, " = ", object.get(evaluation, "value", "unknown"), " misses its recorded threshold ", object.get(evaluation, "threshold", "unknown")]) if {
	some evaluation in benchmarks
	not meets_own_threshold(evaluation)
}

outcome := controls.outcome(
	control,
	{"applicable": true, "reason": controls.message(["checked ", count(benchmarks), " benchmark result(s)"])},
	failures,
	set(),
)
