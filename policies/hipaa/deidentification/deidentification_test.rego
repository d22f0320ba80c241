package hipaa.deidentification_test

import data.hipaa.deidentification
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "HIPAA-164.514",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "HIPAA-164.514",
		"regulation": "HIPAA",
		"citation": "45 CFR 164.514(a)-(b)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_safe_harbor := fx.training([fx.phi_dataset])

input_expert_determination := fx.training([object.union(fx.phi_dataset, {"deidentification_method": "expert_determination", "expert_determination_ref": "ED-2026-2"})])

input_not_deidentified := fx.training([object.union(fx.phi_dataset, {"deidentification_method": "none"})])

input_pseudonymised := fx.training([object.union(fx.phi_dataset, {"deidentification_method": "pseudonymised"})])

input_identifiers_remain := fx.training([object.union(fx.phi_dataset, {"pii_findings_count": 3})])

input_expert_without_reference := fx.training([object.union(fx.phi_dataset, {"deidentification_method": "expert_determination"})])

input_unclassified := fx.training([{"id": "ds-x"}])

test_safe_harbor_passes if {
	deidentification.outcome == outcome("pass", "checked 1 PHI dataset(s)", []) with input as input_safe_harbor
}

test_expert_determination_with_reference_passes if {
	deidentification.outcome == outcome("pass", "checked 1 PHI dataset(s)", []) with input as input_expert_determination
}

test_no_phi_is_not_applicable if {
	deidentification.outcome == outcome("not_applicable", "no dataset holds PHI", []) with input as fx.training([fx.public_dataset])
}

test_not_deidentified_fails if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 contains PHI and is not de-identified"]) with input as input_not_deidentified
}

test_pseudonymised_is_still_phi if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 contains PHI and is not de-identified"]) with input as input_pseudonymised
}

test_remaining_identifiers_fail if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 is de-identified by Safe Harbor but the scan still finds 3 identifier(s)"]) with input as input_identifiers_remain
}

test_expert_determination_without_reference_fails if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 is de-identified by expert determination without a determination reference attested (recorded by compliance_officer)"]) with input as input_expert_without_reference
}

# Fail closed: a dataset with no classification counts as PHI and is not de-identified.
test_unclassified_dataset_fails if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["PHI dataset ds-x has no deidentification_method attested (recorded by compliance_officer)"]) with input as input_unclassified
}

# A version that was never scanned has no finding count: Safe Harbor cannot be shown.
test_never_scanned_safe_harbor_fails if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 is de-identified by Safe Harbor but was never scanned for identifiers (scan it: gatehouse dataset scan)"]) with input as fx.training([object.union(fx.phi_dataset, {"pii_findings_count": null})])
}

test_missing_finding_count_fails if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 is de-identified by Safe Harbor but was never scanned for identifiers (scan it: gatehouse dataset scan)"]) with input as fx.training([object.remove(fx.phi_dataset, {"pii_findings_count"})])
}

# The method is the compliance officer's fact: nobody attested it, so nothing is shown.
test_an_unattested_method_fails if {
	deidentification.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["PHI dataset clinical-notes@3 has no deidentification_method attested (recorded by compliance_officer)"]) with input as fx.training([object.union(fx.phi_dataset, {"deidentification_method": null})])
}
