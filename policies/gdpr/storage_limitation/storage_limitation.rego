# METADATA
# schemas:
#   - input: schema.input
# title: Storage limitation
# description: >-
#   A dataset with EU/EEA personal data has a retention deadline, and the deadline has
#   not passed.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e1807-1-1
#     description: GDPR Art. 5(1)(e)
# custom:
#   control_id: GDPR-5.1e
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1, MEASURE 2.10]
#     iso_42001: []
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: medium
#   remediation: >-
#     Have the compliance officer attest the retention deadline (retention_until); delete
#     or re-justify data past it.
package gdpr.storage_limitation

import data.lib.controls

control := {
	"control_id": "GDPR-5.1e",
	"regulation": "GDPR",
	"citation": "GDPR Art. 5(1)(e)",
	"severity": "medium",
}

# Each dataset's retention deadline (ns since the epoch) by its place in gdpr_datasets,
# none where it does not parse: a rule, so each deadline is parsed once per decision.
deadline_ns[i] := time.parse_rfc3339_ns(dataset.retention_until) if {
	some i, dataset in controls.gdpr_datasets
}

# Inside a rule, so that an unknown evaluation time makes it false rather than the
# failure below undefined (OPA would hoist `controls.now_ns` out of a bare `not`).
within_retention(i) if deadline_ns[i] > controls.now_ns

# Past the deadline, or an unknown evaluation time (fail closed).
failures contains controls.message(["dataset ", controls.label(dataset), " is past its retention deadline ", dataset.retention_until]) if {
	some i, dataset in controls.gdpr_datasets
	deadline_ns[i]
	not within_retention(i)
}

failures contains controls.unattested(controls.message(["dataset ", controls.label(dataset)]), "retention_until") if {
	some dataset in controls.gdpr_datasets
	object.get(dataset, "retention_until", null) == null
}

failures contains controls.message(["dataset ", controls.label(dataset), " has no valid retention deadline"]) if {
	some i, dataset in controls.gdpr_datasets
	object.get(dataset, "retention_until", null) != null
	not deadline_ns[i]
}

outcome := controls.outcome(
	control,
	controls.scope(controls.gdpr_datasets, "dataset(s) with EU/EEA personal data", "no dataset holds personal data of EU/EEA data subjects"),
	failures,
	set(),
)
