package gdpr.dpia_test

import data.gdpr.dpia
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "GDPR-35",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "GDPR-35",
		"regulation": "GDPR",
		"citation": "GDPR Art. 35",
		"severity": "high",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

small := object.union(fx.eu_dataset, {"large_scale": false, "dpia_ref": null})

input_large_scale_with_dpia := fx.training([fx.eu_dataset])

input_small_scale := fx.training([small])

input_large_scale_without_dpia := fx.training([object.union(fx.eu_dataset, {"dpia_ref": null})])

input_special_without_dpia := fx.training([object.union(small, {"special_category": true, "art9_condition": "h"})])

input_automated_decisions_without_dpia := fx.promotion({"datasets": [small]})

test_large_scale_with_dpia_passes if {
	dpia.outcome == outcome("pass", "checked 1 high-risk dataset(s)", []) with input as input_large_scale_with_dpia
}

test_small_scale_is_not_applicable if {
	dpia.outcome == outcome("not_applicable", "no high-risk processing of EU/EEA personal data", []) with input as input_small_scale
}

test_large_scale_without_dpia_fails if {
	dpia.outcome == outcome("fail", "checked 1 high-risk dataset(s)", ["dataset loan-applicants@7 is high-risk processing without a DPIA attested (recorded by compliance_officer)"]) with input as input_large_scale_without_dpia
}

test_special_category_without_dpia_fails if {
	dpia.outcome == outcome("fail", "checked 1 high-risk dataset(s)", ["dataset loan-applicants@7 is high-risk processing without a DPIA attested (recorded by compliance_officer)"]) with input as input_special_without_dpia
}

test_automated_decisions_without_dpia_fail if {
	dpia.outcome == outcome("fail", "checked 1 high-risk dataset(s)", ["dataset loan-applicants@7 is high-risk processing without a DPIA attested (recorded by compliance_officer)"]) with input as input_automated_decisions_without_dpia
}

test_unattested_scale_without_dpia_fails if {
	dpia.outcome == outcome("fail", "checked 1 high-risk dataset(s)", ["dataset loan-applicants@7 is high-risk processing without a DPIA attested (recorded by compliance_officer) (large-scale processing not attested, so it counts as large-scale)"]) with input as fx.training([object.union(small, {"large_scale": null})])
}

test_unattested_legal_effect_without_dpia_fails if {
	dpia.outcome == outcome("fail", "checked 1 high-risk dataset(s)", ["dataset loan-applicants@7 is high-risk processing without a DPIA attested (recorded by compliance_officer)"]) with input as object.union(input_automated_decisions_without_dpia, {"model": object.union(fx.model, {"automated_decision_legal_effect": null})})
}
