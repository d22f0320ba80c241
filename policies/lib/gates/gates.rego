# METADATA
# schemas:
#   - input: schema.input
# title: Gate decision assembly
# description: >-
#   Turns the outcomes the controls reported into the gate decision. Fail closed: the
#   gate allows only when every expected control reported pass or not_applicable, in a
#   well-formed outcome, and the input document has the required shape. A control that
#   reported nothing is a violation named as such.
package lib.gates

import data.lib.approvals
import data.lib.controls

fail_closed := {
	"regulation": "GATEHOUSE",
	"citation": "Gatehouse fail-closed rule: every applicable control must report",
	"severity": "high",
}

# The input document must carry these members with these types.
input_problems contains controls.message(["input.", name, " must be an array"]) if {
	some name in ["datasets", "evaluations", "audits", "approvals"]
	not controls.array_field(input, name)
}

input_problems contains "input.now must be an RFC 3339 timestamp with a numeric offset" if not controls.now_ns

input_problems contains "input.gate must be a string" if not controls.string_field(input, "gate")

# What each gate is about must be present: a missing part would switch controls off.
subject_parts := {
	"training_launch": ["run"],
	"production_promotion": ["model", "deployment"],
	"dataset_use": [],
}

input_problems contains controls.message(["input.", part, " must be an object for gate ", input.gate]) if {
	some part in subject_parts[input.gate]
	not controls.object_field(input, part)
}

# Lineage: without the run that trained it, or with a run that names no dataset, no
# data control applies to a model, so it would reach production unchecked (found by our
# security tester: a model registered without its run dropped every HIPAA and GDPR control).
input_problems contains "the model names no training run: the data it was trained on cannot be checked" if {
	input.gate == "production_promotion"
	not controls.object_field(input, "run")
}

input_problems contains "the run names no dataset: the data it trains on cannot be checked" if {
	input.gate in {"training_launch", "production_promotion"}
	controls.object_field(input, "run")
	controls.array_field(input, "datasets")
	count(input.datasets) == 0
}

malformed(outcome) := controls.message(["control ", outcome.control_id, " reported an unknown status"]) if {
	not controls.member(outcome, "status", controls.statuses)
} else := controls.message(["control ", outcome.control_id, " reported no violations list"]) if {
	not controls.array_field(outcome, "violations")
} else := controls.message(["control ", outcome.control_id, " reported fail without violations"]) if {
	outcome.status == "fail"
	count(outcome.violations) == 0
} else := controls.message(["control ", outcome.control_id, " reported violations without failing"]) if {
	outcome.status != "fail"
	count(outcome.violations) > 0
}

gate_finding(control, message) := object.union(fail_closed, {"control": control, "message": message})

# Every control, by id, with the outcome its package reported. A package whose outcome
# is undefined leaves its id out, and the gate then names it as missing.
outcomes["HIPAA-164.514"] := data.hipaa.deidentification.outcome

outcomes["HIPAA-164.502e"] := data.hipaa.business_associate.outcome

outcomes["HIPAA-164.502b"] := data.hipaa.minimum_necessary.outcome

outcomes["HIPAA-164.312a2iv"] := data.hipaa.encryption_at_rest.outcome

outcomes["HIPAA-164.312b"] := data.hipaa.audit_controls.outcome

outcomes["GDPR-6.1"] := data.gdpr.lawful_basis.outcome

outcomes["GDPR-9.2"] := data.gdpr.special_category.outcome

outcomes["GDPR-35"] := data.gdpr.dpia.outcome

outcomes["GDPR-44"] := data.gdpr.transfers.outcome

outcomes["GDPR-5.1e"] := data.gdpr.storage_limitation.outcome

outcomes["GDPR-17"] := data.gdpr.erasure.outcome

outcomes["GDPR-30"] := data.gdpr.records_of_processing.outcome

outcomes["GDPR-22"] := data.gdpr.automated_decisions.outcome

outcomes["FIN-SR11-7-TIER"] := data.finance.risk_tiering.outcome

outcomes["FIN-SR11-7-VALIDATION"] := data.finance.independent_validation.outcome

outcomes["FIN-SR11-7-MONITORING"] := data.finance.ongoing_monitoring.outcome

outcomes["FIN-REGB-1002.9"] := data.finance.adverse_action.outcome

outcomes["FIN-FAIR-LENDING"] := data.finance.fair_lending.outcome

outcomes["EUAIA-53"] := data.eu_ai_act.gpai_provider.outcome

outcomes["EUAIA-HIGH-RISK"] := data.eu_ai_act.high_risk.outcome

outcomes["COMMON-MODEL-CARD"] := data.common.model_card.outcome

outcomes["COMMON-EVALUATIONS"] := data.common.evaluations.outcome

outcomes["COMMON-RED-TEAM"] := data.common.red_team.outcome

outcomes["COMMON-MONITORING"] := data.common.monitoring.outcome

outcomes["COMMON-MONITORING-SUSPEND"] := data.common.monitoring_suspension.outcome

outcomes["COMMON-APPROVALS"] := data.common.approvals.outcome

# The control groups a gate can apply, each with the classification that triggers it.
packs := {
	"hipaa_data": ["HIPAA-164.514", "HIPAA-164.502e", "HIPAA-164.502b", "HIPAA-164.312a2iv"],
	"hipaa_deployment": ["HIPAA-164.312b"],
	"gdpr_data": ["GDPR-6.1", "GDPR-9.2", "GDPR-35", "GDPR-44", "GDPR-5.1e", "GDPR-17", "GDPR-30"],
	"gdpr_model": ["GDPR-22"],
	"finance": ["FIN-SR11-7-TIER", "FIN-SR11-7-VALIDATION", "FIN-SR11-7-MONITORING", "FIN-REGB-1002.9", "FIN-FAIR-LENDING"],
	"eu_ai_act": ["EUAIA-53", "EUAIA-HIGH-RISK"],
	"common": ["COMMON-MODEL-CARD", "COMMON-EVALUATIONS", "COMMON-RED-TEAM"],
	"monitoring": ["COMMON-MONITORING", "COMMON-MONITORING-SUSPEND"],
	"approvals": ["COMMON-APPROVALS"],
}

applies("hipaa_data") if controls.hipaa_applies

applies("hipaa_deployment") if controls.hipaa_applies

applies("gdpr_data") if controls.gdpr_applies

applies("gdpr_model") if controls.gdpr_applies

applies("finance") if controls.finance_applies

applies("eu_ai_act") if controls.eu_ai_act_applies

applies("common")

applies("monitoring")

applies("approvals")

# decision answers gate `gate` from the control groups it may apply.
decision(gate, groups) := decide(
	{control_id | some group in groups; applies(group); some control_id in packs[group]},
	gate,
)

# decide combines what the gate expected with what the controls reported.
decide(expected, gate) := {
	"allow": count(violations) == 0,
	"violations": violations,
	"warnings": [warning | some outcome in ordered; some warning in outcome.warnings],
	"required_approvals": approvals.required,
	"controls": ordered,
} if {
	ordered := [outcome |
		some control_id in sort(expected)
		outcome := outcomes[control_id]
		outcome.control_id == control_id
	]
	reported_ids := {outcome.control_id | some outcome in ordered}
	problems := input_problems | {controls.message(["input.gate is ", object.get(input, "gate", "missing"), " but gate ", gate, " was asked"]) |
		input.gate != gate
	}
	violations := array.concat(
		array.concat(
			[gate_finding("GATEHOUSE-INPUT", problem) | some problem in sort(problems)],
			[gate_finding(control_id, controls.message(["control ", control_id, " reported no outcome"])) |
				some control_id in sort(expected - reported_ids)
			],
		),
		array.concat(
			[gate_finding(outcome.control_id, malformed(outcome)) | some outcome in ordered],
			[violation | some outcome in ordered; some violation in outcome.violations],
		),
	)
}
