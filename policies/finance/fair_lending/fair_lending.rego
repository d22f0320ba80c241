# METADATA
# schemas:
#   - input: schema.input
# title: Fair lending
# description: >-
#   The latest fairness audit of a credit or financial-risk model has an adverse impact
#   ratio at least the policy minimum (the EEOC's four-fifths rule, an employment-selection
#   screening heuristic, not a lending standard: the legal basis is Regulation B's
#   prohibition of discrimination, 1002.4(a), and its effects test, 1002.6(a)), keeps the equalized-odds
#   difference within the policy bound, and is no older than the freshness limit.
# related_resources:
#   - ref: https://www.ecfr.gov/current/title-12/chapter-X/part-1002/section-1002.4
#     description: ECOA 15 U.S.C. 1691; Regulation B 12 CFR 1002.4(a), 1002.6(a) (effects test); four-fifths ratio as a screening heuristic only (EEOC, 29 CFR 1607.4(D))
# custom:
#   control_id: FIN-FAIR-LENDING
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.11]
#     iso_42001: [A.5.4]
#   effective_from: 2011-12-30
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Finance
#   severity: high
#   remediation: Mitigate the disparity, re-run the fairness audit and promote only when it passes.
#   judges: [fairness_audit]
package finance.fair_lending

import data.lib.controls

control := {
	"control_id": "FIN-FAIR-LENDING",
	"regulation": "Finance",
	"citation": "ECOA 15 U.S.C. 1691; Regulation B 12 CFR 1002.4(a), 1002.6(a) (effects test); four-fifths ratio as a screening heuristic only (EEOC, 29 CFR 1607.4(D))",
	"severity": "high",
}

limits := data.gatehouse.thresholds.fairness

# Each fairness audit's finish time (ns since the epoch) by its place in input.audits,
# none where the time does not parse: each time is parsed once per decision.
finish_ns[i] := time.parse_rfc3339_ns(audit.finished_at) if {
	some i, audit in input.audits
	audit.kind == "fairness"
}

# The fairness audits whose finish time parses, each as [finish time in ns, audit], in
# input order.
finished := [[finish_ns[i], audit] |
	some i, audit in input.audits
	finish_ns[i]
]

fairness_audits := [pair[1] | some pair in finished]

latest_finished := max([pair[0] | some pair in finished])

# The latest audit; if two finished at the same instant, the first listed.
latest_audits := [pair[1] |
	some pair in finished
	pair[0] == latest_finished
]

latest := latest_audits[0]

failures contains "the model has no finished fairness audit" if count(fairness_audits) == 0

# A fairness audit with no finish time, or one that does not parse, cannot be ordered:
# it might be the latest.
failures contains controls.message(["fairness audit ", object.get(audit, "id", "unknown"), " has no finish time"]) if {
	some audit in input.audits
	audit.kind == "fairness"
	not controls.string_field(audit, "finished_at")
}

failures contains controls.message(["fairness audit ", object.get(audit, "id", "unknown"), " has a finish time that is not an RFC 3339 timestamp (", audit.finished_at, ")"]) if {
	some i, audit in input.audits
	audit.kind == "fairness"
	controls.string_field(audit, "finished_at")
	not finish_ns[i]
}

failures contains controls.message(["audit ", object.get(audit, "id", "unknown"), " has no known kind (fairness or explainability)"]) if {
	some audit in input.audits
	not controls.member(audit, "kind", {"fairness", "explainability"})
}

failures contains controls.message(["adverse impact ratio ", object.get(latest, "adverse_impact_ratio", "unknown"), " is below the policy minimum (four-fifths screening heuristic) ", limits.min_adverse_impact_ratio]) if {
	not controls.at_least(latest, "adverse_impact_ratio", limits.min_adverse_impact_ratio)
	count(fairness_audits) > 0
}

failures contains controls.message(["equalized odds difference ", object.get(latest, "equalized_odds_difference", "unknown"), " exceeds the bound ", limits.max_equalized_odds_difference]) if {
	not controls.at_most(latest, "equalized_odds_difference", limits.max_equalized_odds_difference)
	count(fairness_audits) > 0
}

# Evidence about the model: the predictions of its own artifact, in an audit someone who
# did not build the model ran (our security tester passed this control with a table of
# decisions he wrote himself, audited by himself).
failures contains controls.message(["fairness audit ", object.get(latest, "id", "unknown"), " judged predictions the model artifact did not make (a prediction column supplied with the data): it is no evidence about the model"]) if {
	count(fairness_audits) > 0
	not controls.is_true(latest, "predicted_by_artifact")
}

failures contains not_independent if {
	count(fairness_audits) > 0
	not controls.independent_of_makers(object.get(latest, "requested_by", null))
}

not_independent := controls.message(["fairness audit ", object.get(latest, "id", "unknown"), " was run by ", latest.requested_by, ", who built the model: it is no independent evidence"]) if {
	is_string(latest.requested_by)
} else := controls.message(["fairness audit ", object.get(latest, "id", "unknown"), " names nobody who ran it: it is no independent evidence"])

# Finished within max_audit_age_days of the evaluation time. Inside a rule, so an unknown
# evaluation time makes it false and the failure below fails closed.
recent if controls.days_before_now(latest_finished) <= limits.max_audit_age_days

failures contains stale if {
	count(finished) > 0
	not recent
}

stale := controls.message(["the latest fairness audit is ", age, " days old, older than ", limits.max_audit_age_days, " days"]) if {
	age := controls.days_before_now(latest_finished)
} else := "the latest fairness audit's age is unknown without a valid evaluation time"

scope := {"applicable": true, "reason": "checked the latest fairness audit"} if {
	controls.finance_applies
} else := {"applicable": false, "reason": "the model's domain is not credit or financial risk"}

outcome := controls.outcome(control, scope, failures, set())
