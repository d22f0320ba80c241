package common.approvals_test

import data.common.approvals
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "COMMON-APPROVALS",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "COMMON-APPROVALS",
		"regulation": "Common",
		"citation": "Gatehouse approval policy (separation of duties, data.gatehouse.approvals)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_approved := fx.promotion({})

input_high_tier_one_person := object.union(fx.with_model({"risk_tier": "high"}), {"approvals": [
	{"role": "compliance_officer", "user": "lena", "decision": "approve"},
	{"role": "model_risk", "user": "lena", "decision": "approve"},
]})

input_self_approved_and_rejected := fx.promotion({"approvals": [
	{"role": "compliance_officer", "user": "maya", "decision": "approve"},
	{"role": "model_risk", "user": "lena", "decision": "reject"},
]})

test_required_approvals_pass if {
	approvals.outcome == outcome("pass", "checked 1 required approval role(s)", []) with input as input_approved
}

test_high_tier_needs_two_distinct_people if {
	approvals.outcome == outcome("fail", "checked 2 required approval role(s)", ["needs 2 distinct approvers in all, has 1"]) with input as input_high_tier_one_person
}

test_self_approval_and_rejection_fail if {
	approvals.outcome == outcome("fail", "checked 1 required approval role(s)", [
		"approval by maya (compliance_officer) does not count: separation of duties",
		"needs 1 approval(s) from role compliance_officer, has 0",
		"needs 1 distinct approvers in all, has 0",
		"rejected by lena (model_risk)",
	]) with input as input_self_approved_and_rejected
}

# Who built the model is unknown: no approval can be shown independent.
test_unknown_developers_count_no_approval if {
	approvals.outcome == outcome("fail", "checked 1 required approval role(s)", [
		"needs 1 approval(s) from role compliance_officer, has 0",
		"needs 1 distinct approvers in all, has 0",
		"no approval counts: the model's developers are not recorded, so separation of duties cannot be shown",
	]) with input as json.remove(fx.promotion({"datasets": [fx.eu_dataset]}), ["model/developers"])
}

# An unknown tier counts as high: model risk must approve too.
test_unknown_tier_requires_model_risk if {
	approvals.outcome == outcome("fail", "checked 2 required approval role(s)", [
		"needs 1 approval(s) from role model_risk, has 0",
		"needs 2 distinct approvers in all, has 1",
	]) with input as fx.promotion({"model": object.union(fx.model, {"risk_tier": null}), "datasets": [fx.eu_dataset], "approvals": [fx.approvals[0]]})
}
