package hipaa.encryption_at_rest_test

import data.hipaa.encryption_at_rest
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "HIPAA-164.312a2iv",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "HIPAA-164.312a2iv",
		"regulation": "HIPAA",
		"citation": "45 CFR 164.312(a)(2)(iv)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_encrypted := fx.training([fx.phi_dataset])

input_unencrypted := fx.training([object.union(fx.phi_dataset, {"encrypted_at_rest": false}), fx.public_dataset])

test_encrypted_passes if {
	encryption_at_rest.outcome == outcome("pass", "checked 1 PHI dataset(s)", []) with input as input_encrypted
}

test_no_phi_is_not_applicable if {
	encryption_at_rest.outcome == outcome("not_applicable", "no dataset holds PHI", []) with input as fx.training([fx.public_dataset])
}

test_unencrypted_fails if {
	encryption_at_rest.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset clinical-notes@3 holds PHI and is not encrypted at rest"]) with input as input_unencrypted
}

# Unknown is unknown: encryption nobody attested fails and names who records it.
test_unattested_encryption_fails if {
	encryption_at_rest.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["PHI dataset clinical-notes@3 has no encryption_at_rest attested (recorded by compliance_officer)"]) with input as fx.training([object.union(fx.phi_dataset, {"encrypted_at_rest": null})])
}

test_missing_encryption_fails if {
	encryption_at_rest.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["PHI dataset clinical-notes@3 has no encryption_at_rest attested (recorded by compliance_officer)"]) with input as fx.training([object.remove(fx.phi_dataset, {"encrypted_at_rest"})])
}

test_unclassified_dataset_counts_as_phi if {
	encryption_at_rest.outcome == outcome("fail", "checked 1 PHI dataset(s)", ["dataset public-faq@1 holds PHI and is not encrypted at rest"]) with input as fx.training([object.union(fx.public_dataset, {"contains_phi": null})])
}
