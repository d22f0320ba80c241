package finance.fair_lending_test

import data.finance.fair_lending
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "FIN-FAIR-LENDING",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "FIN-FAIR-LENDING",
		"regulation": "Finance",
		"citation": "ECOA 15 U.S.C. 1691; 12 CFR 1002.4; four-fifths rule 29 CFR 1607.4(D)",
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
		"adverse impact ratio 0.72 is below the four-fifths minimum 0.8",
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
		"adverse impact ratio null is below the four-fifths minimum 0.8",
		"equalized odds difference null exceeds the bound 0.1",
	]) with input as input_figures_missing
}

# An audit with no finish time might be the latest one: it cannot be passed over.
test_fairness_audit_without_finish_time_fails if {
	fair_lending.outcome == outcome("fail", reason, ["fairness audit au-9 has no finish time"]) with input as fx.promotion({"audits": [fx.fairness_audit, object.union(fx.fairness_audit, {"id": "au-9", "finished_at": null}), fx.explainability_audit]})
}
