package gdpr.records_of_processing_test

import data.gdpr.records_of_processing
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "GDPR-30",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "GDPR-30",
		"regulation": "GDPR",
		"citation": "GDPR Art. 30",
		"severity": "low",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked 1 dataset(s) with EU/EEA personal data"

input_recorded := fx.training([fx.eu_dataset])

input_unrecorded := fx.training([object.union(fx.eu_dataset, {"controller": null, "purpose": "", "data_categories": []})])

test_records_complete_pass if {
	records_of_processing.outcome == outcome("pass", reason, []) with input as input_recorded
}

test_no_eu_subjects_is_not_applicable if {
	records_of_processing.outcome == outcome("not_applicable", "no dataset holds personal data of EU/EEA data subjects", []) with input as fx.training([fx.public_dataset])
}

# Nothing of the record: it was never attested.
test_missing_records_fail if {
	records_of_processing.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no processing_record attested (recorded by compliance_officer)"]) with input as input_unrecorded
}

test_an_unattested_record_fails if {
	records_of_processing.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no processing_record attested (recorded by compliance_officer)"]) with input as fx.training([object.remove(fx.eu_dataset, {"controller", "purpose", "data_categories"})])
}

test_missing_records_fail if {
	records_of_processing.outcome == outcome("fail", reason, [
		"dataset loan-applicants@7 has no controller recorded",
		"dataset loan-applicants@7 has no data categories recorded",
	]) with input as fx.training([object.remove(fx.eu_dataset, {"controller", "data_categories"})])
}
