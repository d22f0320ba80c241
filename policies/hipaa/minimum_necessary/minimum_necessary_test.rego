package hipaa.minimum_necessary_test

import data.hipaa.minimum_necessary
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "HIPAA-164.502b",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "HIPAA-164.502b",
		"regulation": "HIPAA",
		"citation": "45 CFR 164.502(b)",
		"severity": "medium",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_fields_with_purpose := fx.training([fx.phi_dataset])

input_no_fields := fx.training([object.union(fx.phi_dataset, {"phi_fields": []})])

input_field_without_purpose := fx.training([object.union(fx.phi_dataset, {"phi_fields": [{"name": "diagnosis", "purpose": "summaries"}, {"name": "ssn", "purpose": null}, {"name": "mrn", "purpose": " "}]})])

test_every_field_with_a_purpose_passes if {
	minimum_necessary.outcome == outcome("pass", "checked 1 PHI dataset(s)", []) with input as input_fields_with_purpose
}

test_no_phi_is_not_applicable if {
	minimum_necessary.outcome == outcome("not_applicable", "no dataset holds PHI", []) with input as fx.training([fx.public_dataset])
}

test_no_field_inventory_fails if {
	minimum_necessary.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 holds PHI but lists no PHI fields"]) with input as input_no_fields
}

test_fields_without_purpose_fail if {
	minimum_necessary.outcome == outcome("fail", "checked 1 PHI dataset(s)", [
		"PHI field mrn of dataset clinical-notes@3 has no recorded purpose",
		"PHI field ssn of dataset clinical-notes@3 has no recorded purpose",
	]) with input as input_field_without_purpose
}

test_unrecorded_fields_fail if {
	minimum_necessary.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["PHI dataset clinical-notes@3 has no phi_fields attested (recorded by compliance_officer)"]) with input as fx.training([object.union(fx.phi_dataset, {"phi_fields": null})])
}
