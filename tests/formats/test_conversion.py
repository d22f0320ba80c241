"""Conversion between chat formats: lossless round trips, every loss reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.formats import convert_file, validate_file
from app.formats.errors import UnsupportedConversionError

# Records every chat format can express: a system prompt and alternating text turns.
OPENAI_RECORDS = [
    {
        "messages": [
            {"role": "system", "content": "You are a careful tutor."},
            {"role": "user", "content": "What is 12*3?"},
            {"role": "assistant", "content": "Step 1: 12*3 = 36.\nTherefore the answer is 36."},
        ]
    },
    {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris."},
        ]
    },
]
LLAMA_RECORDS = [
    {"instruction": "Translate to French.", "input": "cheese", "output": "fromage"},
    {"input": "2+2?", "output": "4"},
]


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _read(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("middle", ["anthropic_text", "gemini_multimodal"])
def test_openai_round_trip_is_lossless(tmp_path: Path, middle: str) -> None:
    source = _write(tmp_path / "a.jsonl", OPENAI_RECORDS)
    there = convert_file(
        source, tmp_path / "b.jsonl", source_format="openai_chat", target_format=middle
    )
    back = convert_file(
        tmp_path / "b.jsonl",
        tmp_path / "c.jsonl",
        source_format=middle,
        target_format="openai_chat",
    )
    assert there.lossless and back.lossless, (there.lossy_steps, back.lossy_steps)
    assert validate_file(tmp_path / "b.jsonl", format=middle).valid
    assert _read(tmp_path / "c.jsonl") == OPENAI_RECORDS


@pytest.mark.parametrize("middle", ["openai_chat", "anthropic_text", "gemini_multimodal"])
def test_llama_round_trip_is_lossless(tmp_path: Path, middle: str) -> None:
    source = _write(tmp_path / "a.jsonl", LLAMA_RECORDS)
    there = convert_file(
        source, tmp_path / "b.jsonl", source_format="llama_io", target_format=middle
    )
    back = convert_file(
        tmp_path / "b.jsonl", tmp_path / "c.jsonl", source_format=middle, target_format="llama_io"
    )
    assert there.lossless and back.lossless
    assert validate_file(tmp_path / "b.jsonl", format=middle).valid
    assert _read(tmp_path / "c.jsonl") == LLAMA_RECORDS


def test_anthropic_text_form_converts_to_the_jsonl_form(tmp_path: Path) -> None:
    source = Path(__file__).parent / "fixtures" / "valid" / "anthropic_text.txt"
    report = convert_file(
        source, tmp_path / "o.jsonl", source_format="anthropic_text", target_format="openai_chat"
    )
    assert report.lossless and report.records_written == 2
    records = _read(tmp_path / "o.jsonl")
    assert records[1]["messages"][-1] == {"role": "assistant", "content": "Goodbye!"}


def test_lossy_steps_are_listed_with_counts(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "a.jsonl",
        [
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Weather?"},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "1",
                                "type": "function",
                                "function": {"name": "weather", "arguments": "{}"},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "1", "content": "sunny"},
                    {"role": "assistant", "content": "Sunny.", "weight": 1},
                ]
            },
            OPENAI_RECORDS[1],
        ],
    )
    report = convert_file(
        source, tmp_path / "b.jsonl", source_format="openai_chat", target_format="llama_io"
    )
    steps = {step.step: step.count for step in report.lossy_steps}
    assert steps == {
        "assistant tool calls dropped": 1,
        "tool message dropped": 1,
        "assistant message weight dropped": 1,
        "multi-turn conversation flattened into input": 1,
    }
    assert not report.lossless
    assert report.records_written == 2
    assert validate_file(tmp_path / "b.jsonl", format="llama_io").valid


def test_media_parts_dropped_from_gemini_are_counted(tmp_path: Path) -> None:
    source = Path(__file__).parent / "fixtures" / "valid" / "gemini_multimodal.jsonl"
    report = convert_file(
        source, tmp_path / "o.jsonl", source_format="gemini_multimodal", target_format="openai_chat"
    )
    steps = {step.step: step.count for step in report.lossy_steps}
    assert steps["non-text part dropped"] == 3


def test_invalid_source_records_are_skipped_and_reported(tmp_path: Path) -> None:
    source = Path(__file__).parent / "fixtures" / "broken" / "openai_bad_role.jsonl"
    report = convert_file(
        source, tmp_path / "o.jsonl", source_format="openai_chat", target_format="llama_io"
    )
    assert report.records_invalid == 1 and report.records_written == 1
    assert report.errors[0].line == 2


def test_unreadable_source_lines_are_counted(tmp_path: Path) -> None:
    source = Path(__file__).parent / "fixtures" / "broken" / "openai_invalid_json.jsonl"
    report = convert_file(
        source, tmp_path / "o.jsonl", source_format="openai_chat", target_format="gemini_multimodal"
    )
    assert {s.step: s.count for s in report.lossy_steps} == {"unreadable source line skipped": 1}
    assert report.records_written == 1 and not report.lossless


def test_tabular_cannot_be_converted(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConversionError):
        convert_file(
            tmp_path / "x.csv",
            tmp_path / "y.jsonl",
            source_format="tabular",
            target_format="openai_chat",
        )
