# METADATA
# schemas:
#   - input: schema.input
# title: Data protection impact assessment for high-risk processing
# description: >-
#   Processing EU/EEA personal data at high risk (special categories, large scale, or a
#   model making automated decisions with legal effect) needs a DPIA reference.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e3265-1-1
#     description: GDPR Art. 35
# custom:
#   control_id: GDPR-35
#   frameworks:
#     nist_ai_rmf: [MAP 5.1]
#     iso_42001: [A.5.2, A.5.4]
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: high
#   remediation: Carry out the DPIA and record its reference on the dataset.
package gdpr.dpia

import data.lib.controls

control := {
	"control_id": "GDPR-35",
	"regulation": "GDPR",
	"citation": "GDPR Art. 35",
	"severity": "high",
}

high_risk(dataset) if controls.special_category(dataset)

high_risk(dataset) if not controls.equals(dataset, "large_scale", false)

# A model whose legal effect nobody attested counts as making decisions with legal effect.
high_risk(_) if {
	is_object(input.model)
	not controls.equals(controls.model, "automated_decision_legal_effect", false)
}

why(dataset) := " (large-scale processing not attested, so it counts as large-scale)" if {
	not controls.special_category(dataset)
	not controls.equals(dataset, "large_scale", false)
	not controls.equals(dataset, "large_scale", true)
} else := ""

high_risk_datasets := [dataset | some dataset in controls.gdpr_datasets; high_risk(dataset)]

failures contains controls.message(["dataset ", controls.label(dataset), " is high-risk processing without a DPIA attested (recorded by ", data.gatehouse.fact_owners.dpia, ")", why(dataset)]) if {
	some dataset in high_risk_datasets
	not controls.recorded(dataset, "dpia_ref")
}

outcome := controls.outcome(
	control,
	controls.scope(high_risk_datasets, "high-risk dataset(s)", "no high-risk processing of EU/EEA personal data"),
	failures,
	set(),
)
