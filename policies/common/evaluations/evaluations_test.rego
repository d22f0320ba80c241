package common.evaluations_test

import data.common.evaluations
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "COMMON-EVALUATIONS",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "COMMON-EVALUATIONS",
		"regulation": "Common",
		"citation": "Gatehouse evaluation policy (thresholds in data.gatehouse.thresholds.evaluations)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

latency := object.union(fx.benchmark, {"id": "ev-3", "metric": "latency_p99_ms", "value": 1200, "higher_is_better": false, "threshold": 1500})

input_above_thresholds := fx.promotion({"evaluations": [fx.benchmark, latency, fx.red_team]})

input_below_thresholds := fx.promotion({"evaluations": [
	object.union(fx.benchmark, {"value": 0.7, "threshold": 0.75}),
	object.union(latency, {"value": 6000}),
	fx.red_team,
]})

input_no_benchmarks := fx.promotion({"evaluations": [fx.red_team]})

input_value_missing := fx.promotion({"evaluations": [object.union(fx.benchmark, {"value": null, "threshold": 0.5})]})

test_benchmarks_within_bounds_pass if {
	evaluations.outcome == outcome("pass", "checked 2 benchmark result(s)", []) with input as input_above_thresholds
}

test_benchmarks_outside_bounds_fail if {
	evaluations.outcome == outcome("fail", "checked 2 benchmark result(s)", [
		"accuracy = 0.7 is below the policy minimum 0.8",
		"accuracy = 0.7 misses its recorded threshold 0.75",
		"latency_p99_ms = 6000 is above the policy maximum 5000",
		"latency_p99_ms = 6000 misses its recorded threshold 1500",
	]) with input as input_below_thresholds
}

test_missing_required_metric_fails if {
	evaluations.outcome == outcome("fail", "checked 0 benchmark result(s)", ["no benchmark result for required metric accuracy"]) with input as input_no_benchmarks
}

test_missing_value_fails if {
	evaluations.outcome == outcome("fail", "checked 1 benchmark result(s)", [
		"accuracy = null is below the policy minimum 0.8",
		"accuracy = null misses its recorded threshold 0.5",
	]) with input as input_value_missing
}

test_evaluation_of_unknown_kind_fails if {
	evaluations.outcome == outcome("fail", "checked 1 benchmark result(s)", ["evaluation ev-2 has no known kind (benchmark or red_team)"]) with input as fx.promotion({"evaluations": [fx.benchmark, object.remove(fx.red_team, {"kind"})]})
}

test_benchmark_without_metric_fails if {
	evaluations.outcome == outcome("fail", "checked 2 benchmark result(s)", ["benchmark result ev-9 names no metric"]) with input as fx.promotion({"evaluations": [fx.benchmark, object.union(fx.benchmark, {"id": "ev-9", "metric": null}), fx.red_team]})
}
