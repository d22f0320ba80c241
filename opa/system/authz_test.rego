package system.authz_test

import data.system.authz

runtime := {"env": {"GATEHOUSE_OPA_TOKEN_SHA256": crypto.sha256("gatehouse-test-token")}}

request(method, path, identity) := {"method": method, "path": split(trim_prefix(path, "/"), "/"), "identity": identity}

allowed(method, path, identity) if {
	authz.allow with input as request(method, path, identity) with opa.runtime as runtime
}

test_health_needs_no_token if {
	allowed("GET", "/health", null)
}

test_anonymous_may_not_write_data if {
	not allowed("PUT", "/v1/data/gatehouse/approvals", null)
}

test_anonymous_may_not_write_policies if {
	not allowed("PUT", "/v1/policies/gatehouse/gates/training_launch.rego", null)
}

test_anonymous_may_not_read if {
	not allowed("POST", "/v1/query", null)
	not allowed("GET", "/v1/policies", null)
	not allowed("GET", "/v1/data/gatehouse", null)
}

test_a_wrong_token_is_anonymous if {
	not allowed("PUT", "/v1/data/gatehouse/approvals", "not-the-token")
	not allowed("POST", "/v1/query", "not-the-token")
}

test_gatehouse_loads_its_modules_and_data if {
	allowed("PUT", "/v1/policies/gatehouse/gates/training_launch.rego", "gatehouse-test-token")
	allowed("DELETE", "/v1/policies/gatehouse/old/module.rego", "gatehouse-test-token")
	allowed("PUT", "/v1/data/gatehouse", "gatehouse-test-token")
}

test_gatehouse_asks_and_lists if {
	allowed("POST", "/v1/query", "gatehouse-test-token")
	allowed("GET", "/v1/policies", "gatehouse-test-token")
}

test_gatehouse_may_not_write_outside_its_own if {
	not allowed("PUT", "/v1/policies/system/authz.rego", "gatehouse-test-token")
	not allowed("PUT", "/v1/policies/evil", "gatehouse-test-token")
	not allowed("PUT", "/v1/data/system/authz", "gatehouse-test-token")
	not allowed("PUT", "/v1/data/extra", "gatehouse-test-token")
	not allowed("PATCH", "/v1/data/gatehouse", "gatehouse-test-token")
	not allowed("DELETE", "/v1/data/gatehouse", "gatehouse-test-token")
	not allowed("POST", "/v1/data/gatehouse", "gatehouse-test-token")
	not allowed("GET", "/v1/config", "gatehouse-test-token")
}

test_gatehouse_uses_no_other_endpoint if {
	not allowed("POST", "/v1/data/system/authz/allow", "gatehouse-test-token")
	not allowed("POST", "/v1/data/gates/training_launch/decision", "gatehouse-test-token")
	not allowed("GET", "/v1/data/gatehouse", "gatehouse-test-token")
	not allowed("PUT", "/v1/data/gatehouse/approvals", "gatehouse-test-token")
	not allowed("GET", "/v1/policies/gatehouse/gates/training_launch.rego", "gatehouse-test-token")
}

test_no_configured_hash_locks_everyone_out if {
	not authz.allow with input as request("POST", "/v1/query", "gatehouse-test-token") with opa.runtime as {"env": {}}
	authz.allow with input as request("GET", "/health", null) with opa.runtime as {"env": {}}
}

test_a_short_configured_hash_is_refused if {
	not authz.allow with input as request("POST", "/v1/query", "") with opa.runtime as {"env": {"GATEHOUSE_OPA_TOKEN_SHA256": ""}}
}
