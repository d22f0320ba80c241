"""Each kind generated from the seeded registry: the PDF shows the registry's names and figures.

The PDFs are the real thing (WeasyPrint + pyHanko); the expected phrases are read from
the database rows the reports were built from, never copied from a rendered report.
"""

from __future__ import annotations

import json
import re
import subprocess

from sqlmodel import col, select

from app.db import session_scope
from app.models.datasets import Dataset, DatasetVersion
from app.models.evidence import AuditRun, Report
from app.models.governance import ApprovalVote, PolicyDecision
from app.models.ledger import LedgerEvent
from app.models.model_versions import Evaluation, ModelCard, ModelVersion
from app.models.users import User
from app.reports import SignatureLevel, TrustStatus, Verdict, verify_pdf
from app.reports.prepared import ReportRequest
from app.reports.service import build_context
from app.reports.verification import embedded_file
from tests.reports.conftest import ARTIFACTS, TimestampAuthority, pdf_text, require_binary
from tests.reports_registry.conftest import GENERATOR, PERIOD, World, generate_in_session


def _display(world: World, username: str) -> str:
    with session_scope(world.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return user.display_name


def test_every_report_is_signed_intact_self_signed_and_recorded(world: World) -> None:
    for kind, report in world.reports.items():
        data = world.pdf(kind)
        result = verify_pdf(data, expected_sha256=report.pdf_sha256)
        assert result.verdict is Verdict.INTACT_UNTRUSTED, (kind, result.problems)
        assert result.trust is TrustStatus.SELF_SIGNED
        assert report.self_signed and report.signature_level == SignatureLevel.B_B.value
        assert report.page_count >= 2
        assert world.settings.organisation in report.signer_subject
        text = pdf_text(data)
        # The embedded identity says so on the cover.
        assert "Self-signed identity" in text, kind
        assert _display(world, GENERATOR) in text


def test_generation_is_recorded_and_ledgered(world: World) -> None:
    with session_scope(world.engine) as session:
        for kind, report in world.reports.items():
            row = session.get(Report, report.id)
            assert row is not None and row.kind == kind and row.created_by == GENERATOR
            event = session.exec(
                select(LedgerEvent).where(
                    LedgerEvent.action == "report.generated",
                    LedgerEvent.subject_type == "report",
                    LedgerEvent.subject_id == str(report.id),
                )
            ).one()
            assert event.actor == GENERATOR
            assert event.payload["pdf_sha256"] == report.pdf_sha256
            assert event.payload["kind"] == kind
        periodic = session.exec(
            select(LedgerEvent).where(
                LedgerEvent.subject_id == str(world.reports["periodic_compliance"].id),
                LedgerEvent.action == "report.generated",
            )
        ).one()
        assert periodic.payload["period_start"] == PERIOD.start.isoformat()


def test_model_card_shows_the_registry_card(world: World) -> None:
    text = pdf_text(world.pdf("model_card"))
    with session_scope(world.engine) as session:
        model = session.get(ModelVersion, world.ids["credit_model"])
        card = session.exec(
            select(ModelCard).where(ModelCard.model_version_id == world.ids["credit_model"])
        ).one()
        evaluations = session.exec(
            select(Evaluation).where(Evaluation.model_version_id == world.ids["credit_model"])
        ).all()
        audit = session.get(AuditRun, world.ids["audit"])
    assert model is not None and audit is not None
    assert f"{model.name} {model.version}" in text
    for section in ("details", "intended_use", "caveats", "ethical_considerations"):
        assert card.sections[section] in text, section
    assert "Caveats and recommendations" in text
    assert "meta-llama/Llama-3.1-8B-Instruct" in text and "LoRA" in text
    benchmark = next(e for e in evaluations if e.kind == "benchmark")
    assert f"{benchmark.metrics['accuracy']:.4f}" in text
    assert f"Audit #{audit.id}" in text
    ratio = audit.results["headline"]["adverse_impact_ratio"]["value"]
    assert f"{ratio:.4f}" in text


def test_dataset_sheet_shows_classification_scan_and_basis(world: World) -> None:
    text = pdf_text(world.pdf("dataset_sheet"))
    with session_scope(world.engine) as session:
        version = session.get(DatasetVersion, world.ids["notes_raw"])
        assert version is not None
        dataset = session.get(Dataset, version.dataset_id)
    assert dataset is not None
    assert f"{dataset.name} v{version.version}" in text
    assert version.content_sha256[:32] in text
    assert "BAA-2026-031" in text and "2029-12-31" in text
    findings = version.pii_findings["report"]["findings"]
    assert findings, "the raw clinical notes must have scan findings"
    for finding in findings:
        assert finding["category"] in text
        assert f"{finding['count']:,}" in text
        for sample in finding["masked_samples"]:
            assert sample in text
    assert f"{version.validation_report['error_count']} errors" in text
    reasoning = version.validation_report["stats"]["reasoning"]
    assert reasoning["outputs"] > 0
    assert "Reasoning chains in the outputs" in text
    assert f"{reasoning['share_with_steps_and_conclusion']:.1%}" in text


def test_audit_report_shows_the_fairness_tables(world: World) -> None:
    text = pdf_text(world.pdf("audit_report"))
    with session_scope(world.engine) as session:
        audit = session.get(AuditRun, world.ids["audit"])
    assert audit is not None
    assert f"#{audit.id}" in text and "credit-risk-assistant 1.0.0" in text
    assert "german-credit v1" in text
    tables = {table["name"]: table for table in audit.results["tables"]}
    assert {"sex", "age_band"} <= set(tables)
    female = next(g for g in tables["sex"]["groups"] if g["group"] == "female")
    assert f"{female['metrics']['selection_rate']:.4f}" in text
    assert f"{tables['sex']['demographic_parity_ratio']:.4f}" in text
    assert f"{female['count']:,}" in text


def test_promotion_pack_shows_decision_controls_approvals_and_ledger(world: World) -> None:
    text = pdf_text(world.pdf("promotion_evidence"))
    with session_scope(world.engine) as session:
        decision = session.exec(
            select(PolicyDecision)
            .where(
                PolicyDecision.gate == "production_promotion",
                PolicyDecision.subject_id == world.ids["ready_deployment"],
            )
            .order_by(col(PolicyDecision.id).desc())
        ).first()
        votes = session.exec(
            select(ApprovalVote).where(ApprovalVote.request_id == world.ids["promotion_request"])
        ).all()
        chain = session.exec(
            select(LedgerEvent).where(
                LedgerEvent.subject_type == "deployment",
                LedgerEvent.subject_id == str(world.ids["ready_deployment"]),
            )
        ).all()
        everything = session.exec(select(LedgerEvent)).all()
    assert decision is not None and decision.allow
    assert "production_promotion: ALLOW" in text
    assert decision.bundle_sha256 in text.replace(" ", "")
    for control in decision.result["controls"]:
        assert control["control_id"] in text
    assert "COMMON-APPROVALS" in text
    assert len(votes) == 2
    for vote in votes:
        assert _display(world, vote.voter) in text
        assert vote.comment in text
        assert vote.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") in text
    assert f"Approval request #{world.ids['promotion_request']} by" in text
    assert "The ledger hash chain verified" in text
    # The excerpt is summarised: its count and its last event's hash, not every hash.
    assert re.search(r"Events about this promotion (\d+), sequence \d+", text)
    # Of the ledger's event hashes only three are printed: the ledger head on the cover and
    # the excerpt's first and last events (the whole excerpt is an attachment).
    printed = [event for event in everything if event.hash in text.replace(" ", "")]
    assert len(chain) >= 2 and 2 <= len(printed) <= 3


def test_periodic_report_covers_models_datasets_and_decisions(world: World) -> None:
    """The page summarises (counts, failing controls); the listings name every row.

    The report is generated here, not taken from the shared ones, because other tests of
    this module add decisions after those were made: its listings and the context built
    in the same session describe the same registry.
    """
    with session_scope(world.engine) as session:
        report = generate_in_session(
            session=session,
            settings=world.settings,
            kind="periodic_compliance",
            actor=GENERATOR,
            period=PERIOD,
        )
        models = session.exec(select(ModelVersion)).all()
        datasets = session.exec(select(Dataset)).all()
        versions = session.exec(select(DatasetVersion)).all()
        denied = session.exec(select(PolicyDecision).where(PolicyDecision.allow == False)).all()  # noqa: E712
        listings = build_context(
            session=session,
            settings=world.settings,
            request=ReportRequest("periodic_compliance", period=PERIOD),
            actor=GENERATOR,
        ).context["listings"]
    pdf = (world.settings.storage_dir / report.storage_path).read_bytes()
    text = pdf_text(pdf)
    assert str(PERIOD.start.year) in text
    assert f"Model versions {len(models)}" in text
    assert f"Dataset versions {len(versions)}" in text
    listed_models = {f"{row['name']} {row['version']}" for row in listings["models"]["rows"]}
    assert listed_models == {f"{model.name} {model.version}" for model in models}
    listed_datasets = {row["name"] for row in listings["datasets"]["rows"]}
    assert listed_datasets == {dataset.name for dataset in datasets}
    # The controls failed in the period are named on the page, with their counts.
    for decision in denied:
        for violation in decision.violations:
            assert violation["control"] in text
    # The listings are embedded under the signature, each with every row.
    for listing in listings.values():
        embedded = embedded_file(pdf, listing["name"])
        assert embedded is not None, listing["name"]
        rows = json.loads(embedded)["rows"]
        assert len(rows) == len(listing["rows"]) and listing["name"] in text
    decisions = json.loads(embedded_file(pdf, listings["decisions"]["name"]) or b"{}")["rows"]
    assert {row["decision_id"] for row in decisions} >= {decision.id for decision in denied}


def test_explainability_audit_report_shows_shap_importance_and_reasons(world: World) -> None:
    with session_scope(world.engine) as session:
        report = generate_in_session(
            session=session,
            settings=world.settings,
            kind="audit_report",
            actor="marcus",
            subject_id=world.ids["shap_audit"],
        )
        audit = session.get(AuditRun, world.ids["shap_audit"])
    assert audit is not None
    text = pdf_text((world.settings.storage_dir / report.storage_path).read_bytes())
    assert "Explainability" in text and "TreeExplainer" in text
    top_feature, importance = next(iter(audit.results["global_importance"].items()))
    assert top_feature in text and f"{importance:.4f}" in text
    first = audit.results["decisions"][0]
    assert first["decision_id"] in text
    reason = first["reasons"][0]
    assert f"{reason['feature']} = {reason['value']} ({reason['contribution']:+.3f})" in text
    assert "Feature importance by sex" in text


def test_audit_context_reads_reasons_stored_by_decision_id(world: World) -> None:
    with session_scope(world.engine) as session:
        prepared = build_context(
            session=session,
            settings=world.settings,
            request=ReportRequest("audit_report", subject_id=world.ids["shap_audit_keyed"]),
            actor="marcus",
        )
        audit = session.get(AuditRun, world.ids["shap_audit_keyed"])
    assert audit is not None
    explainability = prepared.context["explainability"]
    decision_id, stored = next(iter(audit.results["decisions"].items()))
    first = explainability["sample_decisions"][0]
    assert first["decision_id"] == decision_id
    reason = stored["reasons"][0]
    assert first["reasons"][0] == f"{reason['feature']} ({reason['contribution']:+.3f})"


def test_a_configured_timestamp_authority_timestamps_registry_reports(
    world: World, timestamp_authority: TimestampAuthority
) -> None:
    settings = world.settings.with_overrides(tsa_url=timestamp_authority.url)
    with session_scope(world.engine) as session:
        report = generate_in_session(
            session=session,
            settings=settings,
            kind="dataset_sheet",
            actor="olivia",
            subject_id=world.ids["german_credit"],
        )
    assert report.signature_level != SignatureLevel.B_B.value
    data = (world.settings.storage_dir / report.storage_path).read_bytes()
    result = verify_pdf(data, expected_sha256=report.pdf_sha256)
    assert result.intact
    assert result.signatures[0].timestamp is not None
    assert "Gatehouse Test TSA" in (result.signatures[0].timestamp_authority or "")
    # The URL may wrap across lines: compare without whitespace.
    assert f"timestampedby{timestamp_authority.url}" in pdf_text(data).replace(" ", "")


def test_page_one_of_each_registry_report_renders_to_png(world: World) -> None:
    """Artefacts for people to look at: artifacts/reports/registry-<kind>-page1.png."""
    pdftoppm = require_binary("pdftoppm")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind in world.reports:
        pdf_path = ARTIFACTS / f"registry-{kind}.pdf"
        pdf_path.write_bytes(world.pdf(kind))
        target = ARTIFACTS / f"registry-{kind}-page1"
        subprocess.run(
            [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf_path, target],
            check=True,
            capture_output=True,
        )
        assert target.with_suffix(".png").stat().st_size > 10_000, kind
