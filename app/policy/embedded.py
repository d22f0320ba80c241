"""The embedded engine: regopy (rego-cpp) in process, the default.

Each worker thread compiles the bundle once (``Interpreter.build`` with one
entrypoint per gate) and then answers every decision with
``query_bundle_entrypoint``: compiling once is what makes a decision take a fraction
of a millisecond instead of re-interpreting the modules each time.

The result is read from the output's node tree, not from its JSON text: regopy 1.5.2
writes strings into that text without escaping them (a quote in a dataset name breaks
the JSON) and some strings carry their own quotes, which the tree shows as a leading
and trailing ``"``.
"""

from __future__ import annotations

import threading
from typing import Any

from regopy import Input, Interpreter, NodeKind
from regopy.rego_shared import (
    rego_bundle_query_entrypoint,
    rego_free_output,
    rego_node_get,
    rego_node_size,
    rego_node_type,
    rego_node_value,
    rego_output_node,
    rego_output_ok,
    rego_output_string,
)

from app.policy.bundle import PolicyBundle
from app.policy.decision import GATES, Decision
from app.policy.engine import DEFAULT_TIMEOUT_S, DeadlineRunner

__all__ = ["EmbeddedEngine", "EmbeddedEvaluationError"]


class EmbeddedEvaluationError(Exception):
    """rego-cpp reported an error, or the entrypoint was undefined."""


def entrypoint(gate: str) -> str:
    """The rego-cpp entrypoint of a gate's decision rule."""
    return f"gates/{gate}/decision"


def _string(raw: str) -> str:
    """A string node's text without the quotes some rego-cpp strings carry."""
    if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1]
    return raw


def node_to_python(node: Any) -> Any:
    """Convert a rego-cpp value node to plain Python (sets become sorted lists)."""
    kind = rego_node_type(node)
    if kind in (NodeKind.Term, NodeKind.Scalar):
        return node_to_python(rego_node_get(node, 0))
    if kind == NodeKind.String:
        return _string(rego_node_value(node))
    if kind == NodeKind.Int:
        return int(rego_node_value(node))
    if kind == NodeKind.Float:
        return float(rego_node_value(node))
    if kind == NodeKind.Boolean:
        return rego_node_value(node) == "true"
    if kind == NodeKind.Null:
        return None
    children = [rego_node_get(node, index) for index in range(rego_node_size(node))]
    if kind == NodeKind.Object:
        return {
            node_to_python(rego_node_get(item, 0)): node_to_python(rego_node_get(item, 1))
            for item in children
        }
    if kind == NodeKind.Array:
        return [node_to_python(child) for child in children]
    if kind == NodeKind.Set:
        return sorted((node_to_python(child) for child in children), key=repr)
    raise EmbeddedEvaluationError(f"unexpected node kind {kind!r} in the result")


def _result_value(output: Any) -> Any:
    """The single value of an entrypoint query's output (Results/Result/Terms/value)."""
    results = rego_output_node(output)
    if rego_node_size(results) == 0:
        raise EmbeddedEvaluationError("the decision is undefined")
    result = rego_node_get(results, 0)
    terms = rego_node_get(result, 0)
    if rego_node_type(terms) != NodeKind.Terms or rego_node_size(terms) != 1:
        raise EmbeddedEvaluationError("the decision has an unexpected result layout")
    return node_to_python(rego_node_get(terms, 0))


class _CompiledBundle:
    """One thread's interpreter with the bundle compiled for every gate."""

    def __init__(self, bundle: PolicyBundle) -> None:
        self.builder = Interpreter()
        for path, source in bundle.modules:
            self.builder.add_module(path, source)
        self.builder.add_data(bundle.data)
        self.compiled = self.builder.build(None, [entrypoint(gate) for gate in GATES])
        if not self.compiled.ok():
            raise EmbeddedEvaluationError("the policy bundle did not compile")
        self.runner = Interpreter()

    def evaluate(self, gate: str, document: dict[str, Any]) -> Any:
        """Query one gate with one input document."""
        self.runner.set_input(Input(document))
        output = rego_bundle_query_entrypoint(
            self.runner._impl, self.compiled._impl, entrypoint(gate)
        )
        try:
            if not rego_output_ok(output):
                raise EmbeddedEvaluationError(rego_output_string(output))
            return _result_value(output)
        finally:
            rego_free_output(output)


class EmbeddedEngine:
    """regopy in process; compiles once per thread and bundle hash, then reuses it."""

    name = "embedded"

    def __init__(
        self, *, bundle: PolicyBundle, timeout_s: float = DEFAULT_TIMEOUT_S, workers: int = 4
    ) -> None:
        self.bundle = bundle
        self.bundle_hash = bundle.hash
        self._local = threading.local()
        self._runner = DeadlineRunner(
            engine=self.name, bundle_hash=bundle.hash, timeout_s=timeout_s, workers=workers
        )

    def _compiled(self) -> _CompiledBundle:
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = _CompiledBundle(self.bundle)
            self._local.compiled = compiled
        return compiled

    def _evaluate(self, gate: str, document: dict[str, Any]) -> Any:
        return self._compiled().evaluate(gate, document)

    def decide(self, gate: str, document: dict[str, Any]) -> Decision:
        """Evaluate ``data.gates.<gate>.decision``; deny on error, timeout or bad shape."""
        return self._runner.run(gate, document, self._evaluate)

    def close(self) -> None:
        """Stop the worker threads."""
        self._runner.close()
