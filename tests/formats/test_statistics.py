"""Statistics and reasoning-chain quality computed during validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.formats import stats as stats_module
from app.formats import validate_file
from app.formats.issues import IssueLog
from app.formats.stats import StatsCollector


def _chat(answer: str, question: str = "Q?") -> str:
    record = {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }
    return json.dumps(record) + "\n"


def test_counts_roles_tokens_duplicates_and_near_empty(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        _chat("a" * 400) + _chat("a" * 400) + _chat(" ") + _chat("Fine answer", "Q" * 39)
    )
    stats = validate_file(path).stats
    assert stats.records == stats.valid_records == 4
    assert stats.role_counts == {"user": 4, "assistant": 4}
    assert stats.messages_per_record.mean == 2
    # ceil(chars / 4): (2 + 400) / 4 -> 101, (2 + 1) / 4 -> 1, (39 + 11) / 4 -> 13
    assert stats.estimated_tokens_per_record.max == 101
    assert stats.estimated_tokens_per_record.min == 1
    assert stats.estimated_tokens_total == 101 + 101 + 1 + 13
    assert stats.duplicate_records == 1 and stats.duplicate_check_complete
    assert stats.near_empty_outputs == 1


def test_reasoning_chain_quality_warnings(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(
        _chat("Step 1: add 2 and 2.\nStep 2: check.\nTherefore the answer is 4.")  # complete
        + _chat("1. Look at it.\n2. Look at it.\nNow compare the")  # repeated step, cut off
        + _chat("Step 1:\nStep 2: multiply.\nFinal answer: 6")  # empty step
        + _chat("The answer is 42.")  # an answer with no reasoning
        + _chat("Hello there, how can I help?")  # plain chat: nothing to say
    )
    report = validate_file(path)
    reasoning = report.stats.reasoning
    assert reasoning.outputs == 5
    assert reasoning.with_steps_and_conclusion == 2
    assert reasoning.share_with_steps_and_conclusion == 0.4
    assert reasoning.step_count_distribution == {"0": 2, "2": 3}
    assert reasoning.unsupported_conclusions == 1 and reasoning.steps_without_conclusion == 1
    warnings = {(w.line, w.code) for w in report.warnings if w.code.startswith("reasoning.")}
    assert warnings == {
        (2, "reasoning.repeated_step"),
        (2, "reasoning.no_conclusion"),
        (3, "reasoning.empty_step"),
        (4, "reasoning.no_steps"),
    }
    assert all(w.field == "messages[1].content" for w in report.warnings if w.line)
    assert report.valid  # quality problems are warnings, not errors


def test_block_duplicate_check_agrees_with_record_by_record_past_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Blocks are checked with set operations; past the digest cap too (a 1 GB file passes
    it), the counts, warnings and completeness are those of checking record by record."""
    monkeypatch.setattr(stats_module, "MAX_TRACKED_DIGESTS", 50)
    blocks = [[f'{{"n": {20 * b + i}}}'.encode() for i in range(20)] for b in range(4)]
    blocks.append([*blocks[0][:5], *(f'{{"m": {i}}}'.encode() for i in range(15))])  # tracked
    blocks.append([*blocks[2][15:], *(f'{{"k": {i}}}'.encode() for i in range(15))])  # not kept
    by_block, block_log = StatsCollector(), IssueLog(limit=1000)
    one_by_one, single_log = StatsCollector(), IssueLog(limit=1000)
    first = 1
    for block in blocks:
        by_block.count_raws(first, block, block_log)
        for offset, raw in enumerate(block):
            one_by_one.count_raw(first + offset, raw, single_log)
        first += len(block)
    assert by_block.digests == one_by_one.digests and len(by_block.digests) == 50
    assert (by_block.records, by_block.duplicates, by_block.digests_full) == (120, 5, True)
    assert (one_by_one.records, one_by_one.duplicates, one_by_one.digests_full) == (120, 5, True)
    assert block_log.warnings == single_log.warnings
