# METADATA
# schemas:
#   - input: schema.input
# title: Condition for processing special categories of personal data
# description: >-
#   A dataset with special-category data (health, biometric, genetic, racial or ethnic
#   origin, religion, sex life, political opinion, union membership) of EU/EEA data
#   subjects records the Art. 9(2) condition (a)-(j) it relies on.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e2051-1-1
#     description: GDPR Art. 9(2)
# custom:
#   control_id: GDPR-9.2
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1, MEASURE 2.10]
#     iso_42001: [A.7.3]
#   effective_from: 2018-05-25
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: GDPR
#   severity: high
#   remediation: Record the Art. 9(2) condition on the dataset, or remove the special-category data.
package gdpr.special_category

import data.lib.controls

control := {
	"control_id": "GDPR-9.2",
	"regulation": "GDPR",
	"citation": "GDPR Art. 9(2)",
	"severity": "high",
}

special_datasets := [dataset | some dataset in controls.gdpr_datasets; controls.special_category(dataset)]

failures contains controls.message(["dataset ", controls.label(dataset), " holds special-category data without an Art. 9(2) condition"]) if {
	some dataset in special_datasets
	not controls.member(dataset, "art9_condition", data.gatehouse.gdpr.art9_conditions)
}

outcome := controls.outcome(
	control,
	controls.scope(special_datasets, "dataset(s) with special-category data", "no dataset holds special-category data of EU/EEA data subjects"),
	failures,
	set(),
)
