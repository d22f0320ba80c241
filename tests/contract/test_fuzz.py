"""Schemathesis over the OpenAPI document the app serves: every operation, as every role.

The app runs in process (WSGI) on a real database seeded with the demo registry, so
small generated ids name real datasets, runs, models and deployments. For each role and
each operation, schemathesis draws requests from the document (valid ones, and invalid
ones where the role may call the operation) and every answer is checked: no 5xx, a
documented status, a documented media type, and a body that matches the schema declared
for that status (problem bodies included). Draws are derandomized so a run repeats; no
shrinking, so every failure is collected and listed at once, with a curl line to replay.
The figures are printed in the session summary and quoted in the README.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.auth.guard import access_of
from app.demo.seed import DemoSeed
from app.models.users import RoleName
from tests.conftest import Actor
from tests.contract.conftest import FIGURES

pytestmark = pytest.mark.slow

#: Draws per (role, operation) the role may call, in each generation mode.
EXAMPLES_ALLOWED = 3
#: Draws per (role, operation) the role may not call: the guard answers before any input is read.
EXAMPLES_REFUSED = 1
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Failures whose answer is a 5xx; every other failure is a contract violation.
SERVER_ERROR = "Server error"


@dataclass
class Findings:
    """What the fuzz sent and what it found."""

    operations: set[str] = field(default_factory=set)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    #: One replayable example per (operation, failure, status).
    examples: dict[tuple[str, str, int], str] = field(default_factory=dict)
    #: Operations with nothing to draw in a mode, and (operation, role) pairs that were sent.
    undrawable: set[str] = field(default_factory=set)
    reached: set[tuple[str, str]] = field(default_factory=set)

    def record(self, case: Any, response: Any, actor: Actor) -> None:
        """Count one answer and run the checks on it."""
        self.requests += 1
        self.reached.add((case.operation.label, actor.role))
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Failure, FailureGroup) as found:
            failures = found.exceptions if isinstance(found, FailureGroup) else (found,)
            for failure in failures:
                if failure.title == SERVER_ERROR:
                    self.server_errors += 1
                else:
                    self.violations[failure.title] += 1
                key = (case.operation.label, failure.title, response.status_code)
                self.examples.setdefault(
                    key,
                    f"{actor.role}: {failure.message.strip()[:300]}\n"
                    f"    {case.as_curl_command(headers=actor.headers())}\n"
                    f"    -> {response.text[:300]}",
                )


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _callers(app: Flask) -> dict[tuple[str, str], frozenset[str]]:
    """(method, OpenAPI path) -> the roles the route declares, read from the guard."""
    callers = {}
    for rule in app.url_map.iter_rules():
        access = access_of(app.view_functions[rule.endpoint])
        if access is None or access.public or not rule.rule.startswith("/api/v1/"):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            callers[(method, _openapi_path(rule.rule))] = access.roles
    return callers


def _fuzz(operation: Any, actor: Actor, mode: str, examples: int, findings: Findings) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode)))
    def send(case: Any) -> None:
        findings.record(case, case.call(headers=actor.headers()), actor)

    try:
        send()
    except Unsatisfiable:
        # Nothing to draw in this mode: an operation without inputs has no invalid form.
        findings.undrawable.add(f"{operation.label} ({mode})")


def test_every_operation_as_every_role_answers_within_its_contract(
    app: Flask, backend: str, make_actor: Any, seeded: DemoSeed
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    callers = _callers(app)
    actors = [make_actor(role.value, username=f"fuzz-{role.value}") for role in RoleName]
    findings = Findings()
    started = time.perf_counter()
    results = list(schema.get_all_operations())
    # An operation schemathesis cannot read is a broken document, not something to skip.
    assert [str(result.err()) for result in results if isinstance(result, Err)] == []
    for result in results:
        operation = result.ok()
        findings.operations.add(operation.label)
        roles = callers[(operation.method.upper(), operation.path)]
        for actor in actors:
            if actor.role in roles:
                for mode in ("positive", "negative"):
                    _fuzz(operation, actor, mode, EXAMPLES_ALLOWED, findings)
            else:
                _fuzz(operation, actor, "positive", EXAMPLES_REFUSED, findings)
    seconds = time.perf_counter() - started

    classes = Counter(f"{status // 100}xx" for status in findings.statuses.elements())
    figures = (
        f"{backend}: {len(findings.operations)} operations x {len(actors)} roles, "
        f"{findings.requests} requests in {seconds:.0f}s "
        f"({', '.join(f'{name} {count}' for name, count in sorted(classes.items()))}); "
        f"5xx: {findings.server_errors}; contract violations: "
        f"{sum(findings.violations.values())}"
        + (f" ({dict(findings.violations)})" if findings.violations else "")
    )
    FIGURES.append(figures)
    print(figures)
    print("nothing to draw:", ", ".join(sorted(findings.undrawable)) or "none")
    for (label, title, status), example in sorted(findings.examples.items()):
        print(f"{label} {title} {status}\n  {example}")

    # The document names every API route the app serves, and each was called by every role.
    assert findings.operations == {f"{method} {path}" for method, path in callers}
    assert findings.reached == {(label, a.role) for label in findings.operations for a in actors}
    assert findings.server_errors == 0, sorted(findings.examples)
    assert not findings.violations, sorted(findings.examples)
