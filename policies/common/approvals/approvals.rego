# METADATA
# schemas:
#   - input: schema.input
# title: Required approvals satisfied
# description: >-
#   The approvals the policy requires (roles and counts, see lib.approvals) are given by
#   distinct people who neither requested, trained nor developed the model, and nobody
#   rejected.
# related_resources:
#   - ref: https://www.nist.gov/itl/ai-risk-management-framework
#     description: Gatehouse approval policy (separation of duties, data.gatehouse.approvals)
# custom:
#   control_id: COMMON-APPROVALS
#   frameworks:
#     nist_ai_rmf: [GOVERN 2.1]
#     iso_42001: [A.3.2]
#   effective_from: 2026-11-26
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Common
#   severity: high
#   remediation: Collect the missing approvals from people independent of the model.
package common.approvals

import data.lib.approvals
import data.lib.controls

control := {
	"control_id": "COMMON-APPROVALS",
	"regulation": "Common",
	"citation": "Gatehouse approval policy (separation of duties, data.gatehouse.approvals)",
	"severity": "high",
}

outcome := controls.outcome(
	control,
	{"applicable": true, "reason": controls.message(["checked ", count(approvals.required), " required approval role(s)"])},
	approvals.shortfalls,
	set(),
)
