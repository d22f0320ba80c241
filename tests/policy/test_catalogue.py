"""The catalogue reads the METADATA blocks, and they agree with the rules' constants."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from app.cli.policy import cli_group
from app.policy.catalogue import REVIEW_INTERVAL_DAYS, load_catalogue, review_overdue
from app.policy.errors import PolicyBundleError
from tests.policy.conftest import POLICY_DIR

REQUIRED_CONTROLS = {
    "HIPAA-164.514",
    "HIPAA-164.502e",
    "HIPAA-164.502b",
    "HIPAA-164.312b",
    "HIPAA-164.312a2iv",
    "GDPR-6.1",
    "GDPR-9.2",
    "GDPR-35",
    "GDPR-44",
    "GDPR-5.1e",
    "GDPR-17",
    "GDPR-22",
    "GDPR-30",
    "FIN-SR11-7-TIER",
    "FIN-SR11-7-VALIDATION",
    "FIN-SR11-7-MONITORING",
    "FIN-REGB-1002.9",
    "FIN-FAIR-LENDING",
    "EUAIA-53",
    "EUAIA-HIGH-RISK",
    "COMMON-MODEL-CARD",
    "COMMON-EVALUATIONS",
    "COMMON-RED-TEAM",
    "COMMON-MONITORING",
    "COMMON-MONITORING-SUSPEND",
    "COMMON-APPROVALS",
}


def _evaluate(opa: Path, query: str) -> object:
    """The value of ``query`` over the policies, by OPA's own evaluator."""
    done = subprocess.run(
        [str(opa), "eval", "--format", "json", "--ignore", "*_test.rego", "--data", ".", query],
        cwd=POLICY_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["result"][0]["expressions"][0]["value"]


def test_catalogue_lists_every_required_control() -> None:
    catalogue = load_catalogue(policy_dir=POLICY_DIR)
    assert {control.id for control in catalogue} == REQUIRED_CONTROLS
    for control in catalogue:
        assert control.package.replace(".", "/") == str(Path(control.path).parent)
        assert control.title and control.description and control.remediation
        assert control.severity in {"critical", "high", "medium", "low"}
        assert control.citation_url.startswith("https://")
        assert (POLICY_DIR / control.path.replace(".rego", "_test.rego")).is_file()


def test_rule_constants_match_the_metadata(opa_binary: Path) -> None:
    constants = _evaluate(
        opa_binary,
        "{c.package: data[c.root][c.name].control | some c in "
        + json.dumps(
            [
                {"package": c.package, "root": root, "name": name}
                for c in load_catalogue(policy_dir=POLICY_DIR)
                for root, name in [c.package.split(".")]
            ]
        )
        + "}",
    )
    assert isinstance(constants, dict)
    for control in load_catalogue(policy_dir=POLICY_DIR):
        constant = constants[control.package]
        assert constant == {
            "control_id": control.id,
            "regulation": control.regulation,
            "citation": control.citation,
            "severity": control.severity,
        }, control.path


def test_every_control_belongs_to_exactly_one_gate_pack(opa_binary: Path) -> None:
    packs = _evaluate(opa_binary, "data.lib.gates.packs")
    assert isinstance(packs, dict)
    listed = [control_id for members in packs.values() for control_id in members]
    assert sorted(listed) == sorted(REQUIRED_CONTROLS)
    outcomes = _evaluate(opa_binary, "object.keys(data.lib.gates.outcomes)")
    assert isinstance(outcomes, list)
    assert set(outcomes) == REQUIRED_CONTROLS


def test_framework_maps_cover_every_control() -> None:
    catalogue = {control.id: control for control in load_catalogue(policy_dir=POLICY_DIR)}
    mapped: set[str] = set()
    for path in sorted((POLICY_DIR / "frameworks").glob("*.yaml")):
        # One top-level key per file (its name): OPA loads these files as data too.
        framework = yaml.safe_load(path.read_text())[path.stem]
        for entry in framework["controls"]:
            if entry.get("manual"):
                assert "package" not in entry and entry["procedure"], entry
                continue
            control = catalogue[entry["id"]]
            assert entry["package"] == control.package
            assert entry["citation"] == control.citation
            assert control.regulation == framework["regulation"]
            mapped.add(entry["id"])
    assert mapped == set(catalogue)


def test_catalogue_command_prints_json() -> None:
    result = CliRunner().invoke(cli_group, ["catalogue", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert {entry["id"] for entry in listed} == REQUIRED_CONTROLS
    deidentification = next(entry for entry in listed if entry["id"] == "HIPAA-164.514")
    assert deidentification["citation"] == "45 CFR 164.514(a)-(b)"
    assert deidentification["package"] == "hipaa.deidentification"


def test_catalogue_command_prints_a_table() -> None:
    result = CliRunner().invoke(cli_group, ["catalogue"])
    assert result.exit_code == 0
    assert "GDPR-9.2" in result.output and "GDPR Art. 9(2)" in result.output


def test_every_control_has_its_dates() -> None:
    """A requirement may apply from a future date (EU AI Act Annex III); a review may not."""
    today = date.today()
    for control in load_catalogue(policy_dir=POLICY_DIR):
        date.fromisoformat(control.effective_from)
        assert date.fromisoformat(control.last_reviewed) <= today, control.id


def test_no_control_was_last_reviewed_more_than_a_year_ago() -> None:
    """Relative to today: this test starts failing the day a review falls due."""
    today = date.today()
    overdue = [
        (control.id, control.last_reviewed)
        for control in load_catalogue(policy_dir=POLICY_DIR)
        if review_overdue(control, today=today)
    ]
    assert overdue == [], f"controls overdue for review (older than {REVIEW_INTERVAL_DAYS} days)"


def test_review_overdue_counts_from_the_review_date() -> None:
    control = next(c for c in load_catalogue(policy_dir=POLICY_DIR) if c.id == "GDPR-35")
    reviewed = date.fromisoformat(control.last_reviewed)
    assert not review_overdue(control, today=reviewed + timedelta(days=REVIEW_INTERVAL_DAYS))
    assert review_overdue(control, today=reviewed + timedelta(days=REVIEW_INTERVAL_DAYS + 1))


def test_a_control_without_review_date_or_with_a_bad_date_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, copy)
    dpia = copy / "gdpr" / "dpia" / "dpia.rego"
    source = dpia.read_text()
    dpia.write_text(source.replace("#   last_reviewed: ", "#   reviewed_on: "))
    with pytest.raises(PolicyBundleError, match=r"gdpr/dpia/dpia\.rego: incomplete METADATA"):
        load_catalogue(policy_dir=copy)
    dpia.write_text(source.replace("#   last_reviewed: 2026-", "#   last_reviewed: 26-"))
    with pytest.raises(PolicyBundleError, match="last_reviewed is not an ISO date"):
        load_catalogue(policy_dir=copy)


@pytest.mark.parametrize(
    "address", ["javascript:alert(document.cookie)", "file:///etc/passwd", "eur-lex.europa.eu"]
)
def test_a_citation_that_is_no_web_address_is_refused(tmp_path: Path, address: str) -> None:
    """The portal and the reports make every citation a link."""
    copy = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, copy)
    dpia = copy / "gdpr" / "dpia" / "dpia.rego"
    dpia.write_text(
        dpia.read_text().replace(
            "#   - ref: https://eur-lex.europa.eu/eli/reg/2016/679/oj#d1e3265-1-1",
            f"#   - ref: {address}",
        )
    )
    with pytest.raises(PolicyBundleError, match=r"gdpr/dpia/dpia\.rego: related_resources"):
        load_catalogue(policy_dir=copy)


def test_no_control_cites_a_rescinded_document_as_current() -> None:
    rescinded = ("SR 11-7", "sr1107", "OCC 2011-12", "2011-12")
    for control in load_catalogue(policy_dir=POLICY_DIR):
        current = f"{control.title} {control.citation} {control.citation_url}"
        assert not any(marker in current for marker in rescinded), control.id
        assert control.superseded_by is None, control.id


def test_model_risk_controls_cite_current_guidance_and_say_how_llms_are_treated() -> None:
    model_risk = [c for c in load_catalogue(policy_dir=POLICY_DIR) if c.id.startswith("FIN-SR11-7")]
    assert {c.id for c in model_risk} == {
        "FIN-SR11-7-TIER",
        "FIN-SR11-7-VALIDATION",
        "FIN-SR11-7-MONITORING",
    }
    for control in model_risk:
        assert control.citation.startswith("Federal Reserve SR 26-2 / OCC Bulletin 2026-13")
        assert control.effective_from == "2026-04-17"
        assert control.generative_ai and "fine-tuned LLM" in control.generative_ai
        legacy = control.legacy_citation
        assert legacy is not None
        assert "SR 11-7" in legacy["citation"] and "rescinded 17 April 2026" in legacy["citation"]
        assert legacy["switch"] == 'data.gatehouse.model_risk.adopted_guidance = "sr11-7"'


def test_catalogue_json_carries_dates_and_the_legacy_switch() -> None:
    result = CliRunner().invoke(cli_group, ["catalogue", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["id"]: entry for entry in json.loads(result.output)}
    tier = listed["FIN-SR11-7-TIER"]
    assert tier["effective_from"] == "2026-04-17" and tier["superseded_by"] is None
    assert tier["last_reviewed"] and tier["legacy_citation"]["effective_from"] == "2011-04-04"
    assert listed["HIPAA-164.312b"]["effective_from"] == "2005-04-20"


def test_catalogue_command_refuses_two_formats() -> None:
    result = CliRunner().invoke(cli_group, ["catalogue", "--json", "--markdown"])
    assert result.exit_code == 2
    assert "choose one of --json and --markdown" in result.output


def test_every_control_maps_to_nist_ai_rmf_and_well_formed_iso_42001_ids() -> None:
    nist = re.compile(r"^(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+$")
    iso = re.compile(r"^A\.\d+(\.\d+)+$")
    for control in load_catalogue(policy_dir=POLICY_DIR):
        assert set(control.frameworks) == {"nist_ai_rmf", "iso_42001"}, control.id
        assert control.frameworks["nist_ai_rmf"], control.id
        assert all(nist.match(entry) for entry in control.frameworks["nist_ai_rmf"]), control.id
        assert all(iso.match(entry) for entry in control.frameworks["iso_42001"]), control.id


def test_catalogue_json_lists_every_acceptance_regulation_with_mappings() -> None:
    result = CliRunner().invoke(cli_group, ["catalogue", "--json"])
    listed = json.loads(result.output)
    assert {entry["regulation"] for entry in listed} >= {"HIPAA", "GDPR", "EU AI Act", "Finance"}
    fair = next(entry for entry in listed if entry["id"] == "FIN-FAIR-LENDING")
    assert fair["frameworks"]["nist_ai_rmf"] == ["MEASURE 2.11"]
    assert all(entry["citation_url"] and entry["last_reviewed"] for entry in listed)
