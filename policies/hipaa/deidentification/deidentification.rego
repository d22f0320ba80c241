# METADATA
# schemas:
#   - input: schema.input
# title: PHI is de-identified before training
# description: >-
#   Every dataset holding PHI must be de-identified, either by Safe Harbor (the PII/PHI
#   scan finds no remaining identifiers) or by Expert Determination (with a reference to
#   the determination). Pseudonymised data is still PHI.
# related_resources:
#   - ref: https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.514
#     description: 45 CFR 164.514(a)-(b)
# custom:
#   control_id: HIPAA-164.514
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1, MEASURE 2.10]
#     iso_42001: [A.7.6]
#   effective_from: 2003-04-14
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: HIPAA
#   severity: high
#   remediation: >-
#     De-identify the dataset by Safe Harbor and re-scan until no identifiers remain, or
#     record the expert determination reference.
package hipaa.deidentification

import data.lib.controls

control := {
	"control_id": "HIPAA-164.514",
	"regulation": "HIPAA",
	"citation": "45 CFR 164.514(a)-(b)",
	"severity": "high",
}

deidentified(dataset) if {
	dataset.deidentification_method == "safe_harbor"
	dataset.pii_findings_count == 0
}

deidentified(dataset) if {
	dataset.deidentification_method == "expert_determination"
	controls.recorded(dataset, "expert_determination_ref")
}

problem(dataset) := controls.message(["dataset ", controls.label(dataset), " is de-identified by Safe Harbor but was never scanned for identifiers (scan it: gatehouse dataset scan)"]) if {
	dataset.deidentification_method == "safe_harbor"
	not is_number(object.get(dataset, "pii_findings_count", null))
} else := controls.message(["dataset ", controls.label(dataset), " is de-identified by Safe Harbor but the scan still finds ", object.get(dataset, "pii_findings_count", "unknown"), " identifier(s)"]) if {
	dataset.deidentification_method == "safe_harbor"
} else := controls.message(["dataset ", controls.label(dataset), " is de-identified by expert determination without a determination reference attested (recorded by ", data.gatehouse.fact_owners.expert_determination, ")"]) if {
	dataset.deidentification_method == "expert_determination"
} else := controls.unattested(controls.message(["PHI dataset ", controls.label(dataset)]), "deidentification_method") if {
	object.get(dataset, "deidentification_method", null) == null
} else := controls.message(["dataset ", controls.label(dataset), " contains PHI and is not de-identified"])

failures contains problem(dataset) if {
	some dataset in controls.phi_datasets
	not deidentified(dataset)
}

outcome := controls.outcome(
	control,
	controls.scope(controls.phi_datasets, "PHI dataset(s)", "no dataset holds PHI"),
	failures,
	set(),
)
