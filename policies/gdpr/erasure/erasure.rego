# METADATA
# schemas:
#   - input: schema.input
# title: Right to erasure
# description: >-
#   A dataset version with an unresolved erasure request cannot be used for training.
#   At promotion, a model trained on such a dataset is flagged with a warning.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e2606-1-1
#     description: GDPR Art. 17
# custom:
#   control_id: GDPR-17
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.10]
#     iso_42001: [A.7.5]
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: high
#   remediation: Resolve the erasure requests and publish a new dataset version without the data.
package gdpr.erasure

import data.lib.controls

control := {
	"control_id": "GDPR-17",
	"regulation": "GDPR",
	"citation": "GDPR Art. 17",
	"severity": "high",
}

open_requests := [dataset | some dataset in controls.gdpr_datasets; not controls.equals(dataset, "open_erasure_requests", 0)]

message(dataset) := controls.message(["dataset ", controls.label(dataset), " has ", object.get(dataset, "open_erasure_requests", "unknown"), " unresolved erasure request(s)"])

promotion if input.gate == "production_promotion"

failures contains message(dataset) if {
	not promotion
	some dataset in open_requests
}

warnings contains controls.message(["the model was trained on data with pending erasure: ", message(dataset)]) if {
	promotion
	some dataset in open_requests
}

outcome := controls.outcome(
	control,
	controls.scope(controls.gdpr_datasets, "dataset(s) with EU/EEA personal data", "no dataset holds personal data of EU/EEA data subjects"),
	failures,
	warnings,
)
