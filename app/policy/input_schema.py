"""The JSON Schema of the gate input document, for ``opa check --strict --schema``.

The schema is generated from the Python input models (``GateInput`` and its parts), so
the type checker sees the input document exactly as the input builder makes it: a
policy that reads ``input.model.domian`` or compares ``input.now`` with a number is a
compile error, not a rule that silently never fires. The models forbid unknown
members, so the schema says ``additionalProperties: false`` throughout.

OPA resolves the schema without a network and without ``$defs`` lookups it cannot
follow, so every ``$ref`` is inlined. The file is committed (``policy-schemas/``,
written by ``gatehouse policy schema``); a test fails when it differs from a fresh
generation. Every control package names it in its METADATA
(``schemas: [{input: schema.input}]``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.policy.input_document import GateInput

__all__ = ["SCHEMA_DIR_NAME", "input_schema", "render_input_schema"]

#: The folder, beside ``policies/``, that holds the schemas ``opa check`` loads.
SCHEMA_DIR_NAME = "policy-schemas"

#: Annotation keys that only describe; dropped so the file shows the shape alone.
_DESCRIPTIVE = {"title", "description", "default"}


def _inline(node: Any, definitions: dict[str, Any], *, names: bool = False) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/X"}`` replaced by the definition itself.

    ``names`` is true for a ``properties`` mapping, whose keys are member names (a member
    called ``title`` is kept).
    """
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and not names:
            return _inline(definitions[reference.rsplit("/", 1)[-1]], definitions)
        return {
            key: _inline(value, definitions, names=key == "properties" and not names)
            for key, value in node.items()
            if names or (key != "$defs" and key not in _DESCRIPTIVE)
        }
    if isinstance(node, list):
        return [_inline(value, definitions) for value in node]
    return node


def _nullable_containers(node: Any) -> Any:
    """``anyOf [object, null]`` as ``type: [object, null]`` (the same for arrays).

    OPA's type checker does not look inside ``anyOf``: a member of a nullable part
    (``input.model``) would be unchecked. Written as a type list, the same schema lets
    OPA check every member name of the part.
    """
    if isinstance(node, list):
        return [_nullable_containers(value) for value in node]
    if not isinstance(node, dict):
        return node
    alternatives = node.get("anyOf")
    if (
        isinstance(alternatives, list)
        and len(alternatives) == 2
        and {"type": "null"} in alternatives
    ):
        (other,) = [alternative for alternative in alternatives if alternative != {"type": "null"}]
        if other.get("type") in ("object", "array"):
            rest = {key: value for key, value in node.items() if key != "anyOf"}
            node = {**rest, **other, "type": [other["type"], "null"]}
    return {key: _nullable_containers(value) for key, value in node.items()}


def input_schema() -> dict[str, Any]:
    """The input document's JSON Schema, self-contained."""
    generated = GateInput.model_json_schema(mode="serialization")
    schema = _nullable_containers(_inline(generated, generated.get("$defs", {})))
    return {"$schema": "http://json-schema.org/draft-07/schema#", **schema}


def render_input_schema() -> str:
    """The committed file's text: stable key order, one trailing newline."""
    return json.dumps(input_schema(), indent=2, sort_keys=True) + "\n"


def schema_dir(policy_dir: Path) -> Path:
    """Where the schemas for ``policy_dir`` live (beside it)."""
    return policy_dir.parent / SCHEMA_DIR_NAME
