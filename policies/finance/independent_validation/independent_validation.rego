# METADATA
# schemas:
#   - input: schema.input
# title: Independent model validation (SR 26-2 / OCC 2026-13)
# description: >-
#   A credit or financial-risk model is validated by someone who is not one of its
#   developers.
# related_resources:
#   - ref: https://www.occ.treas.gov/news-issuances/bulletins/2026/bulletin-2026-13.html
#     description: Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (model validation and monitoring)
#   - ref: https://www.federalreserve.gov/supervisionreg/srletters/SR2602.htm
#     description: Federal Reserve SR 26-2 (17 April 2026), supersedes SR 11-7 and SR 21-8
# custom:
#   control_id: FIN-SR11-7-VALIDATION
#   frameworks:
#     nist_ai_rmf: [MEASURE 1.3, MEASURE 2.5]
#     iso_42001: [A.6.2.4]
#   regulation: Finance
#   severity: high
#   remediation: Have the model validated by a person independent of its development and record them.
#   effective_from: 2026-04-17
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   generative_ai: >-
#     SR 26-2 / OCC Bulletin 2026-13 put generative and agentic AI models outside their
#     scope and say the bank's own risk management and governance practices should decide
#     the controls for them. A fine-tuned LLM is a generative model, so Gatehouse applies
#     this control to it as the institution's own model-risk policy (built on the SR 26-2
#     principles), not as a supervisory requirement; a non-generative model (scorecard,
#     classifier) is in the guidance's scope directly. The check is the same for both.
#   legacy_citation:
#     switch: data.gatehouse.model_risk.adopted_guidance = "sr11-7"
#     citation: Federal Reserve SR 11-7 / OCC 2011-12, Section V (Model Validation), as adopted by the bank's model risk policy (rescinded 17 April 2026)
#     ref: https://www.federalreserve.gov/supervisionreg/srletters/sr1107.htm
#     effective_from: 2011-04-04
#     superseded_by: Federal Reserve SR 26-2 / OCC Bulletin 2026-13 (17 April 2026)
package finance.independent_validation

import data.lib.controls

control := {
	"control_id": "FIN-SR11-7-VALIDATION",
	"regulation": "Finance",
	"citation": controls.model_risk_citation({
		"sr26_2": "Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (model validation and monitoring)",
		"sr11_7": "Federal Reserve SR 11-7 / OCC 2011-12, Section V (Model Validation), as adopted by the bank's model risk policy (rescinded 17 April 2026)",
	}),
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
