"""The facts currently attested about a subject: the newest unexpired attestation of each.

The gate input builder reads governance facts only from here, so what the governed
party writes on its own records never reaches the policy as an attested fact.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.db import read_rows, table_of
from app.models.attestations import Attestation
from app.models.vocabulary import AttestedSubject

__all__ = [
    "current_attestations",
    "current_attestations_of_many",
    "current_facts_of_subjects",
    "is_current",
]

_attestation = table_of(Attestation)

#: Attestations about any of the gate's subjects, of every attested type, in one query.
_GATE_FACTS = (
    core_select(
        _attestation.c.subject_type,
        _attestation.c.subject_id,
        _attestation.c.fact,
        _attestation.c.value,
        _attestation.c.attested_by,
        _attestation.c.expires_at,
    )
    .where(
        or_(
            *(
                and_(
                    _attestation.c.subject_type == subject_type,
                    _attestation.c.subject_id.in_(bindparam(subject_type, expanding=True)),
                )
                for subject_type in AttestedSubject
            )
        )
    )
    .order_by(_attestation.c.id)
)


def is_current(attestation: Attestation | Row[Any], now: datetime) -> bool:
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
        subject: {fact: row for fact, row in facts.items() if is_current(row, now)}
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
    rows = session.exec(
        select(Attestation)
        .where(
            Attestation.subject_type == subject_type,
            col(Attestation.subject_id).in_(subject_ids),
        )
        .order_by(col(Attestation.id))
    ).all()
    return _newest_current(rows, lambda row: row.subject_id, now)


def current_facts_of_subjects(
    *, session: Session, subjects: Mapping[str, Collection[int]], now: datetime
) -> dict[tuple[str, int], dict[str, Row[Any]]]:
    """The current facts of a gate's subjects in one query: (type, id) -> fact -> row.

    ``subjects`` maps each :class:`AttestedSubject` to ids (absent: none). Rows carry
    ``value``, ``attested_by`` and ``expires_at``.
    """
    unknown = set(subjects) - set(AttestedSubject)
    if unknown:
        raise ValueError(f"not a gate subject type: {', '.join(sorted(unknown))}")
    ids = {subject_type: list(subjects.get(subject_type, ())) for subject_type in AttestedSubject}
    rows = read_rows(session, _GATE_FACTS, **ids)
    return _newest_current(rows, lambda row: (row.subject_type, row.subject_id), now)
