"""Operators' figures in the Prometheus text format, at ``/metrics`` behind a bearer token.

Two kinds of figures, with prometheus_client:

- **Read from the database at each scrape** (:class:`DatabaseFigures`): decisions by gate
  and outcome (indeterminate apart from denied), the approval queue (pending requests
  by gate), audit runs by kind and state, scheduled job runs by job and outcome, and the
  ledger's length. They are the same whichever process answers, so any number of web
  workers and the scheduler agree on them without sharing memory.
- **Counted by this process**: request latency (a histogram by method, endpoint and
  status, fed by :mod:`app.observed_requests`). With several worker processes each
  counts its own requests; set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
  (created fresh at every start, before the workers fork) and prometheus_client
  aggregates every worker's histogram into each scrape.

``/metrics`` answers only a request that presents ``GATEHOUSE_METRICS_TOKEN`` as its bearer
token (compared in constant time); without a configured token it answers 404, so figures
about the registry are never public by accident.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from app.auth.guard import public
from app.db import read_only_scope, table_of
from app.models.evidence import AuditRun, JobRun
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.ledger import LedgerEvent
from app.models.vocabulary import ApprovalStatus

__all__ = ["REQUEST_SECONDS", "DatabaseFigures", "bp", "init_app"]

_KEY = "gatehouse.metrics_registry"

#: Latency of every request this process answered, by method, endpoint (the route's
#: template, never the raw path) and status. Not registered globally: each application's
#: registry (or the multi-process collector) reads it.
REQUEST_SECONDS = Histogram(
    "gatehouse_http_request_duration_seconds",
    "Time to answer a request, by method, route template and status.",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=None,
)

_decisions = table_of(PolicyDecision)
_approvals = table_of(ApprovalRequest)
_audits = table_of(AuditRun)
_jobs = table_of(JobRun)
_ledger = table_of(LedgerEvent)


def _gauge(name: str, documentation: str, labels: list[str], rows: list[tuple[Any, ...]]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for *values, count in rows:
        family.add_metric([str(value) for value in values], float(count))
    return family


class DatabaseFigures(Collector):
    """Figures read from the database at each scrape (one read-only transaction)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        """Decisions, approval queue, audits, job runs and ledger length, as gauges."""
        with read_only_scope(self._engine) as session:
            connection = session.connection()

            def grouped(*columns: Any, where: Any = None) -> list[tuple[Any, ...]]:
                statement = select(*columns, func.count()).group_by(*columns)
                if where is not None:
                    statement = statement.where(where)
                return [tuple(row) for row in connection.execute(statement)]

            decisions = grouped(_decisions.c.gate, _decisions.c.outcome)
            queue = grouped(_approvals.c.gate, where=_approvals.c.status == ApprovalStatus.PENDING)
            audits = grouped(_audits.c.kind, _audits.c.status)
            jobs = grouped(_jobs.c.job_id, _jobs.c.outcome)
            ledger = connection.execute(select(func.count()).select_from(_ledger)).scalar_one()
        yield _gauge(
            "gatehouse_policy_decisions",
            "Stored gate decisions by gate and outcome (allowed, denied, or indeterminate:"
            " the policy engine gave no answer, a deny too).",
            ["gate", "outcome"],
            decisions,
        )
        yield _gauge(
            "gatehouse_approval_queue",
            "Approval requests waiting for votes, by gate.",
            ["gate"],
            queue,
        )
        yield _gauge(
            "gatehouse_audit_runs", "Audit runs by kind and state.", ["kind", "state"], audits
        )
        yield _gauge(
            "gatehouse_job_runs",
            "Scheduled job runs by job and result (running, succeeded, failed, ...).",
            ["job", "result"],
            jobs,
        )
        yield _gauge("gatehouse_ledger_events", "Events in the ledger.", [], [(ledger,)])


def _registry_for(engine: Engine) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(DatabaseFigures(engine))
    return registry


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@public
def metrics() -> Response:
    """The figures, for a scraper presenting the configured metrics token."""
    expected = current_app.config["GATEHOUSE"].metrics_token
    if not expected:
        return Response(
            "metrics are off: set GATEHOUSE_METRICS_TOKEN and scrape with it as a bearer token\n",
            status=404,
            mimetype="text/plain",
        )
    presented = request.headers.get("Authorization", "")
    if not hmac.compare_digest(presented.encode(), f"Bearer {expected}".encode()):
        return Response(
            "a bearer token is required\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="gatehouse-metrics"'},
        )
    return Response(generate_latest(current_app.extensions[_KEY]), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Give the application its registry and the ``/metrics`` route."""
    app.extensions[_KEY] = _registry_for(app.extensions["gatehouse.read_only_engine"])
    app.register_blueprint(bp)
