# METADATA
# schemas:
#   - input: schema.input
# title: Production monitoring within bounds
# description: >-
#   Once a deployment is monitored, its latest batch's score distribution has not
#   drifted from the audit baseline beyond the review bounds (population stability
#   index, two-sample Kolmogorov-Smirnov p-value), overall and per group, and no
#   incident of a review severity is open. A failure marks the deployment for review.
#   Not applicable before the first monitoring fact.
# related_resources:
#   - ref: https://www.nist.gov/itl/ai-risk-management-framework
#     description: NIST AI RMF 1.0, MANAGE 4.1 (post-deployment monitoring)
# custom:
#   control_id: COMMON-MONITORING
#   frameworks:
#     nist_ai_rmf: [MANAGE 4.1, MEASURE 2.4]
#     iso_42001: [A.6.2.6]
#   effective_from: 2026-11-26
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Common
#   severity: high
#   remediation: Investigate the drift or incident, re-audit the model on current data, then clear the review.
package common.monitoring

import data.lib.controls

control := {
	"control_id": "COMMON-MONITORING",
	"regulation": "Common",
	"citation": "NIST AI RMF 1.0, MANAGE 4.1 (post-deployment monitoring)",
	"severity": "high",
}

bounds := data.gatehouse.thresholds.monitoring.review

monitored if is_object(input.monitoring)

group_label(figures) := figures.group if {
	is_string(figures.group)
} else := "all scores"

failures contains "monitoring batches arrive but no audit baseline was recorded: drift cannot be measured" if {
	monitored
	not controls.is_true(input.monitoring, "baseline_recorded")
	controls.string_field(input.monitoring, "latest_batch_at")
}

failures contains controls.message(["score drift (", group_label(figures), "): population stability index ", object.get(figures, "psi", "unknown"), " is above ", bounds.max_psi]) if {
	monitored
	some figures in input.monitoring.drift
	not controls.at_most(figures, "psi", bounds.max_psi)
}

failures contains controls.message(["score drift (", group_label(figures), "): Kolmogorov-Smirnov p-value ", object.get(figures, "ks_p_value", "unknown"), " is below ", bounds.min_ks_p_value, " (statistic ", object.get(figures, "ks_statistic", "unknown"), ")"]) if {
	monitored
	some figures in input.monitoring.drift
	not controls.at_least(figures, "ks_p_value", bounds.min_ks_p_value)
}

failures contains controls.message(["open ", object.get(incident, "severity", "unknown"), " incident ", object.get(incident, "id", "unknown")]) if {
	monitored
	some incident in input.monitoring.open_incidents
	not controls.member(incident, "severity", {"critical", "high", "medium", "low"} - {severity | some severity in bounds.incident_severities})
}

# A monitoring record without its drift figures or open incidents is not a clean record.
failures contains controls.message(["the monitoring record has no ", key, " recorded: it cannot be judged"]) if {
	monitored
	some key in controls.unknown_lists(input.monitoring, {"drift", "open_incidents"})
}

scope := {"applicable": true, "reason": controls.message(["checked ", controls.count_text(input.monitoring, "drift"), " drift figure(s) and ", controls.count_text(input.monitoring, "open_incidents"), " open incident(s)"])} if {
	monitored
} else := {"applicable": false, "reason": "the deployment has no monitoring facts yet"}

outcome := controls.outcome(control, scope, failures, set())
