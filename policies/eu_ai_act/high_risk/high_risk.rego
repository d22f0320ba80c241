# METADATA
# schemas:
#   - input: schema.input
# title: High-risk AI system requirements (EU AI Act Art. 9-15, Annex III)
# description: >-
#   A model placed on the EU market for an Annex III use (credit scoring of natural
#   persons, life and health insurance pricing, emergency triage, eligibility for public
#   benefits, employment, education) has the high-risk evidence: a risk management
#   system (Art. 9), data governance of its training, validation and test data
#   (Art. 10), technical documentation (Art. 11), automatic logging by the deployment
#   (Art. 12; Gatehouse's ledger records the gate decisions beside it), instructions
#   for use for deployers (Art. 13), human oversight of its decisions (Art. 14) and
#   accuracy, robustness and cybersecurity evidence (Art. 15). An unattested use counts
#   as high-risk.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2024/1689/oj
#     description: Regulation (EU) 2024/1689 (AI Act) Art. 6(2) and Annex III; Art. 9-15
# custom:
#   control_id: EUAIA-HIGH-RISK
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1, MAP 3.5, MEASURE 2.5, MEASURE 2.8]
#     iso_42001: [A.5.2, A.6.2.7, A.6.2.8, A.7.4]
#   effective_from: 2027-12-02
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: EU AI Act
#   severity: high
#   remediation: >-
#     Attest the Annex III use; for a high-risk use record the Art. 9, 10, 11, 13 and 15
#     references, keep access logging on for the deployment and attest human review.
#   application: >-
#     Annex III high-risk requirements apply from 2 December 2027 under the Digital
#     Omnibus on AI (political agreement 7 May 2026; Parliament 16 June 2026; Council 29
#     June 2026, as reported; publication in the Official Journal not confirmed from a
#     primary source through search). Before the date in
#     data.gatehouse.eu_ai_act.application_dates.annex_iii_high_risk the gate warns;
#     from it the gate denies. Change the date there if the adopted text differs.
#   generative_ai: >-
#     A fine-tuned LLM used for an Annex III purpose is a high-risk AI system like any
#     other model; what makes it high-risk is the use, not the technique.
package eu_ai_act.high_risk

import data.lib.controls

control := {
	"control_id": "EUAIA-HIGH-RISK",
	"regulation": "EU AI Act",
	"citation": "Regulation (EU) 2024/1689 (AI Act) Art. 6(2) and Annex III; Art. 9-15",
	"severity": "high",
}

date := data.gatehouse.eu_ai_act.application_dates.annex_iii_high_risk

high_risk if not controls.equals(controls.model, "annex_iii_use", "none")

evidence := controls.model.high_risk_evidence if {
	controls.object_field(controls.model, "high_risk_evidence")
} else := {}

requirements := {
	"risk_management_ref": "risk management system (Art. 9)",
	"data_governance_ref": "data governance of the training, validation and test data (Art. 10)",
	"technical_documentation_ref": "technical documentation (Art. 11)",
	"instructions_for_use_ref": "instructions for use for deployers (Art. 13)",
	"accuracy_robustness_ref": "accuracy, robustness and cybersecurity evidence (Art. 15)",
}

gaps contains controls.unattested("the model", "annex_iii_use") if {
	not controls.string_field(controls.model, "annex_iii_use")
}

gaps contains controls.message(["the high-risk model has no ", requirements[key]]) if {
	controls.object_field(controls.model, "high_risk_evidence")
	some key, _ in requirements
	not controls.recorded(evidence, key)
}

gaps contains controls.message([controls.unattested("the high-risk model", "high_risk_evidence"), " (Art. 9, 10, 11, 13, 15)"]) if {
	not controls.object_field(controls.model, "high_risk_evidence")
}

gaps contains "the deployment does not log the model's use (Art. 12 record-keeping)" if {
	controls.equals(controls.deployment, "access_logging", false)
}

gaps contains controls.message([controls.unattested("the deployment", "access_logging"), " (Art. 12 record-keeping)"]) if {
	not controls.is_true(controls.deployment, "access_logging")
	not controls.equals(controls.deployment, "access_logging", false)
}

gaps contains "the model's decisions have no human oversight (Art. 14)" if {
	controls.equals(controls.model, "human_review", false)
}

gaps contains controls.message([controls.unattested("the model", "human_review"), " (Art. 14 human oversight)"]) if {
	not controls.is_true(controls.model, "human_review")
	not controls.equals(controls.model, "human_review", false)
}

# Only what the control judges: nothing when the pack or the use does not apply.
findings := gaps if {
	controls.eu_ai_act_applies
	high_risk
} else := set()

use_text := controls.model.annex_iii_use if {
	controls.string_field(controls.model, "annex_iii_use")
} else := "unattested"

scope := {"applicable": false, "reason": "the model is not placed on the EU market"} if {
	not controls.eu_ai_act_applies
} else := {"applicable": true, "reason": controls.message(["checked the high-risk evidence for Annex III use ", use_text])} if {
	high_risk
} else := {"applicable": false, "reason": "the model's attested use is in no Annex III area"}

outcome := controls.dated_outcome(control, scope, findings, date)
