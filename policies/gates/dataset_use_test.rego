package gates.dataset_use_test

import data.gates.dataset_use
import data.lib.fixtures_test as fx

input_special_without_condition := object.union(fx.training([object.union(fx.eu_dataset, {"special_category": true})]), {"gate": "dataset_use"})

test_special_category_without_art9_condition_is_denied if {
	decision := dataset_use.decision with input as input_special_without_condition
	decision.allow == false
	decision.violations == [{
		"control": "GDPR-9.2",
		"regulation": "GDPR",
		"citation": "GDPR Art. 9(2)",
		"severity": "high",
		"message": "dataset loan-applicants@7 holds special-category data without an Art. 9(2) condition",
	}]
	[outcome.control_id | some outcome in decision.controls] == ["GDPR-17", "GDPR-30", "GDPR-35", "GDPR-44", "GDPR-5.1e", "GDPR-6.1", "GDPR-9.2"]
}
