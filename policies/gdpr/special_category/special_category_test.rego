package gdpr.special_category_test

import data.gdpr.special_category
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "GDPR-9.2",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "GDPR-9.2",
		"regulation": "GDPR",
		"citation": "GDPR Art. 9(2)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked 1 dataset(s) with special-category data"

input_explicit_consent := fx.training([object.union(fx.eu_dataset, {"special_category": true, "art9_condition": "a"})])

input_no_condition := fx.training([object.union(fx.eu_dataset, {"special_category": true})])

test_art9_condition_passes if {
	special_category.outcome == outcome("pass", reason, []) with input as input_explicit_consent
}

test_no_special_category_is_not_applicable if {
	special_category.outcome == outcome("not_applicable", "no dataset holds special-category data of EU/EEA data subjects", []) with input as fx.training([fx.eu_dataset])
}

test_missing_condition_fails if {
	special_category.outcome == outcome("fail", reason, ["dataset loan-applicants@7 holds special-category data without an Art. 9(2) condition"]) with input as input_no_condition
}

# Unknown special-category status counts as special category.
test_unclassified_needs_a_condition if {
	special_category.outcome == outcome("fail", reason, ["dataset loan-applicants@7 holds special-category data without an Art. 9(2) condition"]) with input as fx.training([object.union(fx.eu_dataset, {"special_category": null})])
}
