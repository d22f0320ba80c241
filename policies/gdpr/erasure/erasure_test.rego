package gdpr.erasure_test

import data.gdpr.erasure
import data.lib.fixtures_test as fx

finding(message) := {
	"control": "GDPR-17",
	"regulation": "GDPR",
	"citation": "GDPR Art. 17",
	"severity": "high",
	"message": message,
}

reason := "checked 1 dataset(s) with EU/EEA personal data"

pending := object.union(fx.eu_dataset, {"open_erasure_requests": 2})

input_no_requests := fx.training([fx.eu_dataset])

input_open_requests_at_training := fx.training([pending])

input_open_requests_at_promotion := fx.promotion({"datasets": [pending]})

test_no_open_requests_pass if {
	erasure.outcome == {"control_id": "GDPR-17", "status": "pass", "reason": reason, "violations": [], "warnings": []} with input as input_no_requests
}

test_no_eu_subjects_is_not_applicable if {
	erasure.outcome == {"control_id": "GDPR-17", "status": "not_applicable", "reason": "no dataset holds personal data of EU/EEA data subjects", "violations": [], "warnings": []} with input as fx.training([fx.public_dataset])
}

test_open_requests_block_training if {
	erasure.outcome == {
		"control_id": "GDPR-17",
		"status": "fail",
		"reason": reason,
		"violations": [finding("dataset loan-applicants@7 has 2 unresolved erasure request(s)")],
		"warnings": [],
	} with input as input_open_requests_at_training
}

test_open_requests_flag_promotion if {
	erasure.outcome == {
		"control_id": "GDPR-17",
		"status": "pass",
		"reason": reason,
		"violations": [],
		"warnings": [finding("the model was trained on data with pending erasure: dataset loan-applicants@7 has 2 unresolved erasure request(s)")],
	} with input as input_open_requests_at_promotion
}

# An unknown count of erasure requests counts as open ones.
test_unknown_request_count_blocks_training if {
	erasure.outcome == {
		"control_id": "GDPR-17",
		"status": "fail",
		"reason": reason,
		"violations": [finding("dataset loan-applicants@7 has unknown unresolved erasure request(s)")],
		"warnings": [],
	} with input as fx.training([object.remove(fx.eu_dataset, {"open_erasure_requests"})])
}
