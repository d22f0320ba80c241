# METADATA
# title: Independent model validation (SR 11-7)
# description: >-
#   A credit or financial-risk model is validated by someone who is not one of its
#   developers.
# related_resources:
#   - ref: https://www.federalreserve.gov/supervisionreg/srletters/sr1107.htm
#     description: Federal Reserve SR 11-7, Section V (Model Validation)
# custom:
#   control_id: FIN-SR11-7-VALIDATION
#   regulation: Finance
#   severity: high
#   remediation: Have the model validated by a person independent of its development and record them.
package finance.independent_validation

import data.lib.controls

control := {
	"control_id": "FIN-SR11-7-VALIDATION",
	"regulation": "Finance",
	"citation": "Federal Reserve SR 11-7, Section V (Model Validation)",
	"severity": "high",
}

developers_recorded if {
	controls.nonempty_array(controls.model, "developers")
}

failures contains "the model lists no developers, so independence cannot be shown" if not developers_recorded

failures contains controls.unattested("the model", "validation") if not controls.recorded(controls.model, "validator")

failures contains controls.message(["validator ", controls.model.validator, " is also a developer of the model"]) if {
	some developer in controls.model.developers
	developer == controls.model.validator
}

scope := {"applicable": true, "reason": "checked the model's validation"} if {
	controls.finance_applies
} else := {"applicable": false, "reason": "the model's domain is not credit or financial risk"}

outcome := controls.outcome(control, scope, failures, set())
