"""The facts currently attested about a subject: the newest unexpired attestation of each.

The gate input builder reads governance facts only from here, so what the governed
party writes on its own records never reaches the policy as an attested fact.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.db import PreparedRow, PreparedStatement, read_rows, table_of
from app.models.attestations import Attestation
from app.models.runs import RunDataset
from app.models.vocabulary import AttestedSubject

__all__ = [
    "attestation_history",
    "current_attestations",
    "current_attestations_of_many",
    "current_facts_of_gate",
    "current_values_of_fact",
]

_attestation = table_of(Attestation)

_run_dataset = table_of(RunDataset)
_GATE_FACT_COLUMNS = (
    _attestation.c.id,
    _attestation.c.subject_type,
    _attestation.c.subject_id,
    _attestation.c.fact,
    _attestation.c.value,
    _attestation.c.attested_by,
    _attestation.c.expires_at,
)


def _about(subject_type: AttestedSubject, parameter: str) -> Select[Any]:
    """Attestations about the subject of ``subject_type`` whose id is bound as ``parameter``."""
    return core_select(*_GATE_FACT_COLUMNS).where(
        _attestation.c.subject_type == subject_type,
        _attestation.c.subject_id == bindparam(parameter),
    )


#: Attestations about any of one gate's subjects, in one query with fixed parameters (an
#: id left null matches nothing): a dataset version, the dataset versions of a run (read
#: here from the lineage, so the SQL does not change with their number), a run, a model.
#: Each part is its own indexed lookup; one ``OR`` of them would leave PostgreSQL reading
#: every dataset version's attestations to find the run's, and a join SQLite as well.
_GATE_FACTS = PreparedStatement(
    union_all(
        _about(AttestedSubject.DATASET_VERSION, "dataset_version_id"),
        core_select(*_GATE_FACT_COLUMNS).where(
            _attestation.c.subject_type == AttestedSubject.DATASET_VERSION,
            _attestation.c.subject_id.in_(
                core_select(_run_dataset.c.dataset_version_id).where(
                    _run_dataset.c.run_id == bindparam("versions_of_run")
                )
            ),
        ),
        _about(AttestedSubject.FINETUNE_RUN, "run_id"),
        _about(AttestedSubject.MODEL_VERSION, "model_id"),
        _about(AttestedSubject.DEPLOYMENT, "deployment_id"),
    ).order_by(_attestation.c.id)
)


def _unexpired(attestation: Attestation | Row[Any], now: datetime) -> bool:
    """An attestation counts until it expires; an expired one counts as missing."""
    return attestation.expires_at is None or attestation.expires_at > now


def _newest_current(rows: Iterable[Any], subject_of: Any, now: datetime) -> dict[Any, Any]:
    """Subject -> fact -> the newest of ``rows`` (oldest first) if it has not expired.

    A newer attestation supersedes an older one even when the newer has expired: the
    fact is then missing, not silently back to its older value.
    """
    newest: dict[Hashable, dict[str, Any]] = {}
    for row in rows:
        newest.setdefault(subject_of(row), {})[row.fact] = row
    return {
        subject: {fact: row for fact, row in facts.items() if _unexpired(row, now)}
        for subject, facts in newest.items()
    }


def current_attestations(
    *, session: Session, subject_type: str, subject_id: int, now: datetime
) -> dict[str, Attestation]:
    """Fact name -> the newest attestation of it that has not expired at ``now``."""
    return current_attestations_of_many(
        session=session, subject_type=subject_type, subject_ids=[subject_id], now=now
    ).get(subject_id, {})


def current_attestations_of_many(
    *, session: Session, subject_type: str, subject_ids: list[int], now: datetime
) -> dict[int, dict[str, Attestation]]:
    """``current_attestations`` of several subjects in one query: subject id -> facts."""
    rows = _attestations_about(session=session, subject_type=subject_type, subject_ids=subject_ids)
    return _newest_current(rows, lambda row: row.subject_id, now)


def current_values_of_fact(
    *, session: Session, subject_type: str, fact: str, now: datetime
) -> dict[int, Any]:
    """Subject id -> the value of ``fact`` currently attested about it, for every subject
    of ``subject_type`` that has one (a scheduled job's sweep over all of them)."""
    rows = session.exec(
        select(Attestation)
        .where(Attestation.subject_type == subject_type, Attestation.fact == fact)
        .order_by(col(Attestation.id))
    ).all()
    return {
        subject_id: facts[fact].value
        for subject_id, facts in _newest_current(rows, lambda row: row.subject_id, now).items()
        if fact in facts
    }


def attestation_history(
    *, session: Session, subject_type: str, subject_id: int, now: datetime
) -> list[tuple[Attestation, bool]]:
    """Every attestation about a subject, newest first, each with whether it is the one in
    force for its fact at ``now`` (one that expired or a newer one superseded is not)."""
    rows = _attestations_about(session=session, subject_type=subject_type, subject_ids=[subject_id])
    in_force = {
        row.id
        for row in _newest_current(rows, lambda _row: subject_id, now).get(subject_id, {}).values()
    }
    return [(row, row.id in in_force) for row in reversed(rows)]


def _attestations_about(
    *, session: Session, subject_type: str, subject_ids: list[int]
) -> list[Attestation]:
    """The attestations about the subjects, oldest first."""
    return list(
        session.exec(
            select(Attestation)
            .where(
                Attestation.subject_type == subject_type,
                col(Attestation.subject_id).in_(subject_ids),
            )
            .order_by(col(Attestation.id))
        ).all()
    )


def current_facts_of_gate(
    *,
    session: Session,
    now: datetime,
    dataset_version_id: int | None = None,
    versions_of_run: int | None = None,
    run_id: int | None = None,
    model_id: int | None = None,
    deployment_id: int | None = None,
) -> dict[tuple[str, int], dict[str, PreparedRow]]:
    """The current facts of a gate's subjects in one query: (type, id) -> fact -> row.

    The subjects: the dataset version ``dataset_version_id``, the dataset versions the run
    ``versions_of_run`` uses, the run ``run_id``, the model version ``model_id`` and the
    deployment ``deployment_id`` (each
    optional; a version both named and used by the run would come twice, to no effect).
    Rows carry ``value``, ``attested_by`` and ``expires_at``.
    """
    rows = read_rows(
        session,
        _GATE_FACTS,
        dataset_version_id=dataset_version_id,
        versions_of_run=versions_of_run,
        run_id=run_id,
        model_id=model_id,
        deployment_id=deployment_id,
    )
    return _newest_current(rows, lambda row: (row.subject_type, row.subject_id), now)
