# METADATA
# schemas:
#   - input: schema.input
# title: Transfers of personal data outside the EEA
# description: >-
#   When a dataset with EU/EEA personal data is stored, or a run trains on it, outside
#   the EEA, the transfer relies on an adequacy decision for that region or on standard
#   contractual clauses / binding corporate rules with a recorded reference.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e3606-1-1
#     description: GDPR Art. 44-46
# custom:
#   control_id: GDPR-44
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1]
#     iso_42001: []
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: high
#   remediation: >-
#     Keep storage and training in the EEA, or have the compliance officer attest the
#     transfer (SCC/BCR with its reference, or an adequacy decision for the region) and the
#     run's training_region.
package gdpr.transfers

import data.lib.controls

control := {
	"control_id": "GDPR-44",
	"regulation": "GDPR",
	"citation": "GDPR Art. 44-46",
	"severity": "high",
}

# Where each dataset's data lives: its storage region, and the training region of the run.
# Where the data is stored and trained on, as far as recorded (unknown places fail below).
locations(dataset) := {region |
	some region in [object.get(dataset, "residency_region", null), object.get(controls.run, "region", null)]
	is_string(region)
}

lawful_transfer(_, region) if region in data.gatehouse.regions.eea

lawful_transfer(dataset, region) if {
	dataset.transfer_mechanism == "adequacy"
	region in data.gatehouse.regions.adequacy
}

lawful_transfer(dataset, _) if {
	dataset.transfer_mechanism in {"scc", "bcr"}
	controls.recorded(dataset, "transfer_ref")
}

failures contains controls.unattested(controls.message(["dataset ", controls.label(dataset)]), "residency_region") if {
	some dataset in controls.gdpr_datasets
	not controls.recorded(dataset, "residency_region")
}

# A run whose training region is unknown may train anywhere: nothing shows the transfer is lawful.
failures contains controls.unattested(controls.message(["the run taking dataset ", controls.label(dataset)]), "training_region") if {
	is_object(input.run)
	not controls.recorded(controls.run, "region")
	some dataset in controls.gdpr_datasets
}

failures contains controls.message(["dataset ", controls.label(dataset), " is transferred to ", region, " without an adequacy decision, SCC or BCR", unattested_mechanism(dataset)]) if {
	some dataset in controls.gdpr_datasets
	some region in locations(dataset)
	not lawful_transfer(dataset, region)
}

# Why no mechanism counts, when nobody attested one.
unattested_mechanism(dataset) := "" if {
	controls.recorded(dataset, "transfer_mechanism")
} else := controls.message(["; ", controls.unattested("it", "transfer")])

outcome := controls.outcome(
	control,
	controls.scope(controls.gdpr_datasets, "dataset(s) with EU/EEA personal data", "no dataset holds personal data of EU/EEA data subjects"),
	failures,
	set(),
)
