package finance.ongoing_monitoring_test

import data.finance.ongoing_monitoring
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "FIN-SR11-7-MONITORING",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "FIN-SR11-7-MONITORING",
		"regulation": "Finance",
		"citation": "Federal Reserve SR 26-2 / OCC Bulletin 2026-13, Revised Guidance on Model Risk Management (model validation and monitoring)",
		"severity": "medium",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_monitored := fx.promotion({})

input_unmonitored := fx.with_model({"monitoring_enabled": false})

input_unknown_domain := fx.with_model({"domain": "insurance", "monitoring_enabled": false})

test_monitoring_passes if {
	ongoing_monitoring.outcome == outcome("pass", "checked the model's monitoring", []) with input as input_monitored
}

test_healthcare_domain_is_not_applicable if {
	ongoing_monitoring.outcome == outcome("not_applicable", "the model's domain is not credit or financial risk", []) with input as fx.with_model({"domain": "healthcare"})
}

test_no_monitoring_fails if {
	ongoing_monitoring.outcome == outcome("fail", "checked the model's monitoring", ["the model has no ongoing monitoring configured"]) with input as input_unmonitored
}

# Fail closed: a domain that is not known to be non-financial gets the finance pack.
test_unknown_domain_gets_the_finance_pack if {
	ongoing_monitoring.outcome == outcome("fail", "checked the model's monitoring", ["the model has no ongoing monitoring configured"]) with input as input_unknown_domain
}

test_unattested_monitoring_fails if {
	ongoing_monitoring.outcome == outcome("fail", "checked the model's monitoring", ["the model has no monitoring attested (recorded by model_risk)"]) with input as fx.with_model({"monitoring_enabled": null})
}

# An unknown domain counts as financial.
test_unattested_domain_applies_the_finance_pack if {
	ongoing_monitoring.outcome == outcome("fail", "checked the model's monitoring", ["the model has no ongoing monitoring configured"]) with input as fx.with_model({"domain": null, "monitoring_enabled": false})
}

test_sr11_7_switch_cites_the_banks_adopted_guidance if {
	found := ongoing_monitoring.outcome with input as input_unmonitored
		with data.gatehouse.model_risk.adopted_guidance as "sr11-7"
	found.violations[0].citation == "Federal Reserve SR 11-7 / OCC 2011-12, Section V (Ongoing Monitoring), as adopted by the bank's model risk policy (rescinded 17 April 2026)"
}
