package finance.fair_lending_test

import data.finance.fair_lending
import data.lib.controls
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "FIN-FAIR-LENDING",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "FIN-FAIR-LENDING",
		"regulation": "Finance",
		"citation": "ECOA 15 U.S.C. 1691; Regulation B 12 CFR 1002.4(a), 1002.6(a) (effects test); four-fifths ratio as a screening heuristic only (EEOC, 29 CFR 1607.4(D))",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked the latest fairness audit"

old_failing := object.union(fx.fairness_audit, {"id": "au-0", "finished_at": "2026-01-01T00:00:00+00:00", "adverse_impact_ratio": 0.5})

input_fair := fx.promotion({})

input_latest_fair_older_unfair := fx.promotion({"audits": [old_failing, fx.fairness_audit, fx.explainability_audit]})

input_disparate := fx.promotion({"audits": [object.union(fx.fairness_audit, {"adverse_impact_ratio": 0.72, "equalized_odds_difference": 0.15})]})

input_stale := fx.promotion({"audits": [object.union(fx.fairness_audit, {"finished_at": "2026-06-01T00:00:00+00:00"})]})

input_no_audit := fx.promotion({"audits": [fx.explainability_audit]})

input_figures_missing := fx.promotion({"audits": [object.union(fx.fairness_audit, {"adverse_impact_ratio": null, "equalized_odds_difference": null})]})

test_fair_recent_audit_passes if {
	fair_lending.outcome == outcome("pass", reason, []) with input as input_fair
}

test_only_the_latest_audit_counts if {
	fair_lending.outcome == outcome("pass", reason, []) with input as input_latest_fair_older_unfair
}

test_general_domain_is_not_applicable if {
	fair_lending.outcome == outcome("not_applicable", "the model's domain is not credit or financial risk", []) with input as fx.with_model({"domain": "general"})
}

test_disparity_fails if {
	fair_lending.outcome == outcome("fail", reason, [
		"adverse impact ratio 0.72 is below the policy minimum (four-fifths screening heuristic) 0.8",
		"equalized odds difference 0.15 exceeds the bound 0.1",
	]) with input as input_disparate
}

test_stale_audit_fails if {
	fair_lending.outcome == outcome("fail", reason, ["the latest fairness audit is 178 days old, older than 90 days"]) with input as input_stale
}

test_missing_audit_fails if {
	fair_lending.outcome == outcome("fail", reason, ["the model has no finished fairness audit"]) with input as input_no_audit
}

test_missing_figures_fail if {
	fair_lending.outcome == outcome("fail", reason, [
		"adverse impact ratio null is below the policy minimum (four-fifths screening heuristic) 0.8",
		"equalized odds difference null exceeds the bound 0.1",
	]) with input as input_figures_missing
}

# An audit with no finish time might be the latest one: it cannot be passed over.
test_fairness_audit_without_finish_time_fails if {
	fair_lending.outcome == outcome("fail", reason, ["fairness audit au-9 has no finish time"]) with input as fx.promotion({"audits": [fx.fairness_audit, object.union(fx.fairness_audit, {"id": "au-9", "finished_at": null}), fx.explainability_audit]})
}

# Threshold edges: each bound in data.gatehouse.thresholds.fairness exactly, just inside
# and just outside (a `>=` turned into `>` in a helper fails the "exactly" cases).
limits := data.gatehouse.thresholds.fairness

with_audit(changes) := fx.promotion({"audits": [object.union(fx.fairness_audit, changes), fx.explainability_audit]})

input_edge_ratio_at_minimum := with_audit({"adverse_impact_ratio": limits.min_adverse_impact_ratio})

input_edge_ratio_just_below := with_audit({"adverse_impact_ratio": limits.min_adverse_impact_ratio - 0.001})

input_edge_ratio_just_above := with_audit({"adverse_impact_ratio": limits.min_adverse_impact_ratio + 0.001})

input_edge_odds_at_maximum := with_audit({"equalized_odds_difference": limits.max_equalized_odds_difference})

input_edge_odds_just_above := with_audit({"equalized_odds_difference": limits.max_equalized_odds_difference + 0.001})

input_edge_odds_just_below := with_audit({"equalized_odds_difference": limits.max_equalized_odds_difference - 0.001})

input_edge_age_at_limit := with_audit({"finished_at": fx.days_before_now(limits.max_audit_age_days)})

input_edge_age_just_over := with_audit({"finished_at": fx.days_before_now(limits.max_audit_age_days + 1)})

input_edge_age_just_under := with_audit({"finished_at": fx.days_before_now(limits.max_audit_age_days - 1)})

test_edge_ratio_exactly_at_the_minimum_passes if {
	fair_lending.outcome == outcome("pass", "checked the latest fairness audit", []) with input as input_edge_ratio_at_minimum
}

test_edge_ratio_just_below_the_minimum_fails if {
	fair_lending.outcome == outcome("fail", "checked the latest fairness audit", [controls.message(["adverse impact ratio ", limits.min_adverse_impact_ratio - 0.001, " is below the policy minimum (four-fifths screening heuristic) ", limits.min_adverse_impact_ratio])]) with input as input_edge_ratio_just_below
}

test_edge_ratio_just_above_the_minimum_passes if {
	fair_lending.outcome.status == "pass" with input as input_edge_ratio_just_above
}

test_edge_odds_exactly_at_the_bound_passes if {
	fair_lending.outcome.status == "pass" with input as input_edge_odds_at_maximum
}

test_edge_odds_just_above_the_bound_fails if {
	fair_lending.outcome == outcome("fail", "checked the latest fairness audit", [controls.message(["equalized odds difference ", limits.max_equalized_odds_difference + 0.001, " exceeds the bound ", limits.max_equalized_odds_difference])]) with input as input_edge_odds_just_above
}

test_edge_odds_just_below_the_bound_passes if {
	fair_lending.outcome.status == "pass" with input as input_edge_odds_just_below
}

test_edge_audit_exactly_at_the_age_limit_passes if {
	fair_lending.outcome.status == "pass" with input as input_edge_age_at_limit
}

test_edge_audit_a_day_over_the_age_limit_fails if {
	fair_lending.outcome == outcome("fail", "checked the latest fairness audit", [controls.message(["the latest fairness audit is ", limits.max_audit_age_days + 1, " days old, older than ", limits.max_audit_age_days, " days"])]) with input as input_edge_age_just_over
}

test_edge_audit_a_day_under_the_age_limit_passes if {
	fair_lending.outcome.status == "pass" with input as input_edge_age_just_under
}

# A finish time that does not parse cannot be ordered: that audit might be the latest,
# so an older fair audit cannot pass for it.
test_an_unreadable_finish_time_fails if {
	fair_lending.outcome == outcome("fail", reason, ["fairness audit au-9 has a finish time that is not an RFC 3339 timestamp (yesterday)"]) with input as fx.promotion({"audits": [object.union(old_failing, {"id": "au-9", "finished_at": "yesterday"}), fx.fairness_audit, fx.explainability_audit]})
}

# Without a known evaluation time the latest audit cannot be shown recent: fail closed.
test_an_unknown_evaluation_time_fails if {
	fair_lending.outcome == outcome("fail", reason, ["the latest fairness audit's age is unknown without a valid evaluation time"]) with input as object.remove(input_fair, {"now"})
}

# Our security tester's audit: his own table of decisions, audited by himself, newest.
self_made := object.union(fx.fairness_audit, {"id": "au-9", "finished_at": "2026-11-20T00:00:00+00:00", "adverse_impact_ratio": 1, "requested_by": "maya", "predicted_by_artifact": false})

test_an_audit_of_supplied_predictions_run_by_a_maker_fails if {
	fair_lending.outcome == outcome("fail", reason, [
		"fairness audit au-9 judged predictions the model artifact did not make (a prediction column supplied with the data): it is no evidence about the model",
		"fairness audit au-9 was run by maya, who built the model: it is no independent evidence",
	]) with input as fx.promotion({"audits": [fx.fairness_audit, self_made]})
}

test_an_audit_by_nobody_known_fails if {
	fair_lending.outcome == outcome("fail", reason, ["fairness audit au-1 names nobody who ran it: it is no independent evidence"]) with input as fx.promotion({"audits": [object.remove(fx.fairness_audit, {"requested_by"})]})
}
