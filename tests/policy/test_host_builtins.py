"""The host built-ins of the compiled policy agree with OPA's own, case by case.

Every case runs once through the real ``opa eval`` and once through
``app.policy.host_builtins``; OPA's answer (or its undefined) is the expected one.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.policy.host_builtins import HOST_BUILTINS, go_sprintf, parse_rfc3339_ns

pytestmark = pytest.mark.opa

TIMESTAMPS = [
    "2026-01-01T00:00:00+00:00",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00.5Z",
    "2026-01-01T00:00:00.123456789-05:30",
    "2026-01-01T00:00:00.1234567891Z",
    "2024-02-29T23:59:59+14:00",
    "2026-01-01T00:00:00+24:00",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999999999Z",
    "2262-04-11T23:47:16.854775807Z",
    "1677-09-21T00:12:43.145224192Z",
    # undefined in OPA
    "2262-04-11T23:47:16.854775808Z",
    "1677-09-21T00:12:43.145224191Z",
    "2026-02-29T00:00:00Z",
    "2026-06-31T00:00:00Z",
    "2026-01-01 00:00:00Z",
    "2026-01-01t00:00:00Z",
    "2026-01-01T00:00:00z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:00:60Z",
    "2026-13-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "1600-01-01T00:00:00Z",
    "2026-01-01T00:00Z",
    "2026-01-01T00:00:00+2400",
    "2026-01-01T00:00:00.Z",
    "",
    "garbage",
]

FORMATS: list[tuple[str, list[Any]]] = [
    ("%v", [1]),
    ("%v", [1.5]),
    ("%v", [0.084]),
    ("%v", [0.1 + 0.2]),
    ("%v", [90.0]),
    ("%v", [1e6]),
    ("%v", [123456.0]),
    ("%v", [999999.9]),
    ("%v", [1234567.5]),
    ("%v", [1e-5]),
    ("%v", [0.0001]),
    ("%v", [1e20]),
    ("%v", [1e21]),
    ("%v", [-2.5]),
    ("%v", [-0.0]),
    ("%v", [12345678901234567890]),
    ("%v", ["é ü 漢 🙂"]),
    ("%s", ["x"]),
    ("%q", ['a"b\\c\né\u0001']),
    ("%d", [42]),
    ("%d", [1.5]),
    ("%s", [3]),
    ("%v", [True]),
    ("%t", [True]),
    ("%v", [None]),
    ("%v", [["a", 1, {"k": [True]}]]),
    ("%v", [{"b": 1, "a": "x"}]),
    ("%s", [["x"]]),
    ("%v", [[]]),
    ("%v", [{}]),
    ("%.2f", [0.125]),
    ("%.1f", [0.05]),
    ("%f", [1.5]),
    ("%8.3f|", [3.14159]),
    ("%e", [12345.678]),
    ("%g", [0.000012]),
    ("%.3g", [3.14159]),
    ("%5d", [42]),
    ("%-5s|", ["ab"]),
    ("%05d", [-42]),
    ("%+d", [5]),
    ("%x", [255]),
    ("%x", ["hi"]),
    ("%v %v", [1]),
    ("%v", [1, 2]),
    ("100%%", []),
    ("dataset %s@%s has %d open requests", ["notes", "2", 3]),
]


def _opa_eval(opa: Path, query: str, document: dict[str, Any]) -> dict[int, Any]:
    done = subprocess.run(
        [str(opa), "eval", "--format", "json", "--stdin-input", query],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        check=True,
    )
    pairs = json.loads(done.stdout)["result"][0]["expressions"][0]["value"]
    return {index: value for index, value in pairs}


def test_the_host_supplies_exactly_the_builtins_it_tests() -> None:
    assert set(HOST_BUILTINS) == {"sprintf", "time.parse_rfc3339_ns"}


def test_parse_rfc3339_ns_agrees_with_opa(opa_binary: Path) -> None:
    expected = _opa_eval(
        opa_binary,
        "[[i, n] | some i, text in input.cases; n := time.parse_rfc3339_ns(text)]",
        {"cases": TIMESTAMPS},
    )
    assert len(expected) == 11  # the first eleven parse; the rest are undefined
    for index, text in enumerate(TIMESTAMPS):
        assert parse_rfc3339_ns(text) == expected.get(index), text


def test_sprintf_agrees_with_opa(opa_binary: Path) -> None:
    expected = _opa_eval(
        opa_binary,
        "[[i, s] | some i, case in input.cases; s := sprintf(case[0], case[1])]",
        {"cases": [[template, values] for template, values in FORMATS]},
    )
    assert len(expected) == len(FORMATS)
    for index, (template, values) in enumerate(FORMATS):
        # The engine hands the host the values as JSON, as here.
        assert go_sprintf(template, json.loads(json.dumps(values))) == expected[index], (
            template,
            values,
        )


def test_builtins_answer_undefined_for_wrong_types() -> None:
    assert parse_rfc3339_ns(17) is None
    assert go_sprintf(["%v"], [1]) is None
    assert go_sprintf("%v", "not an array") is None
