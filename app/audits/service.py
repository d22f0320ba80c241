"""The audit service: run a recorded, ledgered audit of a registered model on a registered dataset.

The doors (API, CLI, scheduler, demo) call these functions; none imports Flask. An audit
reads a ``tabular`` dataset version's file from storage, either as a decisions table
(``y_pred`` names the model's decision column) or as the inputs of the model version's
registered artefact (no ``y_pred``: the artefact predicts). Unpickling runs code, so an
artefact is loaded only when :func:`record_model_artifact` ledgered its sha256 for that
very URI, and only if the file's content still has that digest
(:func:`app.audits.inputs.load_model` checks it before unpickling).

An :class:`~app.models.evidence.AuditRun` moves ``queued -> running -> succeeded | failed``,
each step ledgered. ``summary`` carries the figures the policy reads
(``adverse_impact_ratio``, ``equalized_odds_difference``, ``principal_reasons_available``,
see :func:`app.gates.input_builder._audit_inputs`) plus a few headline extras;
``results`` holds the library's full ``to_dict()`` and the SVG charts. Nothing here
judges the figures: after a successful audit of a model serving in production, the
``production_promotion`` gate is asked again and the *policy's* control outcomes decide
whether a finding is recorded and the deployment marked ``needs_review``.

Stored results hold no raw personal data: group figures are aggregates, and the
per-decision principal reasons keep the feature names and SHAP contributions, not the
applicant's feature values. Error texts are one line (never a traceback).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd
from sqlmodel import Session, col, select

from app.audits.errors import AuditError, AuditInputError, UnsupportedModelError
from app.audits.inputs import load_decisions, load_model, predict_decisions, require_columns
from app.audits.parameters import (
    AuditParameters,
    check_kind,
    check_requirements,
    parse_parameters,
)
from app.errors import ConflictError, NotFoundError, ValidationError
from app.gates.service import promotion_controls
from app.ledger import append_record_event
from app.models.base import utc_now
from app.models.datasets import DatasetFormat, DatasetVersion
from app.models.deployments import Deployment
from app.models.evidence import AuditRun
from app.models.ledger import LedgerEvent
from app.models.model_versions import ModelVersion
from app.models.vocabulary import AuditKind, AuditState, DeploymentState, LedgerSubject
from app.policy.catalogue import catalogue_of, judging_controls
from app.policy.decision import ENGINE_FAILURE_CONTROL
from app.policy.engine import PolicyEngine
from app.registry.deployments import flag_for_review
from app.registry.records import create_record, get_record, update_record

__all__ = [
    "ARTIFACT_RECORDED",
    "reasons_for",
    "record_model_artifact",
    "run_audit",
]

log = logging.getLogger(__name__)

#: Ledger action of :func:`record_model_artifact`; its payload holds the trusted sha256.
ARTIFACT_RECORDED = "model_version.artifact_recorded"


def _local_path(uri: str) -> Path:
    """The file behind a ``file://`` URI recorded by :mod:`app.storage`."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise AuditInputError(f"only file:// storage can be audited, not '{parsed.scheme}:'")
    return Path(unquote(parsed.path))


def _dataset_frame(version: DatasetVersion) -> pd.DataFrame:
    if version.format != DatasetFormat.TABULAR:
        raise AuditInputError(
            f"dataset version {version.id} is '{version.format}', an audit needs a tabular one"
        )
    if not version.storage_uri:
        raise AuditInputError(f"dataset version {version.id} has no stored file")
    return load_decisions(_local_path(version.storage_uri))


@dataclass(frozen=True)
class RecordedArtifact:
    """A model version's artefact as the registry knows it (read before the audit computes)."""

    model_version_id: int
    #: ``ModelVersion.artifact_uri`` (None: no artefact).
    uri: str | None
    #: The sha256 ledgered by :func:`record_model_artifact` for this very URI (None: never).
    sha256: str | None


def _recorded_artifact(session: Session, model: ModelVersion) -> RecordedArtifact:
    """The artefact and the digest ledgered when it was recorded for this model version.

    Only the ledgered digest is trusted: a URI typed into a model version (or a file that
    merely looks content-addressed) has none, and is never unpickled.
    """
    event = session.exec(
        select(LedgerEvent)
        .where(LedgerEvent.action == ARTIFACT_RECORDED)
        .where(LedgerEvent.subject_type == LedgerSubject.MODEL_VERSION)
        .where(LedgerEvent.subject_id == str(model.id))
        .order_by(col(LedgerEvent.seq).desc())
    ).first()
    recorded = (
        event is not None
        and model.artifact_uri is not None
        and event.payload.get("artifact_uri") == model.artifact_uri
    )
    return RecordedArtifact(
        model_version_id=model.id or 0,
        uri=model.artifact_uri,
        sha256=str(event.payload["artifact_sha256"]) if recorded and event else None,
    )


def _load_artifact(artifact: RecordedArtifact) -> Any:
    """Unpickle the artefact only if its content has the ledgered sha256."""
    if not artifact.uri:
        raise UnsupportedModelError(
            f"model version {artifact.model_version_id} has no registered artefact: give "
            "y_pred to audit a decisions table instead"
        )
    if artifact.sha256 is None:
        raise UnsupportedModelError(
            f"model version {artifact.model_version_id}'s artefact has no ledgered sha256 "
            "(it was not recorded through Gatehouse): refusing to unpickle it"
        )
    return load_model(_local_path(artifact.uri), expected_sha256=artifact.sha256)


def _number(value: float | None) -> float | None:
    """A figure for the summary: NaN (undefined) becomes None, which the policy fails."""
    return None if value is None or math.isnan(value) else float(value)


def _fairness(
    frame: pd.DataFrame, artifact: RecordedArtifact, parameters: AuditParameters
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Figures, charts and summary of a fairness audit."""
    from app.audits.charts import (
        adverse_impact_chart_svg,
        confusion_rates_chart_svg,
        group_metric_chart_svg,
    )
    from app.audits.fairness import run_fairness_audit

    y_pred, score = parameters.y_pred, parameters.score
    if y_pred is None:
        frame = predict_decisions(
            _load_artifact(artifact),
            frame,
            features=parameters.features,
            favourable_label=parameters.positive_label,
            prediction_column="__gatehouse_decision",
            score_column="__gatehouse_score",
        )
        y_pred = "__gatehouse_decision"
        if score is None and "__gatehouse_score" in frame.columns:
            score = "__gatehouse_score"
    result = run_fairness_audit(
        frame,
        y_true=parameters.y_true or "",
        y_pred=y_pred,
        sensitive=list(parameters.sensitive),
        intersections=parameters.intersections,
        score=score,
        min_group_size=parameters.min_group_size,
        bootstrap=parameters.bootstrap,
        seed=parameters.seed,
        positive_label=parameters.positive_label,
    )
    charts = []
    for table in result.tables:
        charts += [
            {"title": f"Selection rate by {table.name}", "svg": group_metric_chart_svg(table)},
            {"title": f"Adverse impact by {table.name}", "svg": adverse_impact_chart_svg(table)},
            {"title": f"Error rates by {table.name}", "svg": confusion_rates_chart_svg(table)},
        ]
    headline = result.headline
    summary = {
        "kind": "fairness",
        "adverse_impact_ratio": _number(headline["adverse_impact_ratio"].value),
        "equalized_odds_difference": _number(headline["equalized_odds_difference"].value),
        "principal_reasons_available": None,
        "adverse_impact_ratio_table": headline["adverse_impact_ratio"].table,
        "adverse_impact_ratio_excluding_small_groups": _number(
            headline["adverse_impact_ratio_excluding_small_groups"].value
        ),
        "demographic_parity_difference": _number(headline["demographic_parity_difference"].value),
        "rows": result.rows,
        "predicted_by_artifact": parameters.y_pred is None,
        "flags": len(result.flags),
    }
    return {**result.to_dict(), "charts": charts}, summary


def _explainability(
    frame: pd.DataFrame, recorded: RecordedArtifact, parameters: AuditParameters
) -> tuple[dict[str, Any], dict[str, Any]]:
    """SHAP importance, per-group importance and per-decision reasons, with charts."""
    from app.audits.charts import (
        GROUP_CHART_FEATURES,
        group_importance_figures,
        importance_chart_svg,
    )
    from app.audits.explain import run_explainability_audit

    artifact = _load_artifact(recorded)
    names = list(parameters.features or getattr(artifact, "feature_names_in_", []))
    if not names:
        raise AuditInputError("the model does not record its feature names: give features")
    require_columns(frame, names, role="feature")
    require_columns(frame, parameters.sensitive, role="sensitive")
    if parameters.id_column is not None:
        require_columns(frame, [parameters.id_column], role="id")
    total = len(frame)
    if total > parameters.max_explained_rows:
        frame = frame.sample(n=parameters.max_explained_rows, random_state=parameters.seed)
    ids = (
        frame[parameters.id_column].tolist()
        if parameters.id_column is not None
        else [str(i) for i in frame.index]
    )
    result = run_explainability_audit(
        artifact,
        frame[names].reset_index(drop=True),
        decision_ids=ids,
        top_k=parameters.top_k,
        sensitive=frame[list(parameters.sensitive)].reset_index(drop=True)
        if parameters.sensitive
        else None,
        favourable_label=parameters.positive_label,
        seed=parameters.seed,
    )
    document = result.to_dict(include_decisions=False)
    # Reasons by decision id, without the applicant's feature values (no raw personal data).
    document["decisions"] = {
        explanation.decision_id: {
            "output": explanation.output,
            "reasons": [
                {"feature": reason.feature, "contribution": reason.contribution}
                for reason in explanation.reasons
            ],
        }
        for explanation in result.decisions()
    }
    charts = [
        {
            "title": "Feature importance (mean |SHAP|)",
            "svg": importance_chart_svg(result.global_importance, output=result.output),
        }
    ]
    charts += group_importance_figures(result.global_importance, result.group_importance)
    fidelity = result.fidelity or {}
    summary = {
        "kind": "explainability",
        "adverse_impact_ratio": None,
        "equalized_odds_difference": None,
        "principal_reasons_available": result.rows > 0,
        "method": result.method,
        "model_type": result.model_type,
        "output": result.output,
        "rows": total,
        "explained_rows": result.rows,
        "top_features": list(result.global_importance)[:GROUP_CHART_FEATURES],
        "additivity_max_error": result.additivity_max_error,
        "surrogate_r2": _number(fidelity.get("r2")),
        "surrogate_agreement": _number(fidelity.get("agreement")),
    }
    return {**document, "charts": charts}, summary


def _compute(
    kind: str, version: DatasetVersion, artifact: RecordedArtifact, parameters: AuditParameters
) -> tuple[dict[str, Any], dict[str, Any]]:
    frame = _dataset_frame(version)
    if kind == AuditKind.FAIRNESS:
        return _fairness(frame, artifact, parameters)
    return _explainability(frame, artifact, parameters)


def run_audit(
    *,
    session: Session,
    engine: PolicyEngine,
    model_version_id: int,
    dataset_version_id: int,
    kind: str,
    parameters: Mapping[str, Any] | AuditParameters,
    actor: str,
    schedule: str | None = None,
) -> AuditRun:
    """Run one audit now and record it; returns the finished run (succeeded or failed).

    Bad references (unknown model, dataset, kind, unusable parameters) raise before
    anything is recorded. Problems found while computing (a missing column, a model
    whose digest does not match) end the run as ``failed`` with a one-line error. After a
    success, production deployments of the model are reviewed by the policy
    (:func:`review_production_deployments`).

    The session is committed once the run is recorded as running (with anything the
    caller changed before), so the computation holds no database lock; the result is
    written in a new transaction that the caller commits.
    """
    audit_kind = check_kind(kind)
    options = parse_parameters(parameters)
    check_requirements(kind, options)
    model = get_record(session=session, model=ModelVersion, record_id=model_version_id)
    version = get_record(session=session, model=DatasetVersion, record_id=dataset_version_id)
    audit = create_record(
        session=session,
        record=AuditRun(
            model_version_id=model_version_id,
            dataset_version_id=dataset_version_id,
            kind=audit_kind,
            schedule=schedule,
            parameters=options.model_dump(mode="json"),
            requested_by=actor,
        ),
        actor=actor,
        action="audit_run.queued",
    )
    update_record(
        session=session,
        record=audit,
        changes={"status": "running", "started_at": utc_now()},
        actor=actor,
        action="audit_run.running",
    )
    artifact = _recorded_artifact(session, model)
    # Commit before computing: others see the run as running, and no database lock (the
    # ledger's, SQLite's write lock) is held for the seconds or minutes the figures take.
    session.commit()
    try:
        results, summary = _compute(kind, version, artifact, options)
    except AuditError as error:
        return _finish(session, audit, actor, error=str(error).splitlines()[0][:4000])
    except Exception as error:
        log.exception("audit %s failed", audit.id)
        return _finish(
            session, audit, actor, error=f"internal error while auditing ({type(error).__name__})"
        )
    _finish(session, audit, actor, summary=summary, results=results)
    review = review_production_deployments(session=session, engine=engine, audit=audit, actor=actor)
    if review:
        update_record(
            session=session,
            record=audit,
            changes={"results": {**audit.results, "review": review}},
            actor=actor,
            action="audit_run.reviewed",
        )
    return audit


def _finish(
    session: Session,
    audit: AuditRun,
    actor: str,
    *,
    error: str | None = None,
    summary: dict[str, Any] | None = None,
    results: dict[str, Any] | None = None,
) -> AuditRun:
    status = AuditState.FAILED if error is not None else AuditState.SUCCEEDED
    return update_record(
        session=session,
        record=audit,
        changes={
            "status": status,
            "finished_at": utc_now(),
            "error": error,
            "summary": summary or {},
            "results": results or {},
        },
        actor=actor,
        action=f"audit_run.{status}",
    )


def review_production_deployments(
    *, session: Session, engine: PolicyEngine, audit: AuditRun, actor: str
) -> list[dict[str, Any]]:
    """Ask the promotion gate about each production deployment of the audited model.

    The verdict is the policy's: when a control that judges this audit kind (its
    METADATA says ``judges: [<kind>_audit]``) reports ``fail``, a finding is ledgered and the deployment
    is marked ``needs_review``. Returns one entry per deployment reviewed.
    """
    deployments = session.exec(
        select(Deployment)
        .where(Deployment.model_version_id == audit.model_version_id)
        .where(Deployment.state == DeploymentState.PRODUCTION.value)
        .order_by(col(Deployment.id))
    ).all()
    judging = judging_controls(catalogue_of(engine.bundle.modules), f"{audit.kind}_audit")
    reviewed = []
    for deployment in deployments:
        readings = promotion_controls(
            session=session, engine=engine, deployment=deployment, actor=actor, controls=judging
        )
        decision = readings.decision
        failed = sorted(name for name, status in readings.statuses.items() if status == "fail")
        # An engine failure reports no control outcomes: fail closed, review the deployment.
        if decision.error is not None:
            failed = [*failed, ENGINE_FAILURE_CONTROL]
        entry = {
            "deployment_id": deployment.id,
            "policy_decision_id": decision.id,
            "controls": dict(sorted(readings.statuses.items())),
            "failed_controls": failed,
        }
        if failed:
            append_record_event(
                session=session,
                record=deployment,
                action="audit.finding",
                actor=actor,
                payload={
                    "audit_run_id": audit.id,
                    "kind": audit.kind,
                    "policy_decision_id": decision.id,
                    "failed_controls": failed,
                    "messages": readings.messages,
                },
            )
            flag_for_review(
                session=session,
                deployment=deployment,
                actor=actor,
                note={"audit_run_id": audit.id, "failed_controls": failed},
            )
        reviewed.append(entry)
    return reviewed


def reasons_for(*, session: Session, audit_id: int, decision_id: str) -> dict[str, Any]:
    """The principal reasons of one decision explained by a succeeded explainability audit."""
    audit = get_record(session=session, model=AuditRun, record_id=audit_id)
    if audit.kind != AuditKind.EXPLAINABILITY:
        raise ValidationError(f"audit {audit_id} is a {audit.kind} audit: it gives no reasons")
    if audit.status != AuditState.SUCCEEDED:
        raise ConflictError(f"audit {audit_id} is {audit.status}: it has no reasons to give")
    decision = audit.results.get("decisions", {}).get(str(decision_id))
    if decision is None:
        raise NotFoundError(f"decision '{decision_id}' was not explained by audit {audit_id}")
    return {
        "audit_id": audit_id,
        "decision_id": str(decision_id),
        "output": decision["output"],
        "output_kind": audit.results.get("output"),
        "method": audit.results.get("method"),
        "reasons": decision["reasons"],
    }


def record_model_artifact(
    *, session: Session, model_version_id: int, artifact_uri: str, sha256: str, actor: str
) -> ModelVersion:
    """Point a model version at its content-addressed artefact (ledgered with the digest)."""
    model = get_record(session=session, model=ModelVersion, record_id=model_version_id)
    return update_record(
        session=session,
        record=model,
        changes={"artifact_uri": artifact_uri},
        actor=actor,
        action=ARTIFACT_RECORDED,
        note={"artifact_sha256": sha256},
    )
