# METADATA
# schemas:
#   - input: schema.input
# title: Automated decisions with legal or similarly significant effect
# description: >-
#   A model that makes automated decisions with legal or similarly significant effect on
#   EU/EEA data subjects has human review and explanations available (an explainability
#   audit).
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e2838-1-1
#     description: GDPR Art. 22; Recital 71
# custom:
#   control_id: GDPR-22
#   frameworks:
#     nist_ai_rmf: [MAP 3.5, MEASURE 2.9]
#     iso_42001: [A.9.2]
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: high
#   remediation: Put a human reviewer in the decision loop and run an explainability audit.
#   judges: [explainability_audit]
package gdpr.automated_decisions

import data.lib.controls

control := {
	"control_id": "GDPR-22",
	"regulation": "GDPR",
	"citation": "GDPR Art. 22; Recital 71",
	"severity": "high",
}

# An explainability audit counts when someone who did not build the model ran it.
explained if {
	some audit in input.audits
	audit.kind == "explainability"
	time.parse_rfc3339_ns(audit.finished_at)
	controls.independent_of_makers(object.get(audit, "requested_by", null))
}

# Unknown legal effect counts as legal effect; the messages say when that is why.
premise := "the model makes automated decisions with legal effect" if {
	controls.is_true(controls.model, "automated_decision_legal_effect")
} else := controls.message([controls.unattested("the model", "legal_effect"), " and so counts as making automated decisions with legal effect"])

failures contains controls.message([premise, " without human review"]) if {
	controls.equals(controls.model, "human_review", false)
}

failures contains controls.message([premise, "; ", controls.unattested("it", "human_review")]) if {
	not controls.is_true(controls.model, "human_review")
	not controls.equals(controls.model, "human_review", false)
}

failures contains controls.message([premise, " without an explainability audit run by someone who did not build it"]) if {
	not explained
}

scope := {"applicable": false, "reason": "the model makes no automated decision with legal effect"} if {
	controls.equals(controls.model, "automated_decision_legal_effect", false)
} else := controls.scope(controls.gdpr_datasets, "dataset(s) with EU/EEA personal data behind automated decisions", "no dataset holds personal data of EU/EEA data subjects")

outcome := controls.outcome(control, scope, failures, set())
