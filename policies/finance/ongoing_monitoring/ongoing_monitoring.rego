# METADATA
# schemas:
#   - input: schema.input
# title: Ongoing monitoring (SR 26-2 / OCC 2026-13)
# description: A credit or financial-risk model has ongoing performance monitoring configured.
# related_resources:
#   - ref: https://www.occ.treas.gov/news-issuances/bulletins/2026/bulletin-2026-13.html
#     description: Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (model validation and monitoring)
#   - ref: https://www.federalreserve.gov/supervisionreg/srletters/SR2602.htm
#     description: Federal Reserve SR 26-2 (17 April 2026), supersedes SR 11-7 and SR 21-8
# custom:
#   control_id: FIN-SR11-7-MONITORING
#   frameworks:
#     nist_ai_rmf: [MANAGE 4.1, MEASURE 2.4]
#     iso_42001: [A.6.2.6]
#   regulation: Finance
#   severity: medium
#   remediation: Configure ongoing monitoring for the model before promotion.
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
#     citation: Federal Reserve SR 11-7 / OCC 2011-12, Section V (Ongoing Monitoring), as adopted by the bank's model risk policy (rescinded 17 April 2026)
#     ref: https://www.federalreserve.gov/supervisionreg/srletters/sr1107.htm
#     effective_from: 2011-04-04
#     superseded_by: Federal Reserve SR 26-2 / OCC Bulletin 2026-13 (17 April 2026)
package finance.ongoing_monitoring

import data.lib.controls

control := {
	"control_id": "FIN-SR11-7-MONITORING",
	"regulation": "Finance",
	"citation": controls.model_risk_citation({
		"sr26_2": "Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (model validation and monitoring)",
		"sr11_7": "Federal Reserve SR 11-7 / OCC 2011-12, Section V (Ongoing Monitoring), as adopted by the bank's model risk policy (rescinded 17 April 2026)",
	}),
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
