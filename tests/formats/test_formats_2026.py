"""The platforms' 2026 formats: each valid file validates and is detected, each broken
file names every bad line and field, and the new conversion pairs report their losses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.formats import convert_file, detect_format, validate_file
from app.formats.catalog import entry
from app.formats.detect import explain_format
from app.formats.errors import UnsupportedConversionError

FIXTURES = Path(__file__).parent / "fixtures" / "formats2026"

NEW_FORMATS = (
    "openai_preference",
    "openai_reinforcement",
    "anthropic_bedrock",
    "gemini_preference",
    "trl",
)

# Every (line, field, code) error each broken file must report, and nothing else.
BROKEN = {
    "openai_preference": {
        (1, "non_preferred_output", "field.type"),
        (2, "input.messages[0].role", "openai.role"),
        (3, "preferred_output[0].role", "dpo.role"),
        (4, "non_preferred_output", "dpo.same"),
        (5, "input", "field.type"),
    },
    "openai_reinforcement": {
        (1, "messages[1].role", "rft.answer"),
        (1, "messages[1].role", "rft.order"),
        (2, "messages[1].role", "rft.order"),
        (3, "messages", "field.type"),
        (4, "messages[0].content", "field.type"),
    },
    "anthropic_bedrock": {
        (1, "messages", "bedrock.too_few"),
        (2, "messages[0].role", "bedrock.order"),
        (2, "messages[1].role", "bedrock.order"),
        (3, "messages[1].role", "bedrock.alternation"),
        (4, "messages[1].weight", "bedrock.key"),
        (5, "id", "bedrock.key"),
        (5, "system", "field.type"),
        (6, "messages[0].role", "bedrock.role"),
        (6, "messages[1].content", "bedrock.empty"),
    },
    "gemini_preference": {
        (1, "completions", "gemini.completions"),
        (2, "completions", "gemini.score"),
        (3, "contents[1].role", "gemini.order"),
        (4, "contents[0].parts[0]", "gemini.text_only"),
        (5, "completions[0].completion.role", "gemini.role"),
        (5, "completions[1].score", "gemini.score"),
        (5, "completions", "gemini.score"),
    },
    "trl": {
        (1, "", "trl.style"),
        (2, "label", "trl.label"),
        (3, "", "trl.type"),
        (4, "messages[0].role", "trl.role"),
        (5, "prompt[0].content", "field.type"),
    },
}


@pytest.mark.parametrize("name", [*NEW_FORMATS, "openai_chat_tools"])
def test_valid_file_validates_and_is_detected(name: str) -> None:
    path = FIXTURES / f"{name}.valid.jsonl"
    report = validate_file(path)
    expected = "openai_chat" if name == "openai_chat_tools" else name
    assert report.format == expected and report.format_detected
    assert report.valid, report.errors
    assert report.format_reason and expected in report.format_reason
    assert not [w for w in report.warnings if w.line is not None]  # only file-level limits
    assert report.record_count == report.stats.valid_records > 0


@pytest.mark.parametrize("name", NEW_FORMATS)
def test_broken_file_names_each_bad_line_and_field(name: str) -> None:
    report = validate_file(FIXTURES / f"{name}.broken.jsonl", format=name)
    assert not report.valid
    assert {(e.line, e.field, e.code) for e in report.errors} == BROKEN[name]


def test_a_bedrock_file_is_not_openai_chat_and_ambiguity_is_explained(tmp_path: Path) -> None:
    assert detect_format(FIXTURES / "anthropic_bedrock.valid.jsonl") == "anthropic_bedrock"
    bare = tmp_path / "bare.jsonl"
    bare.write_text(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello."},
                ]
            }
        )
        + "\n"
    )
    detection = explain_format(bare)
    assert detection.format == "openai_chat"
    assert set(detection.also_fits) >= {"anthropic_bedrock", "trl"}
    assert "give the format" in detection.reason
    report = validate_file(bare)
    assert report.format_also_fits == detection.also_fits


def test_undetectable_file_says_which_keys_it_has(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text('{"question": "Q", "answer": "A"}\n')
    report = validate_file(path)
    assert report.format == "unknown" and not report.valid
    assert "question, answer, which match no known format" in report.errors[0].message


def test_limits_are_checked_with_estimated_lengths(tmp_path: Path) -> None:
    limits = entry("gemini_multimodal").limits
    assert limits is not None and limits.max_example_tokens is not None
    long_text = "word " * (limits.max_example_tokens * 4 // 5 + 10)
    path = tmp_path / "long.json"  # wrong media type too
    record = {
        "contents": [
            {"role": "user", "parts": [{"text": long_text}]},
            {"role": "model", "parts": [{"text": "Noted."}]},
        ]
    }
    path.write_text(json.dumps(record) + "\n")
    report = validate_file(path)
    codes = {w.code: w for w in report.warnings}
    assert "estimated from" in codes["limits.example_length"].message
    assert "needs at least 16" in codes["limits.min_examples"].message
    assert "application/jsonl" in codes["limits.mime_type"].message
    assert report.limits is not None and report.limits["lengths"] == "estimated"
    assert report.limits["examples_over_length"] == 1


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("openai_preference", "gemini_preference"),
        ("gemini_preference", "trl"),
        ("trl", "openai_preference"),
    ],
)
def test_preference_formats_convert_losslessly(tmp_path: Path, source: str, target: str) -> None:
    out = tmp_path / "out.jsonl"
    report = convert_file(
        FIXTURES / f"{source}.valid.jsonl", out, source_format=source, target_format=target
    )
    assert report.lossless, report.lossy_steps
    assert report.records_written == report.records_read == 2
    assert validate_file(out, format=target).valid
    back = tmp_path / "back.jsonl"
    assert convert_file(out, back, source_format=target, target_format=source).lossless


def test_openai_tools_to_bedrock_reports_every_lossy_step(tmp_path: Path) -> None:
    out = tmp_path / "bedrock.jsonl"
    report = convert_file(
        FIXTURES / "openai_chat_tools.valid.jsonl",
        out,
        source_format="openai_chat",
        target_format="anthropic_bedrock",
    )
    steps = {step.step: step.count for step in report.lossy_steps}
    assert steps == {
        "assistant tool calls dropped": 1,
        "tool message dropped": 1,
        "assistant message weight dropped": 2,
    }
    assert validate_file(out, format="anthropic_bedrock").valid


def test_bedrock_converts_to_each_chat_format_and_back(tmp_path: Path) -> None:
    source = FIXTURES / "anthropic_bedrock.valid.jsonl"
    for target in ("openai_chat", "gemini_multimodal", "trl"):
        out = tmp_path / f"{target}.jsonl"
        report = convert_file(source, out, source_format="anthropic_bedrock", target_format=target)
        assert report.lossless and report.records_written == 2
        back = tmp_path / f"{target}.back.jsonl"
        assert convert_file(
            out, back, source_format=target, target_format="anthropic_bedrock"
        ).lossless
        assert [json.loads(line) for line in back.read_text().splitlines()] == [
            json.loads(line) for line in source.read_text().splitlines()
        ]


def test_reinforcement_data_does_not_convert(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedConversionError, match="preference formats"):
        convert_file(
            FIXTURES / "openai_reinforcement.valid.jsonl",
            tmp_path / "x.jsonl",
            source_format="openai_reinforcement",
            target_format="openai_chat",
        )
