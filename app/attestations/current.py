"""The facts currently attested about a subject: the newest unexpired attestation of each.

The gate input builder reads governance facts only from here, so what the governed
party writes on its own records never reaches the policy as an attested fact.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.models.attestations import Attestation

__all__ = ["current_attestations", "current_attestations_of_many", "is_current"]


def is_current(attestation: Attestation, now: datetime) -> bool:
    """An attestation counts until it expires; an expired one counts as missing."""
    return attestation.expires_at is None or attestation.expires_at > now


def current_attestations(
    *, session: Session, subject_type: str, subject_id: int, now: datetime
) -> dict[str, Attestation]:
    """Fact name -> the newest attestation of it that has not expired at ``now``.

    A newer attestation supersedes an older one even when the newer has expired: the
    fact is then missing, not silently back to its older value.
    """
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
    newest: dict[int, dict[str, Attestation]] = {}
    for row in rows:
        newest.setdefault(row.subject_id, {})[row.fact] = row
    return {
        subject: {fact: row for fact, row in facts.items() if is_current(row, now)}
        for subject, facts in newest.items()
    }
