"""Evidence that replays: the promotion pack embeds its decisions, inputs and policies,
and ``gatehouse report verify --replay`` re-evaluates them offline with the real
embedded engine, naming any decision and control whose outcome a policy change flips."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject

from app.cli.reports import cli_group
from app.db import session_scope
from app.gates.service import evaluate_gate
from app.ledger import canonical_json, sha256_hex
from app.policy.factory import build_engine
from app.reports.attachments import BUNDLE_NAME, DECISIONS_NAME, FIGURES_NAME, MANIFEST_NAME
from app.reports.replay import replay_pdf
from app.reports.verification import embedded_file, verify_pdf
from tests.reports.conftest import pdf_text
from tests.reports.test_conformance import run_verapdf
from tests.reports_registry.conftest import World, generate_in_session

#: Raising the general-domain accuracy minimum above the ready model's 0.91 flips it.
_ACCURACY = ("gatehouse", "thresholds", "evaluations", "domains", "general", "accuracy", "min")


def _evidence(pdf: bytes, name: str) -> dict[str, Any]:
    data = embedded_file(pdf, name)
    assert data is not None, f"{name} is not embedded"
    value: dict[str, Any] = json.loads(data)
    return value


def _override(tmp_path: Path, value: float) -> Path:
    """A per-installation data file that tightens the accuracy minimum to ``value``."""
    document: dict[str, Any] = {}
    node = document
    for key in _ACCURACY[:-1]:
        node = node.setdefault(key, {})
    node[_ACCURACY[-1]] = value
    path = tmp_path / "override.json"
    path.write_text(json.dumps(document))
    return path


def _engine(world: World, override: Path | None = None) -> Any:
    return build_engine(
        kind="embedded",
        policy_dir=world.settings.policy_dir,
        compiled_dir=world.settings.compiled_policy_dir,
        extra_data_path=override,
    )


def _verify_replay(world: World, path: Path, override: Path | None = None) -> Any:
    """``gatehouse report verify --replay`` as an auditor runs it: no database."""
    env = {
        "GATEHOUSE_POLICY_DIR": str(world.settings.policy_dir),
        "GATEHOUSE_COMPILED_POLICY_DIR": str(world.settings.compiled_policy_dir),
        "GATEHOUSE_POLICY_DATA_OVERRIDE": str(override) if override else "",
        "GATEHOUSE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    return CliRunner().invoke(cli_group, ["verify", "--replay", str(path)], env=env)


def test_the_pack_embeds_decisions_with_inputs_bundle_ledger_and_a_manifest(
    world: World,
) -> None:
    pdf = world.pdf("promotion_evidence")
    manifest = _evidence(pdf, MANIFEST_NAME)
    names = {entry["name"] for entry in manifest["files"]}
    assert {
        DECISIONS_NAME,
        BUNDLE_NAME,
        "gatehouse-ledger-excerpt.json",
        FIGURES_NAME,
        "gatehouse-ledger.json",
    } <= names
    for entry in manifest["files"]:
        data = embedded_file(pdf, entry["name"])
        assert data is not None and hashlib.sha256(data).hexdigest() == entry["sha256"]
    decisions = _evidence(pdf, DECISIONS_NAME)["decisions"]
    assert decisions and all(d["gate"] == "production_promotion" for d in decisions)
    for decision in decisions:
        assert sha256_hex(canonical_json(decision["input"])) == decision["input_sha256"]
        assert decision["input"]["subject"] == {
            "kind": "deployment",
            "id": str(world.ids["ready_deployment"]),
        }
    bundle = _evidence(pdf, BUNDLE_NAME)
    assert bundle["hash"] == decisions[0]["bundle_sha256"]
    assert {module["path"] for module in bundle["modules"]} >= {"gates/production_promotion.rego"}
    excerpt = _evidence(pdf, "gatehouse-ledger-excerpt.json")
    assert excerpt["chain_verified"] is True and len(excerpt["events"]) >= 2
    # The page summarises the excerpt and names the attachment instead of every hash.
    text = pdf_text(pdf)
    assert "gatehouse-ledger-excerpt.json" in text and "Attached evidence" in text
    assert excerpt["events"][0]["hash"] in text.replace(" ", "")


def test_the_pack_shows_who_approved_on_which_evidence_and_separation_of_duties(
    world: World,
) -> None:
    text = pdf_text(world.pdf("promotion_evidence")).replace(" ", "")
    decisions = _evidence(world.pdf("promotion_evidence"), DECISIONS_NAME)["decisions"]
    requested = [d for d in decisions if d["input"]["approvals"] == []]
    assert requested, "the decision the request froze is embedded"
    assert requested[0]["evidence_sha256"] in text
    assert "Separationofduties" in text and "Maynotapprove:" in text
    assert "Policycheck(COMMON-APPROVALS)" in text


def test_embedded_inputs_hold_classifications_not_the_datasets_content(world: World) -> None:
    """The notes dataset holds synthetic patients' identifiers; none reaches the pack."""
    decisions = _evidence(world.pdf("promotion_evidence"), DECISIONS_NAME)["decisions"]
    embedded = json.dumps([d["input"] for d in decisions])
    assert re.search(r"\b\d{3}-\d{2}-\d{4}\b", embedded) is None  # no SSN-shaped value
    assert re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", embedded) is None  # no e-mail address
    dataset = decisions[0]["input"]["datasets"][0]
    assert {"contains_pii", "contains_phi", "pii_findings_count"} <= dataset.keys()


def test_an_untouched_pack_replays_identically(world: World, tmp_path: Path) -> None:
    pdf = world.pdf("promotion_evidence")
    engine = _engine(world)
    result = replay_pdf(pdf, engine=engine)
    assert result.identical, result.as_dict()
    assert result.report_bundle_hash == result.replay_bundle_hash
    assert result.policy_changes == ()
    assert len(result.decisions) >= 1
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    run = _verify_replay(world, path)
    assert run.exit_code == 0, run.output
    assert "replay       IDENTICAL" in run.output


def test_a_tightened_threshold_names_the_decision_and_control_that_flip(
    world: World, tmp_path: Path
) -> None:
    pdf = world.pdf("promotion_evidence")
    override = _override(tmp_path, 0.95)
    result = replay_pdf(pdf, engine=_engine(world, override))
    assert not result.identical and not result.evidence_problems
    assert (
        "data gatehouse.thresholds.evaluations.domains.general.accuracy.min: 0.8 -> 0.95"
        in result.policy_changes
    )
    allowed = [d for d in result.decisions if d.recorded_outcome == "allowed"]
    assert allowed and all(d.replayed_outcome == "denied" for d in allowed)
    for decision in allowed:
        assert [(c.recorded, c.replayed) for c in decision.control_changes] == [("pass", "fail")]
        assert decision.control_changes[0].control_id == "COMMON-EVALUATIONS"
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    run = _verify_replay(world, path, override)
    assert run.exit_code == 3, run.output
    first = allowed[0]
    assert f"#{first.decision_id} production_promotion" in run.output
    assert "COMMON-EVALUATIONS pass -> fail" in run.output
    # With the report's own embedded data the same decisions still reproduce.
    assert "as made      IDENTICAL with the report's own policy data" in run.output


def _tampered(pdf: bytes, edit: Any) -> bytes:
    """``pdf`` with the embedded decisions rewritten by ``edit`` (the signature breaks)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for index in range(0, len(names), 2):
        if names[index] == DECISIONS_NAME:
            stream = names[index + 1].get_object()["/EF"]["/F"].get_object()
            document = json.loads(stream.get_data())
            edit(document)
            data = json.dumps(document).encode()
            stream.set_data(data)
            stream[NameObject("/Params")][NameObject("/Size")] = NumberObject(len(data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_tampered_input_is_a_digest_mismatch(world: World, tmp_path: Path) -> None:
    def rename_the_model(document: dict[str, Any]) -> None:
        for decision in document["decisions"]:
            decision["input"]["model"]["name"] = "someone-else"

    pdf = _tampered(world.pdf("promotion_evidence"), rename_the_model)
    result = replay_pdf(pdf, engine=_engine(world))
    assert result.evidence_problems and not result.identical
    assert f"{DECISIONS_NAME} does not match the SHA-256 in {MANIFEST_NAME}" in result.problems
    for decision in result.decisions:
        assert any(problem.startswith("input digest mismatch") for problem in decision.problems)
    assert not verify_pdf(pdf).intact
    path = tmp_path / "tampered.pdf"
    path.write_bytes(pdf)
    run = _verify_replay(world, path)
    assert run.exit_code == 1, run.output
    assert "input digest mismatch" in run.output


def test_the_attachments_lie_inside_the_signed_byte_range(world: World) -> None:
    """Flipping one byte of an embedded file's stream breaks the signature."""
    pdf = world.pdf("promotion_evidence")
    reader = PdfReader(io.BytesIO(pdf))
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    index = next(i for i in range(0, len(names), 2) if names[i] == DECISIONS_NAME)
    number = names[index + 1].get_object()["/EF"].raw_get("/F").idnum
    match = re.search(rb"\n%d 0 obj.*?stream\r?\n" % number, pdf, re.DOTALL)
    assert match is not None
    offset = match.end() + 10
    byte_range = [int(v) for v in re.search(rb"/ByteRange\s*\[([\d\s]+)\]", pdf)[1].split()]  # type: ignore[index]
    start, first, second, length = byte_range
    assert start <= offset < start + first or second <= offset < second + length
    tampered = bytearray(pdf)
    tampered[offset] ^= 0x01
    result = verify_pdf(bytes(tampered))
    assert not result.intact


@pytest.mark.parametrize("kind", ["model_card", "dataset_sheet"])
def test_kinds_without_decisions_embed_the_ledger_reference_in_the_manifest(
    world: World, kind: str
) -> None:
    manifest = _evidence(world.pdf(kind), MANIFEST_NAME)
    assert [entry["name"] for entry in manifest["files"]] == ["gatehouse-ledger.json"]


def test_an_audit_report_embeds_the_decision_its_verdict_is_read_from(world: World) -> None:
    """Once a gate has seen the audit, its report embeds that decision, and it replays."""
    policy = world.app.extensions["gatehouse.policy_engine"]
    with session_scope(world.engine) as session:
        decision = evaluate_gate(
            session=session,
            engine=policy,
            gate="production_promotion",
            subject_id=world.ids["credit_deployment"],
            actor="olivia",
        )
    with session_scope(world.engine) as session:
        report = generate_in_session(
            session=session,
            settings=world.settings,
            kind="audit_report",
            actor="olivia",
            subject_id=world.ids["audit"],
        )
    pdf = (world.settings.storage_dir / report.storage_path).read_bytes()
    (embedded,) = _evidence(pdf, DECISIONS_NAME)["decisions"]
    assert embedded["decision_id"] == decision.id
    assert str(world.ids["audit"]) in [str(audit["id"]) for audit in embedded["input"]["audits"]]
    assert FIGURES_NAME in {entry["name"] for entry in _evidence(pdf, MANIFEST_NAME)["files"]}
    result = replay_pdf(pdf, engine=_engine(world))
    assert result.identical, result.as_dict()


@pytest.mark.parametrize("flavour", ["3a", "ua1"])
def test_the_pack_with_its_evidence_passes_verapdf(
    world: World, tmp_path: Path, flavour: str
) -> None:
    """The embedded JSON files are PDF/A-3 associated files: PDF/A-3a and PDF/UA-1 hold."""
    path = tmp_path / "promotion_evidence.pdf"
    path.write_bytes(world.pdf("promotion_evidence"))
    (validation,) = run_verapdf([path], flavour=flavour)
    assert validation.compliant, validation.failures
