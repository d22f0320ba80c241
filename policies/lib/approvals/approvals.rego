# METADATA
# schemas:
#   - input: schema.input
# title: Required approvals
# description: >-
#   Which roles must sign off and how many distinct people, from the approval rules in
#   data.gatehouse.approvals: "always", plus "high_risk_tier" for a high-tier model and
#   "phi" when any dataset holds PHI. Counts for the same role merge by maximum.
package lib.approvals

import data.lib.controls

rules := data.gatehouse.approvals

triggered contains requirement if some requirement in rules.always

# A model is judged when one is present, and always at promotion (a missing model there
# is unknown, not absent).
model_judged if is_object(input.model)

model_judged if input.gate == "production_promotion"

# A model whose tier nobody attested counts as high-tier.
triggered contains requirement if {
	model_judged
	not controls.member(controls.model, "risk_tier", {"medium", "low"})
	some requirement in rules.high_risk_tier
}

triggered contains requirement if {
	controls.hipaa_applies
	some requirement in rules.phi
}

required := [{"role": role, "count": max([r.count | some r in triggered; r.role == role])} |
	some role in sort({r.role | some r in triggered})
]

# People who asked for, built or trained the subject may not approve it (separation of duties).
conflicted contains controls.run.requester if controls.recorded(controls.run, "requester")

conflicted contains user if some user in input.run.authors

conflicted contains user if some user in input.model.developers

# Independence cannot be shown when who built the subject is unknown: no approval counts.
independence_unknown := "the run's requester is not recorded" if {
	is_object(input.run)
	not controls.recorded(controls.run, "requester")
} else := "the run's authors are not recorded" if {
	is_object(input.run)
	not controls.array_field(controls.run, "authors")
} else := "the model's developers are not recorded" if {
	is_object(input.model)
	not controls.array_field(controls.model, "developers")
}

independent(approval) if {
	controls.recorded(approval, "user")
	not approval.user in conflicted
	not independence_unknown
}

# Distinct people whose approval counts, by role.
approvers_by_role[role] := {approval.user |
	some approval in input.approvals
	approval.role == role
	approval.decision == "approve"
	independent(approval)
} if some role in {r.role | some r in required}

eligible_approvers := {approval.user |
	some approval in input.approvals
	approval.decision == "approve"
	independent(approval)
}

shortfalls contains controls.message(["no approval counts: ", independence_unknown, ", so separation of duties cannot be shown"]) if {
	independence_unknown
	count(input.approvals) > 0
}

# The messages for every requirement that is not met yet.
shortfalls contains controls.message(["needs ", requirement.count, " approval(s) from role ", requirement.role, ", has ", have]) if {
	some requirement in required
	have := count(approvers_by_role[requirement.role])
	have < requirement.count
}

shortfalls contains controls.message(["needs ", total, " distinct approvers in all, has ", count(eligible_approvers)]) if {
	total := sum([requirement.count | some requirement in required])
	count(eligible_approvers) < total
}

shortfalls contains controls.message(["approval by ", approval.user, " (", approval.role, ") does not count: separation of duties"]) if {
	some approval in input.approvals
	approval.decision == "approve"
	approval.user in conflicted
}

shortfalls contains controls.message(["rejected by ", approval.user, " (", approval.role, ")"]) if {
	some approval in input.approvals
	approval.decision == "reject"
}
