package gdpr.storage_limitation_test

import data.gdpr.storage_limitation
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "GDPR-5.1e",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "GDPR-5.1e",
		"regulation": "GDPR",
		"citation": "GDPR Art. 5(1)(e)",
		"severity": "medium",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked 1 dataset(s) with EU/EEA personal data"

input_within_retention := fx.training([fx.eu_dataset])

input_past_retention := fx.training([object.union(fx.eu_dataset, {"retention_until": "2026-01-01T00:00:00+00:00"})])

input_no_retention := fx.training([object.union(fx.eu_dataset, {"retention_until": null})])

test_retention_in_the_future_passes if {
	storage_limitation.outcome == outcome("pass", reason, []) with input as input_within_retention
}

test_no_eu_subjects_is_not_applicable if {
	storage_limitation.outcome == outcome("not_applicable", "no dataset holds personal data of EU/EEA data subjects", []) with input as fx.training([fx.phi_dataset])
}

test_past_retention_fails if {
	storage_limitation.outcome == outcome("fail", reason, ["dataset loan-applicants@7 is past its retention deadline 2026-01-01T00:00:00+00:00"]) with input as input_past_retention
}

test_missing_retention_fails if {
	storage_limitation.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no retention_until attested (recorded by compliance_officer)"]) with input as input_no_retention
}

test_missing_retention_fails if {
	storage_limitation.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no retention_until attested (recorded by compliance_officer)"]) with input as fx.training([object.remove(fx.eu_dataset, {"retention_until"})])
}

# A deadline that does not parse is no deadline (each is parsed once, by deadline_ns).
test_an_unreadable_retention_deadline_fails if {
	storage_limitation.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no valid retention deadline"]) with input as fx.training([object.union(fx.eu_dataset, {"retention_until": "31/12/2099"})])
}

# Without a known evaluation time no deadline can be shown to lie ahead: fail closed.
test_an_unknown_evaluation_time_fails_a_future_deadline if {
	deadline := fx.eu_dataset.retention_until
	storage_limitation.outcome == outcome("fail", reason, [concat("", ["dataset loan-applicants@7 is past its retention deadline ", deadline])]) with input as object.remove(input_within_retention, {"now"})
}
