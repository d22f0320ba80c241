package gates.training_launch_test

import data.gates.training_launch
import data.lib.fixtures_test as fx

hipaa_pass(control_id, reason) := {"control_id": control_id, "status": "pass", "reason": reason, "violations": [], "warnings": []}

approvals_pass := {"control_id": "COMMON-APPROVALS", "status": "pass", "reason": "checked 1 required approval role(s)", "violations": [], "warnings": []}

approvals_violation := {
	"control": "COMMON-APPROVALS",
	"regulation": "Common",
	"citation": "Gatehouse approval policy (separation of duties, data.gatehouse.approvals)",
	"severity": "high",
}

input_raw_phi := fx.training([object.union(fx.phi_dataset, {"deidentification_method": "none"})])

input_deidentified_phi := fx.training([fx.phi_dataset])

deidentification_violation := {
	"control": "HIPAA-164.514",
	"regulation": "HIPAA",
	"citation": "45 CFR 164.514(a)-(b)",
	"severity": "high",
	"message": "dataset clinical-notes@3 contains PHI and is not de-identified",
}

test_raw_phi_is_denied_by_deidentification if {
	training_launch.decision == {
		"allow": false,
		"violations": [deidentification_violation],
		"warnings": [],
		"required_approvals": [{"role": "compliance_officer", "count": 1}],
		"controls": [
			approvals_pass,
			hipaa_pass("HIPAA-164.312a2iv", "checked 1 PHI dataset(s)"),
			hipaa_pass("HIPAA-164.502b", "checked 1 PHI dataset(s)"),
			hipaa_pass("HIPAA-164.502e", "checked 1 PHI dataset(s) sent to an external platform"),
			{
				"control_id": "HIPAA-164.514",
				"status": "fail",
				"reason": "checked 1 PHI dataset(s)",
				"violations": [deidentification_violation],
				"warnings": [],
			},
		],
	} with input as input_raw_phi
}

test_deidentified_phi_is_allowed if {
	decision := training_launch.decision with input as input_deidentified_phi
	decision.allow == true
	decision.violations == []
	[outcome.status | some outcome in decision.controls] == ["pass", "pass", "pass", "pass", "pass"]
}

test_no_regulated_data_applies_no_pack if {
	training_launch.decision == {
		"allow": true,
		"violations": [],
		"warnings": [],
		"required_approvals": [{"role": "compliance_officer", "count": 1}],
		"controls": [approvals_pass],
	} with input as fx.training([fx.public_dataset])
}

test_training_without_approvals_is_denied_by_the_approvals_control_only if {
	decision := training_launch.decision with input as object.union(fx.training([fx.public_dataset]), {"approvals": []})
	decision.allow == false
	decision.violations == [
		object.union(approvals_violation, {"message": "needs 1 approval(s) from role compliance_officer, has 0"}),
		object.union(approvals_violation, {"message": "needs 1 distinct approvers in all, has 0"}),
	]
}

test_training_approved_by_its_author_is_denied if {
	approvals := [{"role": "compliance_officer", "user": fx.run.requester, "decision": "approve"}]
	decision := training_launch.decision with input as object.union(fx.training([fx.public_dataset]), {"approvals": approvals})
	decision.allow == false
	some violation in decision.violations
	violation.control == "COMMON-APPROVALS"
}
