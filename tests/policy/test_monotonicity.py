"""Removing evidence never makes a gate more permissive (unknown is unknown, end to end).

Start from real gate inputs (``example_inputs()``, whose documents the registry builds,
and every ``input_*`` document of the Rego tests), remove or null any subset of the
facts in them, and ask the gate again: a deny must stay a deny, and every required
approval must still be required at least as many times. Both engines are asked.

What is a fact: every member of the datasets, run, model, card, evaluations (with
their findings), audits and deployment, and those parts themselves. Not mutated: the
question (``gate``, ``subject``, ``now``), the votes (``approvals`` come from the vote
table, not from the governed party), and an evaluation's own ``threshold`` and
``higher_is_better``: a threshold is an extra bound a recorder may add; without it the
policy's own bounds still apply, so dropping it is not unknown evidence.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.policy.embedded import EmbeddedEngine
from app.policy.engine import PolicyEngine
from app.policy.input_document import example_inputs
from app.policy.opa_server import OpaServerEngine

pytestmark = pytest.mark.opa

#: Members that are the question or the votes, not evidence about the subject.
NOT_FACTS = frozenset({"gate", "subject", "now", "approvals"})
#: Members of an evaluation that are optional extra bounds (see the module docstring).
OPTIONAL_BOUNDS = frozenset({"threshold", "higher_is_better"})

Path = tuple[str | int, ...]


def fact_paths(document: dict[str, Any]) -> list[Path]:
    """Every removable fact of ``document``, parents before their members."""
    paths: list[Path] = []

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in OPTIONAL_BOUNDS and "evaluations" in path:
                    continue
                paths.append((*path, key))
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    walk(value, (*path, index))

    for key, value in document.items():
        if key in NOT_FACTS:
            continue
        if value is not None:
            paths.append((key,))
        walk(value, (key,))
    return paths


def without(document: dict[str, Any], changes: list[tuple[Path, bool]]) -> dict[str, Any]:
    """A copy of ``document`` with each path removed (True) or set to null (False)."""
    mutated = copy.deepcopy(document)
    for path, remove in changes:
        parent: Any = mutated
        for step in path[:-1]:
            present = (isinstance(parent, dict) and step in parent) or (
                isinstance(parent, list) and isinstance(step, int) and step < len(parent)
            )
            parent = parent[step] if present else None  # type: ignore[index]
            if parent is None:
                break
        last = path[-1]
        if isinstance(parent, dict) and last in parent:
            if remove and path != (last,):
                del parent[last]
            else:
                parent[last] = None
    return mutated


def required_counts(approvals: Any) -> dict[str, int]:
    """Role -> count of a decision's required approvals."""
    return {item["role"]: int(item["count"]) for item in approvals or []}


def assert_not_more_permissive(
    engine: PolicyEngine, gate: str, original: dict[str, Any], mutated: dict[str, Any]
) -> None:
    """The mutated document is denied whenever the original is, and needs no fewer approvals."""
    before = engine.decide(gate, original)
    after = engine.decide(gate, mutated)
    if not before.allow:
        assert not after.allow, (
            f"{engine.name}: removing evidence turned a deny into an allow at {gate}; "
            f"before: {[v['message'] for v in before.violations]}"
        )
    needed_before = required_counts(before.required_approvals)
    needed_after = required_counts(after.required_approvals)
    for role, count in needed_before.items():
        assert needed_after.get(role, 0) >= count, (
            f"{engine.name}: removing evidence dropped a required approval at {gate}: "
            f"{role} x{count} became x{needed_after.get(role, 0)}"
        )


@pytest.fixture(scope="module")
def engines(
    embedded_engine: EmbeddedEngine, opa_engine: OpaServerEngine
) -> Iterator[list[PolicyEngine]]:
    yield [embedded_engine, opa_engine]


@pytest.fixture(scope="module")
def starting_documents(rego_test_inputs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The example gate inputs and the Rego tests' gate-shaped documents."""
    documents = [gate_input.document() for gate_input in example_inputs().values()]
    documents += [
        document
        for _, document in sorted(rego_test_inputs.items())
        if isinstance(document, dict) and isinstance(document.get("gate"), str)
    ]
    return documents


def test_the_example_documents_start_from_both_outcomes(
    embedded_engine: EmbeddedEngine,
) -> None:
    """The starting points include allows and denies, so both directions are exercised."""
    outcomes = {
        embedded_engine.decide(document["gate"], document).allow
        for document in (gate_input.document() for gate_input in example_inputs().values())
    }
    assert outcomes == {True, False}


@pytest.mark.parametrize("name", sorted(example_inputs()))
def test_removing_any_single_fact_is_never_more_permissive(
    name: str, engines: list[PolicyEngine]
) -> None:
    """Every fact of every example input, removed and nulled one at a time."""
    document = example_inputs()[name].document()
    paths = fact_paths(document)
    assert paths
    for engine in engines:
        for path in paths:
            for remove in (True, False):
                assert_not_more_permissive(
                    engine, document["gate"], document, without(document, [(path, remove)])
                )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_removing_any_subset_of_facts_is_never_more_permissive(
    data: st.DataObject,
    engines: list[PolicyEngine],
    starting_documents: list[dict[str, Any]],
) -> None:
    """Any subset of facts of any starting document, each removed or nulled."""
    document = data.draw(st.sampled_from(starting_documents), label="document")
    paths = fact_paths(document)
    chosen = data.draw(
        st.lists(st.sampled_from(paths), min_size=1, max_size=12, unique=True), label="paths"
    )
    changes = [(path, data.draw(st.booleans(), label=f"remove {path}")) for path in chosen]
    mutated = without(document, changes)
    for engine in engines:
        assert_not_more_permissive(engine, document["gate"], document, mutated)
