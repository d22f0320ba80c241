# METADATA
# schemas:
#   - input: schema.input
# title: Records of processing activities
# description: >-
#   A dataset with EU/EEA personal data records its controller, the purpose of
#   processing and the categories of personal data.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e3143-1-1
#     description: GDPR Art. 30
# custom:
#   control_id: GDPR-30
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1]
#     iso_42001: [A.7.5]
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: low
#   remediation: >-
#     Have the compliance officer attest the record of processing (processing_record:
#     controller, purpose and data categories).
package gdpr.records_of_processing

import data.lib.controls

control := {
	"control_id": "GDPR-30",
	"regulation": "GDPR",
	"citation": "GDPR Art. 30",
	"severity": "low",
}

# The record is attested as one fact; a document with none of its parts has none.
attested(dataset) if controls.recorded(dataset, "controller")

attested(dataset) if controls.recorded(dataset, "purpose")

attested(dataset) if categorised(dataset)

failures contains controls.unattested(controls.message(["dataset ", controls.label(dataset)]), "processing_record") if {
	some dataset in controls.gdpr_datasets
	not attested(dataset)
}

failures contains controls.message(["dataset ", controls.label(dataset), " has no ", field, " recorded"]) if {
	some dataset in controls.gdpr_datasets
	attested(dataset)
	some field in ["controller", "purpose"]
	not controls.recorded(dataset, field)
}

categorised(dataset) if {
	controls.nonempty_array(dataset, "data_categories")
}

failures contains controls.message(["dataset ", controls.label(dataset), " has no data categories recorded"]) if {
	some dataset in controls.gdpr_datasets
	attested(dataset)
	not categorised(dataset)
}

outcome := controls.outcome(
	control,
	controls.scope(controls.gdpr_datasets, "dataset(s) with EU/EEA personal data", "no dataset holds personal data of EU/EEA data subjects"),
	failures,
	set(),
)
