"""Validation of broken and valid dataset files: each mistake at its line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.formats import detect_format, validate_file

FIXTURES = Path(__file__).parent / "fixtures"

# (file, format, line, field, code): the mistake each broken fixture holds.
BROKEN = [
    ("openai_bad_role.jsonl", "openai_chat", 2, "messages[1].role", "openai.role"),
    ("openai_missing_messages.jsonl", "openai_chat", 2, "messages", "field.missing"),
    ("openai_messages_not_list.jsonl", "openai_chat", 1, "messages", "field.type"),
    ("openai_empty_messages.jsonl", "openai_chat", 3, "messages", "openai.empty"),
    ("openai_no_assistant.jsonl", "openai_chat", 2, "messages", "openai.no_assistant"),
    ("openai_content_missing.jsonl", "openai_chat", 2, "messages[0].content", "field.missing"),
    ("openai_content_number.jsonl", "openai_chat", 2, "messages[1].content", "field.type"),
    (
        "openai_part_bad_type.jsonl",
        "openai_chat",
        2,
        "messages[1].content[0].type",
        "openai.part_type",
    ),
    (
        "openai_part_text_not_string.jsonl",
        "openai_chat",
        2,
        "messages[0].content[0].text",
        "field.type",
    ),
    ("openai_weight_on_user.jsonl", "openai_chat", 2, "messages[0].weight", "openai.weight"),
    ("openai_weight_out_of_range.jsonl", "openai_chat", 2, "messages[1].weight", "openai.weight"),
    ("openai_message_not_object.jsonl", "openai_chat", 2, "messages[0]", "field.type"),
    ("openai_top_level_array.jsonl", "openai_chat", 2, "", "record.type"),
    ("openai_top_level_string.jsonl", "openai_chat", 1, "", "record.type"),
    ("openai_invalid_json.jsonl", "openai_chat", 2, "", "json.invalid"),
    ("openai_truncated_last_line.jsonl", "openai_chat", 3, "", "line.truncated"),
    ("openai_invalid_utf8.jsonl", "openai_chat", 2, "", "encoding.utf8"),
    ("openai_role_missing.jsonl", "openai_chat", 2, "messages[1].role", "field.missing"),
    ("openai_empty_file.jsonl", "openai_chat", None, "", "file.empty"),
    ("openai_only_blank_lines.jsonl", "openai_chat", None, "", "file.empty"),
    ("openai_utf16.jsonl", "openai_chat", None, "", "encoding.utf16"),
    ("openai_null_content_user.jsonl", "openai_chat", 2, "messages[0].content", "field.type"),
    ("anthropic_prompt_no_human.jsonl", "anthropic_text", 2, "prompt", "anthropic.prompt_turns"),
    (
        "anthropic_prompt_no_assistant_end.jsonl",
        "anthropic_text",
        2,
        "prompt",
        "anthropic.prompt_end",
    ),
    ("anthropic_completion_missing.jsonl", "anthropic_text", 2, "completion", "field.missing"),
    ("anthropic_completion_empty.jsonl", "anthropic_text", 2, "completion", "anthropic.empty_turn"),
    ("anthropic_prompt_double_human.jsonl", "anthropic_text", 2, "prompt", "anthropic.alternation"),
    ("anthropic_prompt_not_string.jsonl", "anthropic_text", 2, "prompt", "field.type"),
    ("anthropic_text_preamble.txt", "anthropic_text", 1, "", "anthropic.preamble"),
    ("anthropic_text_starts_assistant.txt", "anthropic_text", 5, "turns[0]", "anthropic.order"),
    ("anthropic_text_two_humans.txt", "anthropic_text", 7, "turns[1]", "anthropic.alternation"),
    ("anthropic_text_ends_human.txt", "anthropic_text", 5, "turns[2]", "anthropic.order"),
    ("anthropic_text_empty_turn.txt", "anthropic_text", 7, "turns[1]", "anthropic.empty_turn"),
    ("anthropic_text_invalid_utf8.txt", "anthropic_text", 5, "", "encoding.utf8"),
    ("llama_missing_output.jsonl", "llama_io", 2, "output", "field.missing"),
    ("llama_input_not_string.jsonl", "llama_io", 2, "input", "field.type"),
    ("llama_instruction_number.jsonl", "llama_io", 1, "instruction", "field.type"),
    ("llama_top_level_list.jsonl", "llama_io", 3, "", "record.type"),
    ("gemini_bad_role.jsonl", "gemini_multimodal", 2, "contents[1].role", "gemini.role"),
    (
        "gemini_bad_mime.jsonl",
        "gemini_multimodal",
        2,
        "contents[0].parts[1].inlineData.mimeType",
        "gemini.mime",
    ),
    (
        "gemini_bad_base64.jsonl",
        "gemini_multimodal",
        2,
        "contents[0].parts[1].inlineData.data",
        "gemini.base64",
    ),
    (
        "gemini_file_no_uri.jsonl",
        "gemini_multimodal",
        2,
        "contents[0].parts[1].fileData.fileUri",
        "gemini.uri",
    ),
    (
        "gemini_file_no_mime.jsonl",
        "gemini_multimodal",
        2,
        "contents[0].parts[1].fileData.mimeType",
        "field.missing",
    ),
    ("gemini_no_model.jsonl", "gemini_multimodal", 2, "contents", "gemini.no_model"),
    ("gemini_part_two_kinds.jsonl", "gemini_multimodal", 2, "contents[0].parts[0]", "gemini.part"),
    ("gemini_alternation.jsonl", "gemini_multimodal", 2, "contents[1].role", "gemini.alternation"),
    ("gemini_empty_parts.jsonl", "gemini_multimodal", 2, "contents[0].parts", "field.type"),
    ("gemini_missing_contents.jsonl", "gemini_multimodal", 2, "contents", "field.missing"),
    (
        "gemini_system_not_text.jsonl",
        "gemini_multimodal",
        2,
        "systemInstruction.parts",
        "gemini.system",
    ),
    ("tabular_short_row.csv", "tabular", 3, "", "tabular.columns"),
    ("tabular_duplicate_header.csv", "tabular", 1, "age", "tabular.header"),
    ("tabular_invalid_utf8.csv", "tabular", 2, "", "encoding.utf8"),
    ("tabular_corrupt.parquet", "tabular", None, "", "tabular.parquet"),
]


def test_fixture_set_covers_at_least_forty_distinct_mistakes() -> None:
    files = {case[0] for case in BROKEN}
    assert len(files) == len(BROKEN) >= 40
    assert files <= {p.name for p in (FIXTURES / "broken").iterdir()}


@pytest.mark.parametrize(
    ("name", "format_name", "line", "field", "code"), BROKEN, ids=[c[0] for c in BROKEN]
)
def test_broken_file_reports_its_mistake(
    name: str, format_name: str, line: int | None, field: str, code: str
) -> None:
    report = validate_file(FIXTURES / "broken" / name, format=format_name)
    found = {(issue.line, issue.field, issue.code) for issue in report.errors}
    assert (line, field, code) in found, [str(issue) for issue in report.errors]
    assert not report.valid
    # the good records around the mistake raise nothing
    assert {issue.line for issue in report.errors} == {line}
    assert all(issue.message for issue in report.errors)


def test_error_message_reads_like_the_issue_example() -> None:
    report = validate_file(FIXTURES / "broken" / "openai_bad_role.jsonl")
    assert str(report.errors[0]) == (
        'line 2: messages[1].role: expected one of system, developer, user, assistant, tool; got "bot"'
    )


def test_huge_line_is_reported_and_skipped_in_bounded_memory() -> None:
    report = validate_file(FIXTURES / "broken" / "openai_huge_line.jsonl", max_line_bytes=1024)
    assert [(i.line, i.code) for i in report.errors] == [(2, "line.too_long")]
    assert report.record_count == 2
    assert report.stats.valid_records == 2


def test_undetectable_file_is_invalid_with_a_clear_reason() -> None:
    path = FIXTURES / "broken" / "unknown_format.jsonl"
    assert detect_format(path) is None
    report = validate_file(path)
    assert report.format == "unknown"
    assert [i.code for i in report.errors] == ["format.unknown"]


def test_all_errors_are_collected_up_to_the_limit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join('{"messages": [{"role": "bot", "content": "x"}]}\n' for _ in range(50)))
    report = validate_file(bad, format="openai_chat", max_errors=10)
    assert len(report.errors) == 10
    assert report.error_count == 100  # a bad role and no assistant on each line
    assert report.errors_truncated


def test_bom_is_removed_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    good = (FIXTURES / "valid" / "llama_io.jsonl").read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + good)
    report = validate_file(path)
    assert report.valid and report.format == "llama_io"
    assert ("encoding.bom", 1) in {(w.code, w.line) for w in report.warnings}


VALID = [
    ("openai_chat.jsonl", "openai_chat", 3),
    ("anthropic_text.jsonl", "anthropic_text", 2),
    ("anthropic_text.txt", "anthropic_text", 2),
    ("llama_io.jsonl", "llama_io", 2),
    ("gemini_multimodal.jsonl", "gemini_multimodal", 3),
    ("tabular.csv", "tabular", 3),
    ("tabular.parquet", "tabular", 3),
]


@pytest.mark.parametrize(("name", "format_name", "records"), VALID, ids=[c[0] for c in VALID])
def test_valid_file_passes_and_is_detected(name: str, format_name: str, records: int) -> None:
    path = FIXTURES / "valid" / name
    assert detect_format(path) == format_name
    report = validate_file(path)
    assert report.valid, [str(i) for i in report.errors]
    assert report.format == format_name and report.format_detected
    assert report.record_count == records == report.stats.valid_records
    assert report.size_bytes == path.stat().st_size
    json.dumps(report.to_dict())  # JSON-able as the registry stores it


def test_report_hash_is_the_file_sha256() -> None:
    import hashlib

    path = FIXTURES / "valid" / "gemini_multimodal.jsonl"
    assert validate_file(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_tabular_reports_column_types() -> None:
    report = validate_file(FIXTURES / "valid" / "tabular.csv")
    columns = {c["name"]: c for c in report.stats.details["columns"]}  # type: ignore[attr-defined]
    assert columns["age"]["type"] == "integer"
    assert columns["income"]["type"] == "number"
    assert columns["income"]["empty"] == 1
    assert columns["approved"]["type"] == "boolean"
    assert columns["sex"]["type"] == "string"


def test_progress_reports_every_byte(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    line = (FIXTURES / "valid" / "llama_io.jsonl").read_text().splitlines()[1]
    path.write_text("".join(line.replace("4", str(n)) + "\n" for n in range(60_000)))
    seen: list[int] = []
    report = validate_file(path, progress=seen.append)
    assert sum(seen) == path.stat().st_size == report.size_bytes
    assert len(seen) > 1  # several updates on a file over 1 MiB
