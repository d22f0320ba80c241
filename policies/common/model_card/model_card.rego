# METADATA
# schemas:
#   - input: schema.input
# title: Model card complete
# description: >-
#   The model card has every required section (after Mitchell et al.) filled in, and
#   reports no section as missing.
# related_resources:
#   - ref: https://arxiv.org/abs/1810.03993
#     description: Mitchell et al., Model Cards for Model Reporting (FAT* 2019)
# custom:
#   control_id: COMMON-MODEL-CARD
#   frameworks:
#     nist_ai_rmf: [MAP 2.2]
#     iso_42001: [A.6.2.7, A.8.2]
#   effective_from: 2026-11-26
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Common
#   severity: medium
#   remediation: Fill in the missing model card sections.
package common.model_card

import data.lib.controls

control := {
	"control_id": "COMMON-MODEL-CARD",
	"regulation": "Common",
	"citation": "Mitchell et al., Model Cards for Model Reporting (FAT* 2019)",
	"severity": "medium",
}

# The card's sections, or none when the model has no card.
sections := input.card.sections if {
	is_object(input.card.sections)
} else := {}

failures contains controls.message(["model card section ", section, " is missing or empty"]) if {
	some section in data.gatehouse.model_card.required_sections
	not controls.recorded(sections, section)
}

failures contains controls.message(["model card reports section ", section, " as missing"]) if {
	some section in input.card.missing
}

outcome := controls.outcome(
	control,
	{"applicable": true, "reason": "checked the model card"},
	failures,
	set(),
)
