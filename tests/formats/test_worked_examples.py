"""The platforms' worked examples (chains of thought ending in `Conclusion: …`) validate clean.

Every platform's guidance ends its chains of thought with a `Conclusion:` line; each
file in fixtures/worked_examples holds such examples in that platform's format.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.formats import validate_file

EXAMPLES = Path(__file__).parent / "fixtures" / "worked_examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.jsonl")), ids=lambda p: p.stem)
def test_worked_example_validates_with_no_reasoning_warning(path: Path) -> None:
    report = validate_file(path)
    assert report.format == path.stem  # detected, not given
    assert report.valid, report.errors
    assert not [w for w in report.warnings if w.code.startswith("reasoning.")]
    reasoning = report.stats.reasoning
    assert reasoning.outputs == reasoning.with_steps_and_conclusion == 3
