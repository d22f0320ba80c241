# METADATA
# schemas:
#   - input: schema.input
# title: Audit controls on a production deployment handling PHI
# description: >-
#   A production deployment of a model trained on PHI records access (access logging)
#   and is monitored.
# related_resources:
#   - ref: https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C/section-164.312
#     description: 45 CFR 164.312(b)
# custom:
#   control_id: HIPAA-164.312b
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.8]
#     iso_42001: [A.6.2.8]
#   effective_from: 2005-04-20
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: HIPAA
#   severity: high
#   remediation: Enable access logging and monitoring on the deployment before promotion.
package hipaa.audit_controls

import data.lib.controls

control := {
	"control_id": "HIPAA-164.312b",
	"regulation": "HIPAA",
	"citation": "45 CFR 164.312(b)",
	"severity": "high",
}

subject := "the production deployment handling PHI"

# Attested false, or attested by nobody: each says which.
logging_gap := concat(" ", [subject, "has no access logging"]) if {
	controls.equals(controls.deployment, "access_logging", false)
} else := controls.unattested(subject, "access_logging")

monitoring_gap := concat(" ", [subject, "is not monitored"]) if {
	controls.equals(controls.deployment, "monitoring", false)
} else := controls.unattested(subject, "activity_monitoring")

failures contains logging_gap if {
	controls.hipaa_applies
	not controls.is_true(controls.deployment, "access_logging")
}

failures contains monitoring_gap if {
	controls.hipaa_applies
	not controls.is_true(controls.deployment, "monitoring")
}

outcome := controls.outcome(
	control,
	controls.scope(controls.phi_datasets, "PHI dataset(s) behind the deployment", "no dataset holds PHI"),
	failures,
	set(),
)
