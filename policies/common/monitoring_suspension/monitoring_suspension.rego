# METADATA
# schemas:
#   - input: schema.input
# title: Production use suspended on severe drift or a critical incident
# description: >-
#   Decides suspension (production -> suspended): the latest batch's score drift is
#   beyond the suspension bound (population stability index), overall or in a group,
#   or an incident of a suspending severity is open. Not applicable before the first
#   monitoring fact.
# related_resources:
#   - ref: https://www.nist.gov/itl/ai-risk-management-framework
#     description: NIST AI RMF 1.0, MANAGE 2.4 (mechanisms to supersede, disengage or deactivate)
# custom:
#   control_id: COMMON-MONITORING-SUSPEND
#   frameworks:
#     nist_ai_rmf: [MANAGE 2.4]
#     iso_42001: [A.6.2.6]
#   effective_from: 2026-11-26
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Common
#   severity: critical
#   remediation: Resolve the incident or retrain and re-audit the model; promote again through the gate.
package common.monitoring_suspension

import data.lib.controls

control := {
	"control_id": "COMMON-MONITORING-SUSPEND",
	"regulation": "Common",
	"citation": "NIST AI RMF 1.0, MANAGE 2.4 (mechanisms to supersede, disengage or deactivate)",
	"severity": "critical",
}

bounds := data.gatehouse.thresholds.monitoring.suspend

monitored if is_object(input.monitoring)

failures contains controls.message(["score drift (", object.get(figures, "group", "all scores"), "): population stability index ", object.get(figures, "psi", "unknown"), " is above the suspension bound ", bounds.max_psi]) if {
	monitored
	some figures in input.monitoring.drift
	not controls.at_most(figures, "psi", bounds.max_psi)
}

# An incident of unknown severity suspends like a critical one.
failures contains controls.message(["open ", object.get(incident, "severity", "unknown"), " incident ", object.get(incident, "id", "unknown"), " suspends production use"]) if {
	monitored
	some incident in input.monitoring.open_incidents
	not controls.member(incident, "severity", {"high", "medium", "low", "critical"} - {severity | some severity in bounds.incident_severities})
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
