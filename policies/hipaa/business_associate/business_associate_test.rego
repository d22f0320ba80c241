package hipaa.business_associate_test

import data.hipaa.business_associate
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "HIPAA-164.502e",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "HIPAA-164.502e",
		"regulation": "HIPAA",
		"citation": "45 CFR 164.502(e), 164.504(e)",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_baa_on_file := fx.training([fx.phi_dataset])

input_no_baa := fx.training([object.union(fx.phi_dataset, {"baa_refs": []})])

input_baa_with_other_vendor := object.union(fx.training([fx.phi_dataset]), {"run": object.union(fx.run, {"platform": "anthropic", "vendor": "anthropic"})})

input_internal_hosting := object.union(fx.training([object.union(fx.phi_dataset, {"baa_refs": []})]), {"run": object.union(fx.run, {"platform": "self_hosted", "hosting": "internal", "vendor": "self"})})

input_no_run := object.union(fx.training([object.union(fx.phi_dataset, {"baa_refs": []})]), {"run": null})

reason := "checked 1 PHI dataset(s) sent to an external platform"

test_baa_with_the_vendor_passes if {
	business_associate.outcome == outcome("pass", reason, []) with input as input_baa_on_file
}

test_no_phi_is_not_applicable if {
	business_associate.outcome == outcome("not_applicable", "no dataset holds PHI", []) with input as fx.training([fx.public_dataset])
}

test_internal_hosting_is_not_applicable if {
	business_associate.outcome == outcome("not_applicable", "the run is hosted internally; no business associate receives PHI", []) with input as input_internal_hosting
}

test_missing_baa_fails if {
	business_associate.outcome == outcome("fail", reason, ["dataset clinical-notes@3 holds PHI and goes to external vendor openai without a business associate agreement"]) with input as input_no_baa
}

test_baa_with_another_vendor_fails if {
	business_associate.outcome == outcome("fail", reason, ["dataset clinical-notes@3 holds PHI and goes to external vendor anthropic without a business associate agreement"]) with input as input_baa_with_other_vendor
}

# Fail closed: without a run the platform is unknown, so it counts as external.
test_unknown_run_fails if {
	business_associate.outcome == outcome("fail", reason, ["dataset clinical-notes@3 holds PHI and goes to external vendor unknown (the run has no training_vendor attested (recorded by compliance_officer)) without a business associate agreement (the run has no hosting attested (recorded by compliance_officer), so it counts as external)"]) with input as input_no_run
}

# Unknown hosting counts as external: the BAA is still required.
test_unattested_hosting_needs_a_baa if {
	business_associate.outcome == outcome("fail", reason, ["dataset clinical-notes@3 holds PHI and goes to external vendor self without a business associate agreement (the run has no hosting attested (recorded by compliance_officer), so it counts as external)"]) with input as object.union(input_internal_hosting, {"run": object.union(fx.run, {"platform": "self_hosted", "hosting": null, "vendor": "self"})})
}

# A run on a platform that is no vendor's own names no vendor until the compliance officer
# attests one: no agreement covers an unknown vendor (our tester borrowed "openai" here).
test_an_unknown_vendor_is_covered_by_no_agreement if {
	run := object.union(fx.run, {"platform": "self_hosted", "vendor": null})
	business_associate.outcome == outcome("fail", reason, ["dataset clinical-notes@3 holds PHI and goes to external vendor unknown (the run has no training_vendor attested (recorded by compliance_officer)) without a business associate agreement"]) with input as object.union(fx.training([fx.phi_dataset]), {"run": run})
}
