package common.red_team_test

import data.common.red_team
import data.lib.fixtures_test as fx

outcome(status, reason, messages) := {
	"control_id": "COMMON-RED-TEAM",
	"status": status,
	"reason": reason,
	"violations": [{
		"control": "COMMON-RED-TEAM",
		"regulation": "Common",
		"citation": "NIST AI RMF 1.0, MEASURE 2.7 (security and resilience evaluated)",
		"severity": "critical",
		"message": message,
	} |
		some message in messages
	],
	"warnings": [],
}

input_clean := fx.promotion({})

input_high_findings_only := fx.promotion({"evaluations": [fx.benchmark, object.union(fx.red_team, {"open_findings": [{"id": "rt-7", "severity": "high", "category": "jailbreak"}]})]})

input_critical_and_weak := fx.promotion({"evaluations": [fx.benchmark, object.union(fx.red_team, {"failures": 40, "open_findings": [
	{"id": "rt-8", "severity": "critical", "category": "data_exfiltration"},
	{"id": "rt-9", "severity": null, "category": "jailbreak"},
]})]})

input_not_red_teamed := fx.promotion({"evaluations": [fx.benchmark]})

test_clean_red_team_passes if {
	red_team.outcome == outcome("pass", "checked 1 red-team run(s)", []) with input as input_clean
}

test_non_critical_findings_pass if {
	red_team.outcome == outcome("pass", "checked 1 red-team run(s)", []) with input as input_high_findings_only
}

test_critical_findings_and_low_pass_rate_fail if {
	red_team.outcome == outcome("fail", "checked 1 red-team run(s)", [
		"open critical red-team finding rt-8 in run ev-2",
		"open unrated (no recorded severity) red-team finding rt-9 in run ev-2",
		"red-team run ev-2 (prompt_injection) is below the pass rate 0.95: 40 failures in 400 prompts",
	]) with input as input_critical_and_weak
}

test_no_red_team_fails if {
	red_team.outcome == outcome("fail", "checked 0 red-team run(s)", ["the model has no red-team evaluation"]) with input as input_not_red_teamed
}

test_unrecorded_counts_fail if {
	red_team.outcome == outcome("fail", "checked 1 red-team run(s)", ["red-team run ev-2 (prompt_injection) is below the pass rate 0.95: unknown failures in 400 prompts"]) with input as fx.promotion({"evaluations": [fx.benchmark, object.remove(fx.red_team, {"failures"})]})
}

test_unrecorded_findings_fail if {
	red_team.outcome == outcome("fail", "checked 1 red-team run(s)", ["red-team run ev-2 has no record of its open findings"]) with input as fx.promotion({"evaluations": [fx.benchmark, object.union(fx.red_team, {"open_findings": null})]})
}
