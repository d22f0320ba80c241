"""``docs/controls.md`` is generated from METADATA, and the committed file is current."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from app.cli.policy import cli_group
from app.policy.catalogue import load_catalogue
from app.policy.controls_doc import load_manual_controls, render_controls_doc
from tests.policy.conftest import POLICY_DIR

CONTROLS_DOC = POLICY_DIR.parent / "docs" / "controls.md"


def _fresh() -> str:
    return render_controls_doc(
        load_catalogue(policy_dir=POLICY_DIR), load_manual_controls(policy_dir=POLICY_DIR)
    )


def test_committed_controls_doc_is_current() -> None:
    assert CONTROLS_DOC.read_text(encoding="utf-8") == _fresh(), (
        "docs/controls.md is stale: run `gatehouse policy catalogue --markdown > docs/controls.md`"
    )


def test_markdown_command_prints_the_doc() -> None:
    result = CliRunner().invoke(cli_group, ["catalogue", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.output == _fresh()


def test_doc_lists_every_control_with_linked_citation_and_dates() -> None:
    text = _fresh()
    for control in load_catalogue(policy_dir=POLICY_DIR):
        assert f"| `{control.id}` |" in text
        assert f"]({control.citation_url})" in text
        assert f"### `{control.id}`: {control.title}" in text
    assert "| `FIN-SR11-7-INVENTORY` |" in text  # manual controls too
    assert "Legacy citation, only when `data.gatehouse.model_risk.adopted_guidance" in text


def test_a_broken_framework_map_is_one_readable_error(tmp_path: Path) -> None:
    (tmp_path / "frameworks").mkdir()
    (tmp_path / "frameworks" / "bad.yaml").write_text("bad:\n  controls: [{manual: true}]\n")
    result = CliRunner().invoke(
        cli_group, ["catalogue", "--markdown", "--policy-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: bad.yaml: incomplete framework map")
