# METADATA
# schemas:
#   - input: schema.input
# title: Lawful basis for processing personal data
# description: >-
#   Every dataset with personal data of EU/EEA data subjects records one of the six
#   lawful bases; consent as the basis needs a consent record reference.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e1888-1-1
#     description: GDPR Art. 6(1)
# custom:
#   control_id: GDPR-6.1
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1]
#     iso_42001: [A.7.3]
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: high
#   remediation: >-
#     Have the compliance officer attest the lawful basis (and consent_ref when it is
#     consent).
package gdpr.lawful_basis

import data.lib.controls

control := {
	"control_id": "GDPR-6.1",
	"regulation": "GDPR",
	"citation": "GDPR Art. 6(1)",
	"severity": "high",
}

failures contains controls.message(["dataset ", controls.label(dataset), " has no valid lawful basis recorded"]) if {
	some dataset in controls.gdpr_datasets
	not controls.member(dataset, "lawful_basis", data.gatehouse.gdpr.lawful_bases)
}

failures contains controls.message(["dataset ", controls.label(dataset), " relies on consent and ", controls.unattested("it", "consent_ref")]) if {
	some dataset in controls.gdpr_datasets
	dataset.lawful_basis == "consent"
	not controls.recorded(dataset, "consent_ref")
}

outcome := controls.outcome(
	control,
	controls.scope(controls.gdpr_datasets, "dataset(s) with EU/EEA personal data", "no dataset holds personal data of EU/EEA data subjects"),
	failures,
	set(),
)
