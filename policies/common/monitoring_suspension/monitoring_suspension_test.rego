package common.monitoring_suspension_test

import data.common.monitoring_suspension as suspension
import data.lib.fixtures_test as fx

watched(drift_figures, incidents) := fx.promotion({"monitoring": {
	"baseline_recorded": true,
	"latest_batch_at": "2026-11-25T00:00:00+00:00",
	"drift": drift_figures,
	"open_incidents": incidents,
}})

input_moderate_drift := watched([{"group": null, "psi": 0.3, "ks_statistic": 0.2, "ks_p_value": 0.0001, "baseline_count": 500, "current_count": 500}], [])

input_severe_drift := watched([{"group": "A", "psi": 0.9, "ks_statistic": 0.5, "ks_p_value": 0.0, "baseline_count": 500, "current_count": 500}], [])

input_critical_incident := watched([], [{"id": "incident-2", "severity": "critical"}, {"id": "incident-3", "severity": "medium"}])

messages(doc) := result if {
	violations := suspension.outcome.violations with input as doc
	result := [v.message | some v in violations]
}

test_unmonitored_is_not_applicable if {
	suspension.outcome.status == "not_applicable" with input as fx.promotion({})
}

test_moderate_drift_does_not_suspend if {
	suspension.outcome.status == "pass" with input as input_moderate_drift
}

test_severe_drift_suspends if {
	messages(input_severe_drift) == ["score drift (A): population stability index 0.9 is above the suspension bound 0.5"]
}

test_critical_incident_suspends if {
	messages(input_critical_incident) == ["open critical incident incident-2 suspends production use"]
}

input_incidents_unrecorded := watched([], null)

test_unrecorded_incidents_suspend if {
	suspension.outcome.status == "fail" with input as input_incidents_unrecorded
}

# Threshold edges (data.gatehouse.thresholds.monitoring.suspend): PSI exactly at, just
# above and just below the suspension bound.
suspend := data.gatehouse.thresholds.monitoring.suspend

edge_drift(psi) := {"group": null, "psi": psi, "ks_statistic": 0.05, "ks_p_value": 0.5, "baseline_count": 2000, "current_count": 2000}

input_edge_suspend_psi_at_maximum := watched([edge_drift(suspend.max_psi)], [])

input_edge_suspend_psi_just_above := watched([edge_drift(suspend.max_psi + 0.001)], [])

input_edge_suspend_psi_just_below := watched([edge_drift(suspend.max_psi - 0.001)], [])

test_edge_suspend_psi_exactly_at_the_maximum_does_not_suspend if {
	suspension.outcome.status == "pass" with input as input_edge_suspend_psi_at_maximum
}

test_edge_suspend_psi_just_above_the_maximum_suspends if {
	suspension.outcome.status == "fail" with input as input_edge_suspend_psi_just_above
}

test_edge_suspend_psi_just_below_the_maximum_does_not_suspend if {
	suspension.outcome.status == "pass" with input as input_edge_suspend_psi_just_below
}
