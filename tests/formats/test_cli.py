"""The ``dataset`` command group: exit codes and what a person reads."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from app.cli.datasets import cli_group

FIXTURES = Path(__file__).parent / "fixtures"


def test_validate_valid_file_exits_0() -> None:
    result = CliRunner().invoke(
        cli_group, ["validate", str(FIXTURES / "valid" / "openai_chat.jsonl")]
    )
    assert result.exit_code == 0, result.output
    assert "valid openai_chat, 3 records" in result.output


def test_validate_invalid_file_exits_1_with_line_numbers() -> None:
    result = CliRunner().invoke(
        cli_group, ["validate", str(FIXTURES / "broken" / "openai_bad_role.jsonl")]
    )
    assert result.exit_code == 1
    assert (
        'line 2: messages[1].role: expected one of system, developer, user, assistant, tool; got "bot"'
        in result.output
    )


def test_validate_json_output_is_the_report() -> None:
    path = FIXTURES / "valid" / "llama_io.jsonl"
    result = CliRunner().invoke(
        cli_group, ["validate", str(path), "--format", "llama_io", "--json"]
    )
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["format"] == "llama_io" and report["valid"] and report["record_count"] == 2


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli_group, ["validate", str(tmp_path / "missing.jsonl")]).exit_code == 2
    valid = str(FIXTURES / "valid" / "llama_io.jsonl")
    assert runner.invoke(cli_group, ["validate", valid, "--format", "csv"]).exit_code == 2
    assert (
        runner.invoke(
            cli_group, ["convert", valid, "--from", "llama_io", str(tmp_path / "o")]
        ).exit_code
        == 2
    )


def test_convert_lists_lossy_steps(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli_group,
        [
            "convert",
            str(FIXTURES / "valid" / "openai_chat.jsonl"),
            "--from",
            "openai_chat",
            "--to",
            "llama_io",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "LOSSY" in result.output and "tool message dropped (x1)" in result.output
    assert len(out.read_text().splitlines()) == 3


def test_scan_prints_masked_findings_only(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    record = {
        "messages": [
            {"role": "user", "content": "Patient SSN 219-09-9999, email maria.lopez@example.com"},
            {"role": "assistant", "content": "Noted."},
        ]
    }
    path.write_text(json.dumps(record) + "\n")
    result = CliRunner().invoke(cli_group, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    assert "PII=yes PHI=yes" in result.output
    assert "ssn: 1 in 1 records" in result.output
    assert "219-09-9999" not in result.output and "maria.lopez@example.com" not in result.output
    as_json = CliRunner().invoke(cli_group, ["scan", str(path), "--json"])
    assert json.loads(as_json.output)["classification"]["contains_phi"] is True


def test_validate_applies_the_environments_tabular_limits_as_uploads_do(tmp_path: Path) -> None:
    # Found after issue 14: the command applied the default limits, whatever the
    # GATEHOUSE_TABULAR_* settings the server's uploads obey.
    wide = tmp_path / "wide.csv"
    columns = 1_200  # beyond the default of 1,000
    wide.write_text(
        ",".join(f"c{i}" for i in range(columns)) + "\n" + (",".join("1" * columns) + "\n") * 3
    )
    runner = CliRunner()
    refused = runner.invoke(cli_group, ["validate", str(wide)])
    assert refused.exit_code == 1, refused.output
    assert refused.output.strip().splitlines() == [
        f"{wide}: refused: the table has 1,200 columns; at most 1,000 are accepted "
        "(GATEHOUSE_TABULAR_MAX_COLUMNS)"
    ]
    raised = {"GATEHOUSE_TABULAR_MAX_COLUMNS": "2000"}
    accepted = runner.invoke(cli_group, ["validate", str(wide)], env=raised)
    assert accepted.exit_code == 0, accepted.output
    assert "valid tabular, 3 records" in accepted.output
    lowered = {**raised, "GATEHOUSE_TABULAR_MAX_ROWS": "2"}
    few = runner.invoke(cli_group, ["validate", str(wide)], env=lowered)
    assert few.exit_code == 1 and "GATEHOUSE_TABULAR_MAX_ROWS" in few.output
    unreadable = runner.invoke(
        cli_group, ["validate", str(wide)], env={"GATEHOUSE_TABULAR_MAX_ROWS": "many"}
    )
    assert unreadable.exit_code == 2
    assert unreadable.output.strip().splitlines() == [
        "error: GATEHOUSE_TABULAR_MAX_ROWS must be a whole number, 0 or more; it is 'many'"
    ]


def test_scan_applies_the_same_tabular_limits(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(1_200)) + "\n" + ",".join("1" * 1_200) + "\n")
    refused = CliRunner().invoke(cli_group, ["scan", str(wide)])
    assert refused.exit_code == 1
    assert "GATEHOUSE_TABULAR_MAX_COLUMNS" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    raised = {"GATEHOUSE_TABULAR_MAX_COLUMNS": "2000"}
    scanned = CliRunner().invoke(cli_group, ["scan", str(wide)], env=raised)
    assert scanned.exit_code == 0, scanned.output
    assert "1 records" in scanned.output
