package common.monitoring_test

import data.common.monitoring
import data.lib.fixtures_test as fx

drift(group, psi, p_value) := {"group": group, "psi": psi, "ks_statistic": 0.05, "ks_p_value": p_value, "baseline_count": 2000, "current_count": 2000}

watched(drift_figures, incidents) := fx.promotion({"monitoring": {
	"baseline_recorded": true,
	"latest_batch_at": "2026-11-25T00:00:00+00:00",
	"drift": drift_figures,
	"open_incidents": incidents,
}})

input_steady := watched([drift(null, 0.01, 0.6), drift("A", 0.02, 0.4)], [{"id": "incident-1", "severity": "high"}])

input_group_drift := watched([drift(null, 0.05, 0.2), drift("B", 0.31, 0.001)], [])

input_critical_incident := watched([], [{"id": "incident-2", "severity": "critical"}])

input_no_baseline := object.union(watched([], []), {"monitoring": {"baseline_recorded": false, "latest_batch_at": "2026-11-25T00:00:00+00:00", "drift": [], "open_incidents": []}})

messages(doc) := result if {
	violations := monitoring.outcome.violations with input as doc
	result := [v.message | some v in violations]
}

test_unmonitored_is_not_applicable if {
	monitoring.outcome.status == "not_applicable" with input as fx.promotion({})
}

test_steady_scores_and_high_incident_pass if {
	monitoring.outcome.status == "pass" with input as input_steady
}

test_group_drift_fails if {
	messages(input_group_drift) == [
		"score drift (B): Kolmogorov-Smirnov p-value 0.001 is below 0.01 (statistic 0.05)",
		"score drift (B): population stability index 0.31 is above 0.2",
	]
}

test_critical_incident_fails if {
	messages(input_critical_incident) == ["open critical incident incident-2"]
}

test_batches_without_baseline_fail if {
	messages(input_no_baseline) == ["monitoring batches arrive but no audit baseline was recorded: drift cannot be measured"]
}

input_lists_unrecorded := fx.promotion({"monitoring": {"baseline_recorded": true, "latest_batch_at": "2026-11-25T00:00:00+00:00", "drift": null}})

test_unrecorded_lists_fail_rather_than_pass_as_empty if {
	messages(input_lists_unrecorded) == [
		"the monitoring record has no drift recorded: it cannot be judged",
		"the monitoring record has no open_incidents recorded: it cannot be judged",
	]
	monitoring.outcome.status == "fail" with input as input_lists_unrecorded
}

# Threshold edges (data.gatehouse.thresholds.monitoring.review): PSI and the KS p-value
# exactly at, just inside and just outside their bounds.
review := data.gatehouse.thresholds.monitoring.review

input_edge_psi_at_maximum := watched([drift(null, review.max_psi, 0.5)], [])

input_edge_psi_just_above := watched([drift(null, review.max_psi + 0.001, 0.5)], [])

input_edge_psi_just_below := watched([drift(null, review.max_psi - 0.001, 0.5)], [])

input_edge_p_value_at_minimum := watched([drift(null, 0.01, review.min_ks_p_value)], [])

input_edge_p_value_just_below := watched([drift(null, 0.01, review.min_ks_p_value - 0.001)], [])

input_edge_p_value_just_above := watched([drift(null, 0.01, review.min_ks_p_value + 0.001)], [])

monitoring_status(doc) := status if {
	status := monitoring.outcome.status with input as doc
}

test_edge_psi_exactly_at_the_maximum_passes if monitoring_status(input_edge_psi_at_maximum) == "pass"

test_edge_psi_just_above_the_maximum_fails if monitoring_status(input_edge_psi_just_above) == "fail"

test_edge_psi_just_below_the_maximum_passes if monitoring_status(input_edge_psi_just_below) == "pass"

test_edge_p_value_exactly_at_the_minimum_passes if monitoring_status(input_edge_p_value_at_minimum) == "pass"

test_edge_p_value_just_below_the_minimum_fails if monitoring_status(input_edge_p_value_just_below) == "fail"

test_edge_p_value_just_above_the_minimum_passes if monitoring_status(input_edge_p_value_just_above) == "pass"
