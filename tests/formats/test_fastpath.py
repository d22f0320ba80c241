"""Validation's typed fast path gives the same report as reading every record the ordinary way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.formats import validate_file
from app.formats.validate import ValidationReport

FIXTURES = Path(__file__).parent / "fixtures"


def _comparable(report: ValidationReport) -> dict[str, object]:
    figures = report.to_dict()
    # within a block of lines the fast path may log warnings in another order
    figures["warnings"] = sorted(figures["warnings"], key=lambda w: json.dumps(w, sort_keys=True))  # type: ignore[arg-type]
    return figures


def _mixed_file(path: Path) -> None:
    """Plain records, and every kind of line the typed structs refuse, in a few blocks."""
    steps = "Step 1: add {n} and 1.\nStep 2: double it.\nSo the answer is {m}."
    lines = []
    for n in range(12_000):
        kind = n % 200
        if kind == 7:
            lines.append("")
        elif kind == 11:
            lines.append('{"messages": [{"role": "user", "content": "no answer"}]}')
        elif kind == 13:
            lines.append(
                '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok", "weight": 0}]}'
            )
        elif kind == 17:
            lines.append(lines[-1] if lines[-1] else '{"messages": []}')  # a duplicate
        elif kind == 19:
            lines.append(
                '{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "1. a\\n2. a\\n3. and the"}]}'
            )
        elif kind == 23:
            lines.append("not json")
        else:
            record = {
                "messages": [
                    {"role": "user", "content": f"What is 2 × ({n} + 1)?" if n % 3 else "Hi"},
                    {
                        "role": "assistant",
                        "content": steps.format(n=n, m=2 * (n + 1)) if n % 3 else ".",
                    },
                ]
            }
            lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_fast_and_ordinary_reports_agree_on_a_mixed_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    _mixed_file(path)
    fast, ordinary = (
        validate_file(path, max_errors=100_000),
        validate_file(path, max_errors=100_000, typed=False),
    )
    assert fast.record_count > 11_000 and fast.error_count > 0 and fast.warning_count > 0
    assert _comparable(fast) == _comparable(ordinary)


@pytest.mark.parametrize(
    "path",
    sorted((FIXTURES / "broken").glob("openai_*.jsonl"))
    + sorted((FIXTURES / "valid").glob("openai_*.jsonl")),
    ids=lambda p: p.name,
)
def test_fast_and_ordinary_reports_agree_on_every_openai_fixture(path: Path) -> None:
    assert _comparable(validate_file(path, format="openai_chat")) == _comparable(
        validate_file(path, format="openai_chat", typed=False)
    )
