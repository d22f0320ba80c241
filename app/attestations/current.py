"""The facts currently attested about a subject: the newest unexpired attestation of each.

The gate input builder reads governance facts only from here, so what the governed
party writes on its own records never reaches the policy as an attested fact.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.models.attestations import Attestation

__all__ = ["current_attestations", "is_current"]


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
    rows = session.exec(
        select(Attestation)
        .where(Attestation.subject_type == subject_type, Attestation.subject_id == subject_id)
        .order_by(col(Attestation.id))
    ).all()
    newest: dict[str, Attestation] = {}
    for row in rows:
        newest[row.fact] = row
    return {fact: row for fact, row in newest.items() if is_current(row, now)}
