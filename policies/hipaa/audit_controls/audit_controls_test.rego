package hipaa.audit_controls_test

import data.hipaa.audit_controls
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "HIPAA-164.312b",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "HIPAA-164.312b",
		"regulation": "HIPAA",
		"citation": "45 CFR 164.312(b)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked 1 PHI dataset(s) behind the deployment"

input_logged_and_monitored := fx.promotion({})

input_no_logging := fx.promotion({"deployment": object.union(fx.deployment, {"access_logging": false})})

input_no_deployment := fx.promotion({"deployment": null})

test_logging_and_monitoring_pass if {
	audit_controls.outcome == outcome("pass", reason, []) with input as input_logged_and_monitored
}

test_no_phi_is_not_applicable if {
	audit_controls.outcome == outcome("not_applicable", "no dataset holds PHI", []) with input as fx.promotion({"datasets": [fx.eu_dataset]})
}

test_missing_access_logging_fails if {
	audit_controls.outcome == outcome("fail", reason, ["the production deployment handling PHI has no access logging"]) with input as input_no_logging
}

unattested := [
	"the production deployment handling PHI has no access_logging attested (recorded by compliance_officer)",
	"the production deployment handling PHI has no activity_monitoring attested (recorded by compliance_officer)",
]

test_missing_deployment_fails_both if {
	audit_controls.outcome == outcome("fail", reason, unattested) with input as input_no_deployment
}

test_unattested_deployment_settings_fail_naming_their_owner if {
	audit_controls.outcome == outcome("fail", reason, unattested) with input as fx.promotion({"deployment": {"id": "dep-3", "environment": "production", "access_logging": null, "monitoring": null}})
}
