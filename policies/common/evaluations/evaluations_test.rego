package common.evaluations_test

import data.common.evaluations
import data.lib.controls
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

# A time that does not parse cannot be ordered: the result is judged on its own and its
# freshness is unknown, so a failing value cannot hide behind a passing dated one.
input_unreadable_time := with_benchmarks(array.concat([object.union(fx.benchmark, {"id": "ev-1", "value": 0.5, "measured_at": "last Tuesday"}), object.union(fx.benchmark, {"id": "ev-11"})], others))

test_an_unreadable_measurement_time_fails if {
	{v.message | some v in evaluations.outcome.violations} == {
		"accuracy result ev-1 has a measurement time that is not an RFC 3339 timestamp (last Tuesday): its freshness is unknown",
		"accuracy = 0.5 is below the credit minimum 0.8",
		"accuracy regressed by 0.4 against the base model (0.9 -> 0.5), more than the 0.02 allowed",
	} with input as input_unreadable_time
}

# Without a known evaluation time no result can be shown fresh: fail closed.
test_an_unknown_evaluation_time_fails_every_required_metric if {
	outcome := evaluations.outcome with input as object.remove(input_credit_ready, {"now"})
	outcome.status == "fail"
	{v.message | some v in outcome.violations} == {concat("", [b.metric, " was measured at ", b.measured_at, "; its age is unknown without a valid evaluation time"]) | some b in fx.credit_benchmarks}
	contains(outcome.reason, "accuracy 0.91 (bound 0.8, baseline 0.9, age unknown)")
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

# Threshold edges for the credit domain's bounds (data.gatehouse.thresholds.evaluations):
# each exactly at, just inside and just outside; regressions exactly on the bound too.
credit := data.gatehouse.thresholds.evaluations.domains.credit

max_age := data.gatehouse.thresholds.evaluations.max_age_days

with_accuracy(changes) := with_benchmarks(array.concat([object.union(fx.benchmark, changes)], others))

with_hallucination(changes) := with_benchmarks([
	fx.credit_benchmarks[0],
	fx.credit_benchmarks[1],
	object.union(fx.credit_benchmarks[2], changes),
	fx.credit_benchmarks[3],
])

status_of(doc) := status if {
	status := evaluations.outcome.status with input as doc
}

input_edge_accuracy_at_minimum := with_accuracy({"value": credit.accuracy.min, "baseline": credit.accuracy.min})

input_edge_accuracy_just_below := with_accuracy({"value": credit.accuracy.min - 0.001, "baseline": credit.accuracy.min})

input_edge_accuracy_just_above := with_accuracy({"value": credit.accuracy.min + 0.001, "baseline": credit.accuracy.min})

# 0.91 - 0.89 is a hair above 0.02 in binary floating point (OPA computes
# 0.020000000000000000037): a regression exactly on the 0.02 bound, written as the
# figures a benchmark reports.
input_edge_regression_at_bound := with_accuracy({"value": 0.89, "baseline": 0.91})

input_edge_regression_just_over := with_accuracy({"value": 0.889, "baseline": 0.89 + credit.accuracy.max_regression})

input_edge_regression_just_under := with_accuracy({"value": 0.891, "baseline": 0.89 + credit.accuracy.max_regression})

input_edge_hallucination_at_maximum := with_hallucination({"value": credit.hallucination_rate.max, "baseline": credit.hallucination_rate.max})

input_edge_hallucination_just_above := with_hallucination({"value": credit.hallucination_rate.max + 0.001, "baseline": credit.hallucination_rate.max})

input_edge_hallucination_just_below := with_hallucination({"value": credit.hallucination_rate.max - 0.001, "baseline": credit.hallucination_rate.max})

input_edge_measured_at_age_limit := with_accuracy({"measured_at": fx.days_before_now(max_age)})

input_edge_measured_a_day_over := with_accuracy({"measured_at": fx.days_before_now(max_age + 1)})

input_edge_measured_a_day_under := with_accuracy({"measured_at": fx.days_before_now(max_age - 1)})

test_edge_accuracy_exactly_at_the_minimum_passes if status_of(input_edge_accuracy_at_minimum) == "pass"

test_edge_accuracy_just_below_the_minimum_fails if {
	violations := evaluations.outcome.violations with input as input_edge_accuracy_just_below
	[v.message | some v in violations] == [controls.message(["accuracy = ", credit.accuracy.min - 0.001, " is below the credit minimum ", credit.accuracy.min])]
}

test_edge_accuracy_just_above_the_minimum_passes if status_of(input_edge_accuracy_just_above) == "pass"

test_edge_regression_exactly_at_the_bound_passes if {
	credit.accuracy.max_regression == 0.02
	status_of(input_edge_regression_at_bound) == "pass"
}

test_edge_regression_just_over_the_bound_fails if {
	violations := evaluations.outcome.violations with input as input_edge_regression_just_over
	[v.message | some v in violations] == [controls.message(["accuracy regressed by 0.021 against the base model (", 0.89 + credit.accuracy.max_regression, " -> 0.889), more than the ", credit.accuracy.max_regression, " allowed"])]
}

test_edge_regression_just_under_the_bound_passes if status_of(input_edge_regression_just_under) == "pass"

test_edge_hallucination_exactly_at_the_maximum_passes if status_of(input_edge_hallucination_at_maximum) == "pass"

test_edge_hallucination_just_above_the_maximum_fails if {
	violations := evaluations.outcome.violations with input as input_edge_hallucination_just_above
	[v.message | some v in violations] == [controls.message(["hallucination_rate = ", credit.hallucination_rate.max + 0.001, " is above the credit maximum ", credit.hallucination_rate.max])]
}

test_edge_hallucination_just_below_the_maximum_passes if status_of(input_edge_hallucination_just_below) == "pass"

test_edge_result_exactly_at_the_age_limit_passes if status_of(input_edge_measured_at_age_limit) == "pass"

test_edge_result_a_day_over_the_age_limit_fails if {
	violations := evaluations.outcome.violations with input as input_edge_measured_a_day_over
	[v.message | some v in violations] == [controls.message(["accuracy was measured ", max_age + 1, " days ago, more than the ", max_age, " allowed"])]
}

test_edge_result_a_day_under_the_age_limit_passes if status_of(input_edge_measured_a_day_under) == "pass"

# A result dated after the evaluation time was never measured, and as the newest it would
# hide every honest result and count as fresh for ever (found by our security tester).
input_future := with_benchmarks(array.concat(
	[
		object.union(fx.benchmark, {"id": "honest", "value": 0.5}),
		object.union(fx.benchmark, {"id": "ev-future", "value": 0.99, "measured_at": "2099-01-01T00:00:00+00:00"}),
	],
	others,
))

test_a_result_from_the_future_fails if {
	[v.message | some v in evaluations.outcome.violations] == ["accuracy result ev-future is dated 2099-01-01T00:00:00+00:00, after the evaluation time: no measurement comes from the future"] with input as input_future
}

# Within the tolerated clock skew (a measuring machine's clock a little ahead) it counts.
test_a_result_a_minute_ahead_counts if {
	ahead := time.format([time.parse_rfc3339_ns(fx.now) + 60000000000, "UTC", "2006-01-02T15:04:05Z07:00"])
	evaluations.outcome.status == "pass" with input as with_accuracy({"measured_at": ahead})
}

# Our security tester's own import: recorded by a developer of the model, it is not judged
# and says why; the metric then has no result at all.
test_a_result_its_makers_recorded_shows_no_requirement_met if {
	doc := with_benchmarks(array.concat([object.union(fx.benchmark, {"id": "ev-self", "recorded_by": "omar"})], others))
	outcome := evaluations.outcome with input as doc
	outcome.status == "fail"
	"no benchmark result for required metric accuracy" in {v.message | some v in outcome.violations}
	{w.message | some w in outcome.warnings} == {"benchmark ev-self was recorded by omar, who built the model: it shows no requirement met"}
}
