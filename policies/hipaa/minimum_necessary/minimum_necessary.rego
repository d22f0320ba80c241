# METADATA
# schemas:
#   - input: schema.input
# title: Minimum necessary PHI
# description: >-
#   Each PHI field a dataset uses is listed with the purpose it serves, so that only the
#   minimum necessary PHI reaches training.
# related_resources:
#   - ref: https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.502
#     description: 45 CFR 164.502(b)
# custom:
#   control_id: HIPAA-164.502b
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.10]
#     iso_42001: [A.7.2]
#   effective_from: 2003-04-14
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: HIPAA
#   severity: medium
#   remediation: >-
#     Have the compliance officer attest every PHI field of the dataset with the purpose
#     it serves (phi_fields); drop fields that serve none.
package hipaa.minimum_necessary

import data.lib.controls

control := {
	"control_id": "HIPAA-164.502b",
	"regulation": "HIPAA",
	"citation": "45 CFR 164.502(b)",
	"severity": "medium",
}

inventoried(dataset) if {
	controls.nonempty_array(dataset, "phi_fields")
}

failures contains controls.unattested(controls.message(["PHI dataset ", controls.label(dataset)]), "phi_fields") if {
	some dataset in controls.phi_datasets
	not is_array(dataset.phi_fields)
}

failures contains controls.message(["dataset ", controls.label(dataset), " holds PHI but lists no PHI fields"]) if {
	some dataset in controls.phi_datasets
	is_array(dataset.phi_fields)
	not inventoried(dataset)
}

failures contains controls.message(["PHI field ", object.get(field, "name", "unnamed"), " of dataset ", controls.label(dataset), " has no recorded purpose"]) if {
	some dataset in controls.phi_datasets
	some field in dataset.phi_fields
	not controls.recorded(field, "purpose")
}

outcome := controls.outcome(
	control,
	controls.scope(controls.phi_datasets, "PHI dataset(s)", "no dataset holds PHI"),
	failures,
	set(),
)
