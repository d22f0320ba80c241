package finance.adverse_action_test

import data.finance.adverse_action
import data.lib.controls
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "FIN-REGB-1002.9",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "FIN-REGB-1002.9",
		"regulation": "Finance",
		"citation": "12 CFR 1002.9 (Regulation B)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked the principal reasons for credit decisions"

input_reasons_available := fx.promotion({})

input_no_reasons := fx.promotion({"audits": [fx.fairness_audit, object.union(fx.explainability_audit, {"principal_reasons_available": false})]})

input_decision_type_unknown := object.union(fx.with_model({"decision_type": null}), {"audits": [fx.fairness_audit]})

test_principal_reasons_pass if {
	adverse_action.outcome == outcome("pass", reason, []) with input as input_reasons_available
}

test_general_domain_is_not_applicable if {
	adverse_action.outcome == outcome("not_applicable", "the model's domain is not credit or financial risk", []) with input as fx.with_model({"domain": "general"})
}

test_risk_scoring_is_not_a_credit_decision if {
	adverse_action.outcome == outcome("not_applicable", "the model makes no credit decisions", []) with input as fx.with_model({"decision_type": "risk_score"})
}

test_missing_principal_reasons_fail if {
	adverse_action.outcome == outcome("fail", reason, ["the credit-decision model has no explainability audit providing principal reasons"]) with input as input_no_reasons
}

test_unknown_decision_type_counts_as_credit if {
	adverse_action.outcome == outcome("fail", reason, ["the credit-decision model has no explainability audit providing principal reasons"]) with input as input_decision_type_unknown
}

# An unattested decision type counts as credit decisions.
test_unattested_decision_type_counts_as_credit if {
	adverse_action.outcome == outcome("fail", reason, ["the credit-decision model has no explainability audit providing principal reasons"]) with input as object.union(fx.with_model({"decision_type": null}), {"audits": [fx.fairness_audit]})
}

# The explainability audit's freshness (data.gatehouse.thresholds.explainability),
# exactly at the limit, a day over and a day under.
max_age := data.gatehouse.thresholds.explainability.max_audit_age_days

explained(changes) := fx.promotion({"audits": [fx.fairness_audit, object.union(fx.explainability_audit, changes)]})

input_edge_reasons_at_age_limit := explained({"finished_at": fx.days_before_now(max_age)})

input_edge_reasons_a_day_over := explained({"finished_at": fx.days_before_now(max_age + 1)})

input_edge_reasons_a_day_under := explained({"finished_at": fx.days_before_now(max_age - 1)})

input_reasons_undated := explained({"finished_at": null})

test_edge_reasons_exactly_at_the_age_limit_pass if {
	adverse_action.outcome == outcome("pass", reason, []) with input as input_edge_reasons_at_age_limit
}

test_edge_reasons_a_day_over_the_age_limit_fail if {
	adverse_action.outcome == outcome("fail", reason, [controls.message(["the newest explainability audit providing principal reasons is ", max_age + 1, " days old, older than ", max_age, " days"])]) with input as input_edge_reasons_a_day_over
}

test_edge_reasons_a_day_under_the_age_limit_pass if {
	adverse_action.outcome == outcome("pass", reason, []) with input as input_edge_reasons_a_day_under
}

# An audit nobody dated cannot be shown fresh.
test_undated_reasons_fail if {
	adverse_action.outcome == outcome("fail", reason, ["no explainability audit providing principal reasons has a known age (a valid finish time and a valid evaluation time)"]) with input as input_reasons_undated
}

# A finish time that does not parse, or no evaluation time, leaves no age to judge.
test_unreadable_finish_time_or_unknown_now_fails if {
	unknown_age := ["no explainability audit providing principal reasons has a known age (a valid finish time and a valid evaluation time)"]
	adverse_action.outcome == outcome("fail", reason, unknown_age) with input as fx.promotion({"audits": [fx.fairness_audit, object.union(fx.explainability_audit, {"finished_at": "soon"})]})
	adverse_action.outcome == outcome("fail", reason, unknown_age) with input as object.remove(fx.promotion({}), {"now"})
}

# A fresh audit counts even when an older one is stale.
test_a_fresh_audit_beside_a_stale_one_passes if {
	adverse_action.outcome == outcome("pass", reason, []) with input as fx.promotion({"audits": [
		fx.fairness_audit,
		object.union(fx.explainability_audit, {"id": "au-old", "finished_at": fx.days_before_now(max_age + 30)}),
		fx.explainability_audit,
	]})
}
