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

credit_reason := "accuracy 0.91 (bound 0.8, baseline 0.9, 6 days old); hallucination_rate 0.02 (bound 0.05, baseline 0.03, 6 days old); latency_p99_ms 1200 (bound 5000, baseline 1100, 6 days old); logical_consistency 0.88 (bound 0.8, baseline 0.86, 6 days old)"

input_credit_ready := fx.promotion({})

with_benchmarks(benchmarks) := fx.promotion({"evaluations": benchmarks})

others := array.slice(fx.credit_benchmarks, 1, 4)

input_accuracy_regressed := with_benchmarks(array.concat([object.union(fx.benchmark, {"value": 0.82, "baseline": 0.9})], others))

input_accuracy_below_and_no_baseline := with_benchmarks(array.concat([object.union(fx.benchmark, {"value": 0.7, "baseline": null, "threshold": 0.75})], others))

input_stale := with_benchmarks(array.concat([object.union(fx.benchmark, {"measured_at": "2026-06-01T00:00:00+00:00"})], others))

# A newer result supersedes an older failing one.
input_newer_result_decides := with_benchmarks(array.concat(
	[
		object.union(fx.benchmark, {"id": "old", "value": 0.5, "measured_at": "2026-10-01T00:00:00+00:00"}),
		fx.benchmark,
	],
	others,
))

# An undated result fails even beside a dated one.
input_undated := with_benchmarks(array.concat([object.union(fx.benchmark, {"id": "ev-1", "measured_at": null}), object.union(fx.benchmark, {"id": "ev-11"})], others))

input_missing_metric := with_benchmarks(others)

input_hallucination_worse := with_benchmarks([
	fx.benchmark,
	fx.credit_benchmarks[1],
	object.union(fx.credit_benchmarks[2], {"value": 0.08}),
	fx.credit_benchmarks[3],
])

input_unknown_domain := object.union(fx.with_model({"domain": "astrology"}), {"evaluations": fx.credit_benchmarks})

input_general := object.union(fx.with_model({"domain": "general"}), {"evaluations": [object.union(fx.benchmark, {"baseline": null})]})

test_credit_benchmarks_pass if {
	evaluations.outcome == outcome("pass", credit_reason, []) with input as input_credit_ready
}

test_general_domain_needs_no_baseline if {
	evaluations.outcome == outcome("pass", "accuracy 0.91 (bound 0.8, baseline none, 6 days old)", []) with input as input_general
}

test_regression_against_base_model_fails if {
	evaluations.outcome.violations[_].message == "accuracy regressed by 0.08 against the base model (0.9 -> 0.82), more than the 0.02 allowed" with input as input_accuracy_regressed
	evaluations.outcome.status == "fail" with input as input_accuracy_regressed
}

test_below_minimum_without_baseline_fails if {
	{v.message | some v in evaluations.outcome.violations} == {
		"accuracy = 0.7 is below the credit minimum 0.8",
		"accuracy has no base-model baseline; the credit policy bounds its regression",
		"accuracy = 0.7 misses its recorded threshold 0.75",
	} with input as input_accuracy_below_and_no_baseline
}

test_stale_result_fails if {
	[v.message | some v in evaluations.outcome.violations] == ["accuracy was measured 178 days ago, more than the 90 allowed"] with input as input_stale
}

test_newest_result_decides if {
	evaluations.outcome == outcome("pass", credit_reason, []) with input as input_newer_result_decides
}

test_undated_result_fails if {
	[v.message | some v in evaluations.outcome.violations] == ["accuracy result ev-1 has no measurement time: its freshness is unknown"] with input as input_undated
}

test_missing_required_metric_fails if {
	[v.message | some v in evaluations.outcome.violations] == ["no benchmark result for required metric accuracy"] with input as input_missing_metric
}

test_maximum_metric_above_bound_fails if {
	[v.message | some v in evaluations.outcome.violations] == ["hallucination_rate = 0.08 is above the credit maximum 0.05"] with input as input_hallucination_worse
}

test_unknown_domain_fails if {
	evaluations.outcome == outcome("fail", "no evaluation policy for the model's domain", ["no evaluation policy for the model's domain astrology"]) with input as input_unknown_domain
}

test_evaluation_of_unknown_kind_fails if {
	[v.message | some v in evaluations.outcome.violations] == ["evaluation ev-2 has no known kind (benchmark, red_team or memorisation)"] with input as with_benchmarks(array.concat(fx.credit_benchmarks, [object.remove(fx.red_team, {"kind"})]))
}

test_benchmark_without_metric_fails if {
	[v.message | some v in evaluations.outcome.violations] == ["benchmark result ev-9 names no metric"] with input as with_benchmarks(array.concat(fx.credit_benchmarks, [object.union(fx.benchmark, {"id": "ev-9", "metric": null})]))
}
