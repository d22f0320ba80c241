# METADATA
# schemas:
#   - input: schema.input
# title: Provider of a modified general-purpose AI model (EU AI Act Art. 53)
# description: >-
#   A fine-tune of a general-purpose AI model placed on the EU market makes the
#   fine-tuner the provider of a modified GPAI model when the modification's training
#   compute is more than a third of the base model's (the Commission's indicative
#   criterion; a third of 1e23 FLOP when the base model's compute is not published).
#   Its obligations are then limited to the modification (Recital 109): technical
#   documentation for downstream providers (Art. 53(1)(b)), a copyright policy
#   (Art. 53(1)(c)) and a public summary of the training content (Art. 53(1)(d)). An
#   unattested compute counts as over the threshold.
# related_resources:
#   - ref: https://eur-lex.europa.eu/eli/reg/2024/1689/oj
#     description: Regulation (EU) 2024/1689 (AI Act) Art. 53(1)(b)-(d), Recital 109; Commission GPAI guidelines (July 2025), one-third compute criterion
# custom:
#   control_id: EUAIA-53
#   frameworks:
#     nist_ai_rmf: [GOVERN 1.1, GOVERN 6.1]
#     iso_42001: [A.6.2.7, A.10.2]
#   effective_from: 2025-08-02
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: EU AI Act
#   severity: high
#   remediation: >-
#     Have model risk attest the fine-tune's and base model's training compute; when the
#     modification is over a third, publish the training-data summary and record the
#     downstream documentation and copyright policy references.
#   application: >-
#     GPAI provider obligations apply from 2 August 2025 (Art. 113(b)); the Commission's
#     enforcement powers over GPAI providers from 2 August 2026. The gate warns before
#     data.gatehouse.eu_ai_act.application_dates.gpai_providers and denies from it.
#   generative_ai: >-
#     Written for fine-tuned LLMs: every model Gatehouse fine-tunes is a fine-tune of a
#     general-purpose model, so the question is only whether the fine-tune is a
#     significant modification.
package eu_ai_act.gpai_provider

import data.lib.controls

control := {
	"control_id": "EUAIA-53",
	"regulation": "EU AI Act",
	"citation": "Regulation (EU) 2024/1689 (AI Act) Art. 53(1)(b)-(d), Recital 109; Commission GPAI guidelines (July 2025), one-third compute criterion",
	"severity": "high",
}

date := data.gatehouse.eu_ai_act.application_dates.gpai_providers

fraction := data.gatehouse.thresholds.eu_ai_act.significant_modification_fraction

modification := controls.model.gpai_modification if {
	controls.object_field(controls.model, "gpai_modification")
} else := {}

# The compute the fraction is taken of: the base model's, or the GPAI presumption
# threshold when the base model's compute was not published.
base_flop := modification.base_model_training_flop if {
	is_number(modification.base_model_training_flop)
} else := data.gatehouse.eu_ai_act.gpai_presumption_training_flop

# At most the fraction (a third) of the base compute: multiplied out, no rounding.
within_fraction if {
	is_number(modification.modification_training_flop)
	modification.modification_training_flop * fraction.denominator <= base_flop * fraction.numerator
}

# Compute in messages is in units of 1e18 FLOP: whole numbers that both engines print
# alike (a FLOP count itself is beyond the integers the compiled module formats).
exa(flop) := flop / 1000000000000000000

why := controls.message(["its fine-tune compute ", exa(modification.modification_training_flop), "e18 FLOP is more than ", fraction.numerator, "/", fraction.denominator, " of ", exa(base_flop), "e18 FLOP"]) if {
	is_number(modification.modification_training_flop)
} else := controls.unattested("its fine-tune", "gpai_modification_compute")

documents := {
	"downstream_documentation_ref": "technical documentation for downstream providers (Art. 53(1)(b))",
	"copyright_policy_ref": "copyright policy (Art. 53(1)(c))",
	"training_data_summary_ref": "public summary of the training content (Art. 53(1)(d))",
}

documentation := controls.model.gpai_documentation if {
	controls.object_field(controls.model, "gpai_documentation")
} else := {}

gaps contains controls.message(["the model is a modified GPAI model (", why, ") and has no ", documents[key]]) if {
	not within_fraction
	controls.object_field(controls.model, "gpai_documentation")
	some key, _ in documents
	not controls.recorded(documentation, key)
}

gaps contains controls.message(["the model is a modified GPAI model (", why, ") and ", controls.unattested("it", "gpai_documentation")]) if {
	not within_fraction
	not controls.object_field(controls.model, "gpai_documentation")
}

# Only what the control judges: nothing when the model is not on the EU market.
findings := gaps if {
	controls.eu_ai_act_applies
} else := set()

scope := {"applicable": false, "reason": "the model is not placed on the EU market"} if {
	not controls.eu_ai_act_applies
} else := {"applicable": true, "reason": "the fine-tune's compute is at most a third of the base model's: no new GPAI provider obligations"} if {
	within_fraction
} else := {"applicable": true, "reason": "checked the Art. 53 documents of a modified GPAI model"}

outcome := controls.dated_outcome(control, scope, findings, date)
