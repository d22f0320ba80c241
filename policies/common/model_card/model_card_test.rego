package common.model_card_test

import data.common.model_card
import data.lib.fixtures_test as fx

outcome(status, messages) := {
	"control_id": "COMMON-MODEL-CARD",
	"status": status,
	"reason": "checked the model card",
	"violations": [{
		"control": "COMMON-MODEL-CARD",
		"regulation": "Common",
		"citation": "Mitchell et al., Model Cards for Model Reporting (FAT* 2019)",
		"severity": "medium",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_complete := fx.promotion({})

input_gaps := fx.promotion({"card": {
	"sections": object.union(fx.card.sections, {"caveats": "", "ethical_considerations": "  "}),
	"missing": ["caveats"],
}})

test_complete_card_passes if {
	model_card.outcome == outcome("pass", []) with input as input_complete
}

test_empty_and_reported_missing_sections_fail if {
	model_card.outcome == outcome("fail", [
		"model card reports section caveats as missing",
		"model card section caveats is missing or empty",
		"model card section ethical_considerations is missing or empty",
	]) with input as input_gaps
}

test_no_card_fails_every_section if {
	model_card.outcome == outcome("fail", [sprintf("model card section %s is missing or empty", [section]) |
		some section in sort(data.gatehouse.model_card.required_sections)
	]) with input as fx.promotion({"card": null})
}
