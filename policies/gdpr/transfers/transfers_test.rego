package gdpr.transfers_test

import data.gdpr.transfers
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "GDPR-44",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "GDPR-44",
		"regulation": "GDPR",
		"citation": "GDPR Art. 44-46",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

reason := "checked 1 dataset(s) with EU/EEA personal data"

us_run := object.union(fx.run, {"region": "US"})

input_within_eea := fx.training([fx.eu_dataset])

input_us_training_with_scc := object.union(fx.training([object.union(fx.eu_dataset, {"transfer_mechanism": "scc", "transfer_ref": "SCC-2026-7"})]), {"run": us_run})

input_adequate_country := object.union(fx.training([object.union(fx.eu_dataset, {"transfer_mechanism": "adequacy"})]), {"run": object.union(fx.run, {"region": "JP"})})

input_us_training_without_mechanism := object.union(fx.training([fx.eu_dataset]), {"run": us_run})

input_adequacy_claimed_for_us := object.union(fx.training([object.union(fx.eu_dataset, {"transfer_mechanism": "adequacy"})]), {"run": us_run})

input_no_residency := object.union(fx.training([object.union(fx.eu_dataset, {"residency_region": null})]), {"run": null})

test_storage_and_training_in_eea_pass if {
	transfers.outcome == outcome("pass", reason, []) with input as input_within_eea
}

test_scc_covers_transfer if {
	transfers.outcome == outcome("pass", reason, []) with input as input_us_training_with_scc
}

test_adequacy_decision_covers_transfer if {
	transfers.outcome == outcome("pass", reason, []) with input as input_adequate_country
}

test_no_eu_subjects_is_not_applicable if {
	transfers.outcome == outcome("not_applicable", "no dataset holds personal data of EU/EEA data subjects", []) with input as fx.training([fx.public_dataset])
}

test_training_outside_eea_without_mechanism_fails if {
	transfers.outcome == outcome("fail", reason, ["dataset loan-applicants@7 is transferred to US without an adequacy decision, SCC or BCR"]) with input as input_us_training_without_mechanism
}

test_adequacy_needs_an_adequate_country if {
	transfers.outcome == outcome("fail", reason, ["dataset loan-applicants@7 is transferred to US without an adequacy decision, SCC or BCR"]) with input as input_adequacy_claimed_for_us
}

test_unknown_residency_fails if {
	transfers.outcome == outcome("fail", reason, [
		"dataset loan-applicants@7 has no residency_region attested (recorded by compliance_officer)",
	]) with input as input_no_residency
}

test_run_without_training_region_fails if {
	transfers.outcome == outcome("fail", reason, ["the run taking dataset loan-applicants@7 has no training_region attested (recorded by compliance_officer)"]) with input as object.union(fx.training([fx.eu_dataset]), {"run": object.union(fx.run, {"region": null})})
}

# Unknown data subject regions count as EU/EEA.
test_unknown_regions_count_as_eea if {
	transfers.outcome == outcome("fail", reason, ["dataset loan-applicants@7 has no residency_region attested (recorded by compliance_officer)"]) with input as fx.training([object.union(fx.eu_dataset, {"data_subjects_regions": null, "residency_region": null})])
}

test_empty_regions_count_as_eea if {
	transfers.outcome == outcome("pass", reason, []) with input as fx.training([object.union(fx.eu_dataset, {"data_subjects_regions": []})])
}

# Nobody attested a transfer mechanism: none counts, and the message names who records it.
test_an_unattested_transfer_mechanism_covers_nothing if {
	transfers.outcome == outcome("fail", reason, ["dataset loan-applicants@7 is transferred to US without an adequacy decision, SCC or BCR; it has no transfer attested (recorded by compliance_officer)"]) with input as object.union(fx.training([object.union(fx.eu_dataset, {"transfer_mechanism": null, "transfer_ref": "SCC-2026-7"})]), {"run": us_run})
}
