package gdpr.lawful_basis_test

import data.gdpr.lawful_basis
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "GDPR-6.1",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "GDPR-6.1",
		"regulation": "GDPR",
		"citation": "GDPR Art. 6(1)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked 1 dataset(s) with EU/EEA personal data"

input_contract := fx.training([fx.eu_dataset])

input_consent_with_record := fx.training([object.union(fx.eu_dataset, {"lawful_basis": "consent", "consent_ref": "CONSENT-v4"})])

input_no_basis := fx.training([object.union(fx.eu_dataset, {"lawful_basis": null})])

input_consent_without_record := fx.training([object.union(fx.eu_dataset, {"lawful_basis": "consent"})])

input_us_subjects_only := fx.training([object.union(fx.eu_dataset, {"data_subjects_regions": ["US"], "lawful_basis": null})])

test_contract_passes if {
	lawful_basis.outcome == outcome("pass", reason, []) with input as input_contract
}

test_consent_with_record_passes if {
	lawful_basis.outcome == outcome("pass", reason, []) with input as input_consent_with_record
}

test_no_eu_subjects_is_not_applicable if {
	lawful_basis.outcome == outcome("not_applicable", "no dataset holds personal data of EU/EEA data subjects", []) with input as input_us_subjects_only
}

test_missing_basis_fails if {
	lawful_basis.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no valid lawful basis recorded"]) with input as input_no_basis
}

test_consent_without_record_fails if {
	lawful_basis.outcome == outcome("fail", reason, ["dataset loan-applicants@7 relies on consent and it has no consent_ref attested (recorded by compliance_officer)"]) with input as input_consent_without_record
}

test_unattested_basis_fails if {
	lawful_basis.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no valid lawful basis recorded"]) with input as fx.training([object.remove(fx.eu_dataset, {"lawful_basis"})])
}
