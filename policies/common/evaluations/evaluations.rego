# METADATA
# schemas:
#   - input: schema.input
# title: Evaluations present, fresh and within the domain's thresholds
# description: >-
#   Every metric the model's domain requires has a result. The newest result of each
#   is fresh (measured within max_age_days), meets the domain's bound, and, where the
#   domain bounds the regression against the base model, has a baseline and does not
#   regress by more than that. Every benchmark result also meets its own recorded
#   threshold. Missing or stale results fail, and so does any result of a required
#   metric whose measurement time is missing or does not parse, or whose age is unknown
#   because the evaluation time is.
# related_resources:
#   - ref: https://www.nist.gov/itl/ai-risk-management-framework
#     description: Gatehouse evaluation policy (thresholds in data.gatehouse.thresholds.evaluations)
# custom:
#   control_id: COMMON-EVALUATIONS
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.3, MEASURE 2.5]
#     iso_42001: [A.6.2.4]
#   effective_from: 2026-11-26
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Common
#   severity: high
#   remediation: Run (and import) the missing or stale benchmarks against the model and its base model; improve the model until each metric meets its bound.
package common.evaluations

import data.lib.controls

control := {
	"control_id": "COMMON-EVALUATIONS",
	"regulation": "Common",
	"citation": "Gatehouse evaluation policy (thresholds in data.gatehouse.thresholds.evaluations)",
	"severity": "high",
}

policy := data.gatehouse.thresholds.evaluations

# The benchmark results judged: those someone who did not build the model recorded (our
# security tester's own import of an accuracy of 0.99 hid the pipeline's failing one).
benchmarks := [evaluation |
	some evaluation in input.evaluations
	evaluation.kind == "benchmark"
	controls.independently_recorded(evaluation)
]

not_counted contains controls.not_counted(evaluation) if {
	some evaluation in input.evaluations
	evaluation.kind == "benchmark"
	not controls.independently_recorded(evaluation)
}

domain := object.get(controls.model, "domain", null)

# The metrics the domain requires, each with its bounds ({} for an unknown domain).
required := policy.domains[domain] if {
	is_string(domain)
	is_object(policy.domains[domain])
} else := {}

failures contains controls.message(["no evaluation policy for the model's domain ", domain]) if {
	count(required) == 0
}

# Each benchmark result's measurement time (ns since the epoch) by its place in
# benchmarks, none where the time does not parse. A rule, so each time is parsed once per
# decision: comparing the results of a metric pairwise would parse them again and again.
measured_ns[i] := time.parse_rfc3339_ns(evaluation.measured_at) if {
	some i, evaluation in benchmarks
}

# The places of a metric's results whose measurement time parses: they can be ordered.
ordered(metric) := [i |
	some i, evaluation in benchmarks
	evaluation.metric == metric
	measured_ns[i]
]

# The places of a metric's results that cannot be ordered: no measurement time, or one
# that does not parse. Each is judged and fails for its unknown freshness, so none may
# hide behind a dated one.
unordered(metric) := [i |
	some i, evaluation in benchmarks
	evaluation.metric == metric
	not measured_ns[i]
]

# The places of the newest ordered result(s) of a metric.
newest(metric) := [i |
	some i in ordered(metric)
	every j in ordered(metric) {
		measured_ns[j] <= measured_ns[i]
	}
]

# The results a metric is judged on: the newest ordered ones, and every unordered one.
judged(metric) := [benchmarks[i] | some i in array.concat(newest(metric), unordered(metric))]

# An evaluation of no known kind, or a benchmark without a metric name, cannot be judged.
failures contains controls.message(["evaluation ", object.get(evaluation, "id", "unknown"), " has no known kind (benchmark, red_team or memorisation)"]) if {
	some evaluation in input.evaluations
	not controls.member(evaluation, "kind", {"benchmark", "red_team", "memorisation"})
}

failures contains controls.message(["benchmark result ", object.get(evaluation, "id", "unknown"), " names no metric"]) if {
	some evaluation in benchmarks
	not controls.recorded(evaluation, "metric")
}

failures contains controls.message(["no benchmark result for required metric ", metric]) if {
	some metric, _ in required
	not metric in {evaluation.metric | some evaluation in benchmarks}
}

# A result nobody dated, or dated in a form that does not parse, cannot be shown fresh.
failures contains controls.message([metric, " result ", object.get(benchmarks[i], "id", "unknown"), " has no measurement time: its freshness is unknown"]) if {
	some metric, _ in required
	some i in unordered(metric)
	not controls.string_field(benchmarks[i], "measured_at")
}

failures contains controls.message([metric, " result ", object.get(benchmarks[i], "id", "unknown"), " has a measurement time that is not an RFC 3339 timestamp (", benchmarks[i].measured_at, "): its freshness is unknown"]) if {
	some metric, _ in required
	some i in unordered(metric)
	controls.string_field(benchmarks[i], "measured_at")
}

# Measured within max_age_days of the evaluation time. Inside a rule, so an unknown
# evaluation time makes it false and the failure below fails closed.
now_known if controls.now_ns

fresh(i) if {
	not controls.after_now(measured_ns[i])
	controls.days_before_now(measured_ns[i]) <= policy.max_age_days
}

failures contains stale(metric, i) if {
	some metric, _ in required
	some i in newest(metric)
	not fresh(i)
}

stale(metric, i) := controls.message([metric, " result ", object.get(benchmarks[i], "id", "unknown"), " is dated ", benchmarks[i].measured_at, ", after the evaluation time: no measurement comes from the future"]) if {
	now_known
	controls.after_now(measured_ns[i])
} else := controls.message([metric, " was measured ", age, " days ago, more than the ", policy.max_age_days, " allowed"]) if {
	age := controls.days_before_now(measured_ns[i])
} else := controls.message([metric, " was measured at ", benchmarks[i].measured_at, "; its age is unknown without a valid evaluation time"])

failures contains controls.message([metric, " = ", object.get(evaluation, "value", "unknown"), " is below the ", domain, " minimum ", bounds.min]) if {
	some metric, bounds in required
	is_number(bounds.min)
	some evaluation in judged(metric)
	not controls.at_least(evaluation, "value", bounds.min)
}

failures contains controls.message([metric, " = ", object.get(evaluation, "value", "unknown"), " is above the ", domain, " maximum ", bounds.max]) if {
	some metric, bounds in required
	is_number(bounds.max)
	some evaluation in judged(metric)
	not controls.at_most(evaluation, "value", bounds.max)
}

# How much worse than the base model: lower is worse for a minimum, higher for a maximum
# (at 1e-9, so a regression exactly on the bound is on it).
regression(evaluation, bounds) := controls.rounded(evaluation.baseline - evaluation.value) if {
	is_number(bounds.min)
} else := controls.rounded(evaluation.value - evaluation.baseline)

failures contains controls.message([metric, " has no base-model baseline; the ", domain, " policy bounds its regression"]) if {
	some metric, bounds in required
	is_number(bounds.max_regression)
	some evaluation in judged(metric)
	not number_field(evaluation, "baseline")
}

failures contains controls.message([metric, " regressed by ", regression(evaluation, bounds), " against the base model (", evaluation.baseline, " -> ", evaluation.value, "), more than the ", bounds.max_regression, " allowed"]) if {
	some metric, bounds in required
	is_number(bounds.max_regression)
	some evaluation in judged(metric)
	is_number(evaluation.baseline)
	is_number(evaluation.value)
	regression(evaluation, bounds) > bounds.max_regression
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

# Looked up through the key, like the controls' field tests: `not f(x.missing)` is not
# read alike by every Rego engine.
number_field(object, key) if is_number(object[key])

number_or(object, key, absent) := object[key] if {
	is_number(object[key])
} else := absent

# What the gate saw for each required metric: value, bound, baseline and age.
seen(metric, bounds) := controls.message([
	metric, " ", object.get(evaluation, "value", "unknown"),
	" (bound ", object.get(bounds, "min", object.get(bounds, "max", "none")),
	", baseline ", number_or(evaluation, "baseline", "none"),
	", ", age_words(i), ")",
]) if {
	i := newest(metric)[0]
	evaluation := benchmarks[i]
} else := controls.message([metric, " without a valid measurement time"]) if {
	count(unordered(metric)) > 0
} else := controls.message([metric, " missing"])

age_words(i) := words if {
	words := controls.message([controls.days_before_now(measured_ns[i]), " days old"])
} else := "age unknown"

# Keys, not `some key, value in`: rego-cpp rejected that form inside a comprehension.
reason := concat("; ", [seen(metric, required[metric]) | some metric in sort(object.keys(required))]) if {
	count(required) > 0
} else := "no evaluation policy for the model's domain"

outcome := controls.outcome(
	control,
	{"applicable": true, "reason": reason},
	failures,
	not_counted,
)
