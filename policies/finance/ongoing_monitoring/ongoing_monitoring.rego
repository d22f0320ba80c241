# METADATA
# title: Ongoing monitoring (SR 11-7)
# description: A credit or financial-risk model has ongoing performance monitoring configured.
# related_resources:
#   - ref: https://www.federalreserve.gov/supervisionreg/srletters/sr1107.htm
#     description: Federal Reserve SR 11-7, Section V (Ongoing Monitoring)
# custom:
#   control_id: FIN-SR11-7-MONITORING
#   regulation: Finance
#   severity: medium
#   remediation: Configure ongoing monitoring for the model before promotion.
package finance.ongoing_monitoring

import data.lib.controls

control := {
	"control_id": "FIN-SR11-7-MONITORING",
	"regulation": "Finance",
	"citation": "Federal Reserve SR 11-7, Section V (Ongoing Monitoring)",
	"severity": "medium",
}

failures contains "the model has no ongoing monitoring configured" if {
	controls.equals(controls.model, "monitoring_enabled", false)
}

failures contains controls.unattested("the model", "monitoring") if {
	not controls.is_true(controls.model, "monitoring_enabled")
	not controls.equals(controls.model, "monitoring_enabled", false)
}

scope := {"applicable": true, "reason": "checked the model's monitoring"} if {
	controls.finance_applies
} else := {"applicable": false, "reason": "the model's domain is not credit or financial risk"}

outcome := controls.outcome(control, scope, failures, set())
