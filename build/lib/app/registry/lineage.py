"""Lineage: deployment → model version → run → dataset versions, and back.

The graph is small per subject, so it is answered with a few indexed queries rather
than a recursive CTE, which keeps it identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.errors import ValidationError
from app.models.datasets import Dataset, DatasetVersion
from app.models.deployments import Deployment
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun, RunDataset
from app.registry.records import get_record


@dataclass
class LineageGraph:
    """Nodes (``{"type", "id", "label"}``) and directed edges ``(from, to)`` by node key."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)

    def add(self, kind: str, record_id: int, label: str, **extra: Any) -> str:
        """Add a node (idempotent) and return its key."""
        key = f"{kind}:{record_id}"
        self.nodes.setdefault(key, {"type": kind, "id": record_id, "label": label, **extra})
        return key

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: nodes sorted by key, edges sorted."""
        return {
            "nodes": [self.nodes[k] | {"key": k} for k in sorted(self.nodes)],
            "edges": [{"from": a, "to": b} for a, b in sorted(self.edges)],
        }


def _add_version(graph: LineageGraph, session: Session, version: DatasetVersion) -> str:
    dataset = session.get(Dataset, version.dataset_id)
    name = dataset.name if dataset else f"dataset {version.dataset_id}"
    return graph.add(
        "dataset_version",
        version.id or 0,
        f"{name} v{version.version}",
        contains_phi=version.contains_phi,
        contains_pii=version.contains_pii,
    )


def _add_run_upstream(graph: LineageGraph, session: Session, run: FineTuneRun) -> str:
    run_key = graph.add("run", run.id or 0, run.name, state=str(run.state))
    versions = session.exec(
        select(DatasetVersion)
        .join(RunDataset, col(RunDataset.dataset_version_id) == col(DatasetVersion.id))
        .where(RunDataset.run_id == run.id)
    ).all()
    for version in versions:
        graph.edges.add((_add_version(graph, session, version), run_key))
    return run_key


def _add_model_upstream(graph: LineageGraph, session: Session, model: ModelVersion) -> str:
    model_key = graph.add("model_version", model.id or 0, f"{model.name} {model.version}")
    if model.run_id is not None:
        run = session.get(FineTuneRun, model.run_id)
        if run is not None:
            graph.edges.add((_add_run_upstream(graph, session, run), model_key))
    return model_key


def _add_model_downstream(graph: LineageGraph, session: Session, model: ModelVersion) -> str:
    model_key = graph.add("model_version", model.id or 0, f"{model.name} {model.version}")
    for deployment in session.exec(
        select(Deployment).where(Deployment.model_version_id == model.id)
    ).all():
        dep_key = graph.add(
            "deployment", deployment.id or 0, deployment.endpoint, state=str(deployment.state)
        )
        graph.edges.add((model_key, dep_key))
    return model_key


def _add_run_downstream(graph: LineageGraph, session: Session, run: FineTuneRun) -> str:
    run_key = graph.add("run", run.id or 0, run.name, state=str(run.state))
    for model in session.exec(select(ModelVersion).where(ModelVersion.run_id == run.id)).all():
        graph.edges.add((run_key, _add_model_downstream(graph, session, model)))
    return run_key


def lineage(*, session: Session, subject_type: str, subject_id: int) -> LineageGraph:
    """Everything upstream and downstream of one registry object."""
    graph = LineageGraph()
    if subject_type == "deployment":
        deployment = get_record(session=session, model=Deployment, record_id=subject_id)
        model = get_record(
            session=session, model=ModelVersion, record_id=deployment.model_version_id
        )
        _add_model_upstream(graph, session, model)
        _add_model_downstream(graph, session, model)
    elif subject_type == "model_version":
        model = get_record(session=session, model=ModelVersion, record_id=subject_id)
        _add_model_upstream(graph, session, model)
        _add_model_downstream(graph, session, model)
    elif subject_type == "run":
        run = get_record(session=session, model=FineTuneRun, record_id=subject_id)
        _add_run_upstream(graph, session, run)
        _add_run_downstream(graph, session, run)
    elif subject_type == "dataset_version":
        version = get_record(session=session, model=DatasetVersion, record_id=subject_id)
        version_key = _add_version(graph, session, version)
        runs = session.exec(
            select(FineTuneRun)
            .join(RunDataset, col(RunDataset.run_id) == col(FineTuneRun.id))
            .where(RunDataset.dataset_version_id == subject_id)
        ).all()
        for run in runs:
            graph.edges.add((version_key, _add_run_downstream(graph, session, run)))
    else:
        raise ValidationError(
            f"unknown lineage subject type '{subject_type}'; use deployment, model_version, run or dataset_version"
        )
    return graph


def deployments_using_dataset_version(*, session: Session, version_id: int) -> list[Deployment]:
    """Which deployments serve a model trained on this dataset version (erasure impact)."""
    get_record(session=session, model=DatasetVersion, record_id=version_id)
    return list(
        session.exec(
            select(Deployment)
            .join(ModelVersion, col(ModelVersion.id) == col(Deployment.model_version_id))
            .join(RunDataset, col(RunDataset.run_id) == col(ModelVersion.run_id))
            .where(RunDataset.dataset_version_id == version_id)
            .order_by(col(Deployment.id))
        ).all()
    )
