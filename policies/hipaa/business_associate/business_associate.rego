# METADATA
# schemas:
#   - input: schema.input
# title: Business associate agreement with an external fine-tuning platform
# description: >-
#   PHI sent to an externally hosted fine-tuning platform requires a business associate
#   agreement with that vendor, recorded on each PHI dataset. A run whose hosting is not
#   recorded as internal counts as external.
# related_resources:
#   - ref: https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-E/section-164.502
#     description: 45 CFR 164.502(e), 164.504(e)
# custom:
#   control_id: HIPAA-164.502e
#   frameworks:
#     nist_ai_rmf: [GOVERN 6.1]
#     iso_42001: [A.10.3]
#   effective_from: 2003-04-14
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: HIPAA
#   severity: high
#   remediation: >-
#     Sign a business associate agreement with the platform vendor and record its
#     reference on the dataset, or fine-tune on internal infrastructure.
package hipaa.business_associate

import data.lib.controls

control := {
	"control_id": "HIPAA-164.502e",
	"regulation": "HIPAA",
	"citation": "45 CFR 164.502(e), 164.504(e)",
	"severity": "high",
}

# The vendor the data goes to: a vendor platform's own, or the one the compliance officer
# attested for a run elsewhere. An unknown vendor is covered by no agreement.
vendor := input.run.vendor if {
	controls.recorded(controls.run, "vendor")
} else := controls.message(["unknown (", controls.unattested("the run", "training_vendor"), ")"])

internal if input.run.hosting == "internal"

# Unknown hosting counts as external: the message says so and who records it.
hosting_note := "" if {
	controls.string_field(controls.run, "hosting")
} else := controls.message([" (", controls.unattested("the run", "hosting"), ", so it counts as external)"])

covered(dataset) if {
	controls.recorded(controls.run, "vendor")
	some agreement in dataset.baa_refs
	agreement.vendor == vendor
	controls.recorded(agreement, "ref")
}

failures contains controls.message(["dataset ", controls.label(dataset), " holds PHI and goes to external vendor ", vendor, " without a business associate agreement", hosting_note]) if {
	not internal
	some dataset in controls.phi_datasets
	not covered(dataset)
}

scope := {"applicable": false, "reason": "the run is hosted internally; no business associate receives PHI"} if {
	controls.hipaa_applies
	internal
} else := controls.scope(controls.phi_datasets, "PHI dataset(s) sent to an external platform", "no dataset holds PHI")

outcome := controls.outcome(control, scope, failures, set())
