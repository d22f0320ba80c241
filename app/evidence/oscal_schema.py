"""Validation of OSCAL assessment results against the OSCAL JSON Schema, offline.

The schema file beside this module is the OSCAL 1.1.3 assessment-results JSON Schema
(``oscal-ar_schema.json``, ``$id`` ``http://csrc.nist.gov/ns/oscal/1.0/oscal-ar-1.1.3-schema.json``),
generated from NIST's OSCAL metaschema and taken unchanged from the ``liboscal-java``
5.2.0 jar (Maven artifact ``dev.metaschema.oscal:liboscal-java``), because no Python or
npm package ships NIST's JSON schemas. Its SHA-256 is pinned below so a changed copy is
noticed. It is read from the installed package, never fetched.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import Any

import jsonschema_rs

__all__ = ["SCHEMA_FILE", "SCHEMA_SHA256", "schema_errors"]

#: The schema's file name inside ``app/evidence/schemas``.
SCHEMA_FILE = "oscal_assessment-results_schema-1.1.3.json"
#: SHA-256 of that file as taken from liboscal-java 5.2.0.
SCHEMA_SHA256 = "2066e032ca8adcaa218b599180e9fbdce62df9ab41f26e78368f1d2c87ae70f5"
#: At most this many schema errors are named per document (the first ones say enough).
_MAX_ERRORS = 20


@functools.cache
def _validator() -> Any:
    """The compiled validator (the schema is ~240 KB: compile once per process)."""
    data = resources.files("app.evidence").joinpath("schemas", SCHEMA_FILE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SCHEMA_SHA256:
        raise RuntimeError(f"the bundled OSCAL schema was changed (SHA-256 {digest})")
    return jsonschema_rs.Draft7Validator(json.loads(data))


def schema_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks the assessment-results schema (empty when valid)."""
    found = []
    for error in _validator().iter_errors(document):
        where = "/".join(str(part) for part in error.instance_path) or "(root)"
        found.append(f"{where}: {error.message}")
        if len(found) == _MAX_ERRORS:
            break
    return found
