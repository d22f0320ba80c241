# METADATA
# schemas:
#   - input: schema.input
# title: Shared building blocks for controls
# description: >-
#   Classification helpers and the outcome constructor every control uses, so that
#   each control positively reports pass, fail or not_applicable (fail closed).
#   Unknown classifications count as sensitive: a dataset whose contains_phi is not
#   explicitly false is treated as holding PHI.
package lib.controls

# The only statuses a control may report; anything else fails the gate.
statuses := {"pass", "fail", "not_applicable"}

# outcome is the report of one control. scope.applicable says whether the control
# judged anything; scope.reason says what it judged or why it did not apply.
outcome(control, scope, failures, warnings) := {
	"control_id": control.control_id,
	"status": status(scope.applicable, failures),
	"reason": scope.reason,
	"violations": [finding(control, message) | some message in sort(failures)],
	"warnings": [finding(control, message) | some message in sort(warnings)],
}

status(applicable, failures) := "not_applicable" if {
	applicable == false
} else := "pass" if {
	applicable == true
	count(failures) == 0
} else := "fail"

# finding is the violation/warning object of the gate decision.
finding(control, message) := {
	"control": control.control_id,
	"regulation": control.regulation,
	"citation": control.citation,
	"severity": control.severity,
	"message": message,
}

# scope builds the applicability record from the subjects a control judges.
scope(subjects, noun, absent_reason) := {"applicable": true, "reason": message(["checked ", count(subjects), " ", noun])} if {
	count(subjects) > 0
} else := {"applicable": false, "reason": absent_reason}

# A dataset holds PHI unless it is explicitly classified as not holding it.
holds_phi(dataset) if not equals(dataset, "contains_phi", false)

# Special-category data (GDPR Art. 9) unless explicitly classified otherwise.
special_category(dataset) if not equals(dataset, "special_category", false)

# Personal data unless explicitly classified otherwise; PHI and special categories are personal.
personal(dataset) if not equals(dataset, "contains_pii", false)

personal(dataset) if holds_phi(dataset)

personal(dataset) if special_category(dataset)

# EU/EEA data subjects when any listed region is in the EEA, or when regions are unknown
# (null, missing or an empty list: personal data has data subjects somewhere).
eea_subjects(dataset) if {
	some region in dataset.data_subjects_regions
	region in data.gatehouse.regions.eea
}

eea_subjects(dataset) if not nonempty_array(dataset, "data_subjects_regions")

phi_datasets := [dataset | some dataset in input.datasets; holds_phi(dataset)]

gdpr_datasets := [dataset | some dataset in input.datasets; personal(dataset); eea_subjects(dataset)]

hipaa_applies if count(phi_datasets) > 0

gdpr_applies if count(gdpr_datasets) > 0

# The finance pack applies to financial domains and, failing closed, to a model
# whose domain is not one of the known non-financial ones.
finance_applies if input.model.domain in data.gatehouse.domains.financial

finance_applies if {
	is_object(input.model)
	not member(input.model, "domain", data.gatehouse.domains.non_financial)
}

# The model-risk guidance the installation's own policy adopts
# (data.gatehouse.model_risk.adopted_guidance): "sr26-2", the current interagency
# guidance (default), or "sr11-7" for a bank whose model risk policy still adopts the
# rescinded 2011 guidance. Any other value cites the current guidance. Only the citation
# changes: what the model-risk controls check is the same under both.
model_risk_citation(citations) := citations.sr11_7 if {
	data.gatehouse.model_risk.adopted_guidance == "sr11-7"
} else := citations.sr26_2

# The EU AI Act pack applies to a model placed on the EU market or used there, and,
# failing closed, to one whose market nobody attested.
eu_ai_act_applies if {
	is_object(input.model)
	not equals(input.model, "eu_market", false)
}

# before(date) is true while the evaluation time is before an application date (an
# RFC 3339 timestamp in data.gatehouse): a requirement not yet applicable warns, and
# from the date on it fails. An unknown evaluation time is not "before" (fail closed).
before(date) if now_ns < time.parse_rfc3339_ns(date)

# dated_outcome is a control's outcome under an application date: before the date its
# findings are warnings saying when the requirement applies, from the date on (or when
# the evaluation time is unknown) failures. The date is compared once.
dated_outcome(control, scope, findings, date) := outcome(control, scope, set(), warnings) if {
	before(date)
	warnings := {message([finding, " (applies from ", substring(date, 0, 10), ")"]) | some finding in findings}
} else := outcome(control, scope, findings, set())

# The evaluation time. Timestamps are RFC 3339 with a numeric offset and no
# fraction ("2026-01-01T00:00:00+00:00"): the only form both engines parse.
now_ns := time.parse_rfc3339_ns(input.now)

day_ns := ((24 * 60) * 60) * 1000000000

# days_before_now is how many whole days before now an instant (ns since the epoch) lies.
days_before_now(ns) := floor((now_ns - ns) / day_ns)

# The clock difference tolerated between a measuring machine and Gatehouse's.
clock_skew_ns := (5 * 60) * 1000000000

# after_now is true for an instant (ns since the epoch) later than now, beyond the clock
# skew: a measurement dated so was never taken, and would count as fresh for ever.
# An unknown evaluation time makes it true (fail closed).
after_now(ns) if {
	ns - now_ns > clock_skew_ns
} else if {
	not now_ns
}

# age_days is how many whole days before now the timestamp lies.
age_days(timestamp) := days_before_now(time.parse_rfc3339_ns(timestamp))

# Field tests. Each takes the object and the key, never the field itself: OPA makes
# `not f(x.missing)` undefined (no violation, an allow by accident), so a field that
# may be missing is only ever looked up inside these rules.

# A non-empty string, for references that must be recorded.
recorded(object, key) if {
	is_string(object[key])
	trim_space(object[key]) != ""
}

is_true(object, key) if object[key] == true

equals(object, key, value) if object[key] == value

member(object, key, allowed) if object[key] in allowed

# Numeric comparisons check the type first: the engines order values of different
# types differently (null against a number, for instance).
at_least(object, key, bound) if {
	is_number(object[key])
	object[key] >= bound
}

at_most(object, key, bound) if {
	is_number(object[key])
	object[key] <= bound
}

# rounded is a derived figure (a difference or a ratio) at 1e-9, the resolution it is
# compared with its bound at: in binary floating point 0.91 - 0.89 lies a hair above
# 0.02, and a figure exactly on a bound must be judged as on it, by both engines.
rounded(x) := round(x * 1000000000) / 1000000000

string_field(object, key) if is_string(object[key])

array_field(object, key) if is_array(object[key])

object_field(object, key) if is_object(object[key])

# count_text is the number of members of an array fact, or "an unknown number of" when
# the fact was not recorded (a scope reason must not vanish with the fact).
count_text(object, key) := count(object[key]) if {
	is_array(object[key])
} else := "an unknown number of"

# unknown_lists names the array facts of object that were not recorded; a control over
# a list counts each as failing rather than as empty.
unknown_lists(object, keys) := {key | some key in keys; not array_field(object, key)}

nonempty_array(object, key) if {
	is_array(object[key])
	count(object[key]) > 0
}

# unattested says that a governance fact was never recorded (or its attestation expired)
# and which role records it; the fact then counts as its failing value.
unattested(subject, fact) := message([subject, " has no ", fact, " attested (recorded by ", owner, ")"]) if {
	owner := data.gatehouse.fact_owners[fact]
} else := message([subject, " has no ", fact, " recorded"])

# The parts of the input document that may be null, as objects ({} when absent).
model := input.model if {
	is_object(input.model)
} else := {}

run := input.run if {
	is_object(input.run)
} else := {}

# The people who built the model: its developers, and the requester and authors of the
# run that trained it. Evidence they produced themselves (an audit they ran) is their word.
makers contains name if some name in object.get(model, "developers", [])

makers contains name if some name in object.get(run, "authors", [])

makers contains run.requester if is_string(run.requester)

# independent_of_makers is true for a known person who did not build the model; an
# unknown one is not (fail closed).
independent_of_makers(person) if {
	is_string(person)
	not person in makers
}

# Only evidence someone who did not build the model recorded can show a requirement met;
# evidence of a problem counts whoever recorded it.
independently_recorded(evaluation) if independent_of_makers(object.get(evaluation, "recorded_by", null))

# not_counted says why a piece of evidence shows no requirement met (a warning).
not_counted(evaluation) := message([object.get(evaluation, "kind", "evaluation"), " ", object.get(evaluation, "id", "unknown"), " was recorded by ", evaluation.recorded_by, ", who built the model: it shows no requirement met"]) if {
	is_string(evaluation.recorded_by)
} else := message([object.get(evaluation, "kind", "evaluation"), " ", object.get(evaluation, "id", "unknown"), " names nobody who recorded it: it shows no requirement met"])

deployment := input.deployment if {
	is_object(input.deployment)
} else := {}

label(dataset) := message([dataset.name, "@", dataset.version]) if {
	is_string(dataset.name)
	is_string(dataset.version)
} else := text(object.get(dataset, "id", "unknown"))

# message joins the parts of a message: strings as they are, integers through the
# compiled format_int, any other value through sprintf's %v (Go's formatting, as in
# OPA). Messages are only built in rule heads, so only for what failed or applied.
message(parts) := concat("", [text(part) | some part in parts])

text(value) := value if {
	is_string(value)
} else := format_int(value, 10) if {
	is_number(value)
	value == floor(value)
} else := sprintf("%v", [value])
