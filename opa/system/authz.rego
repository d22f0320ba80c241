# METADATA
# title: Who may talk to the OPA server Gatehouse uses
# description: >-
#   OPA's own authorization policy, loaded at start-up with
#   --authentication=token --authorization=basic. It is not part of the gate bundle.
#   Anyone may ask /health. Only Gatehouse's identity may do anything else, and only
#   what Gatehouse needs: load and delete its modules (ids under gatehouse/), replace
#   its data (data.gatehouse), list the modules and ask ad-hoc queries. The token
#   itself is stored nowhere in OPA: OPA is started with GATEHOUSE_OPA_TOKEN_SHA256 in
#   its environment (the hex sha256 of the token) and the bearer token a request
#   carries must hash to it. Without that variable only /health answers.
package system.authz

default allow := false

# Liveness and readiness probes carry no token.
allow if {
	input.method == "GET"
	input.path[0] == "health"
}

allow if {
	gatehouse
	some permitted in gatehouse_requests
	input.method == permitted.method
	matches(input.path, permitted.path)
}

# The caller presented Gatehouse's token (OPA puts the bearer token in input.identity).
gatehouse if {
	expected := opa.runtime().env.GATEHOUSE_OPA_TOKEN_SHA256
	count(expected) == 64
	crypto.sha256(input.identity) == lower(expected)
}

# What Gatehouse does, as (method, path); a final "*" stands for one or more segments.
gatehouse_requests := [
	{"method": "GET", "path": ["v1", "policies"]},
	{"method": "PUT", "path": ["v1", "policies", "gatehouse", "*"]},
	{"method": "DELETE", "path": ["v1", "policies", "gatehouse", "*"]},
	{"method": "PUT", "path": ["v1", "data", "gatehouse"]},
	{"method": "POST", "path": ["v1", "query"]},
]

matches(path, pattern) if {
	pattern[count(pattern) - 1] != "*"
	path == pattern
}

matches(path, pattern) if {
	pattern[count(pattern) - 1] == "*"
	prefix := array.slice(pattern, 0, count(pattern) - 1)
	count(path) > count(prefix)
	array.slice(path, 0, count(prefix)) == prefix
}
