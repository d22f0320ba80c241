# METADATA
# schemas:
#   - input: schema.input
# title: PHI datasets are encrypted at rest
# description: Every stored dataset holding PHI is encrypted at rest.
# related_resources:
#   - ref: https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C/section-164.312
#     description: 45 CFR 164.312(a)(2)(iv)
# custom:
#   control_id: HIPAA-164.312a2iv
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.7]
#     iso_42001: []
#   effective_from: 2005-04-20
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: HIPAA
#   severity: high
#   remediation: Store the dataset on encrypted storage and record it on the dataset version.
package hipaa.encryption_at_rest

import data.lib.controls

control := {
	"control_id": "HIPAA-164.312a2iv",
	"regulation": "HIPAA",
	"citation": "45 CFR 164.312(a)(2)(iv)",
	"severity": "high",
}

failures contains controls.message(["dataset ", controls.label(dataset), " holds PHI and is not encrypted at rest"]) if {
	some dataset in controls.phi_datasets
	controls.equals(dataset, "encrypted_at_rest", false)
}

failures contains controls.unattested(controls.message(["PHI dataset ", controls.label(dataset)]), "encryption_at_rest") if {
	some dataset in controls.phi_datasets
	not controls.is_true(dataset, "encrypted_at_rest")
	not controls.equals(dataset, "encrypted_at_rest", false)
}

outcome := controls.outcome(
	control,
	controls.scope(controls.phi_datasets, "PHI dataset(s)", "no dataset holds PHI"),
	failures,
	set(),
)
