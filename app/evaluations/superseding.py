"""Superseding a wrong evaluation: the record stays, the gates stop reading it.

An evaluation posted with wrong figures (the wrong model's red-team run, a typo in the
failures) would otherwise fail the promotion gate for good, since evaluations are never
edited or deleted. Taking evidence away from a gate is a decision about the model, so
it is made by someone independent of the model and its evidence (the people
:func:`app.registry.involvement.people_involved` names, which includes whoever posted
the evaluation), always with a reason, and ledgered as ``evaluation.superseded``. The
corrected result is posted as a new evaluation.
"""

from __future__ import annotations

from sqlmodel import Session

from app.errors import ConflictError, ValidationError
from app.evaluations.errors import IndependenceError
from app.ledger.free_text import refuse_direct_identifiers
from app.models.base import utc_now
from app.models.model_versions import Evaluation
from app.registry.involvement import people_involved
from app.registry.records import get_record, update_record

__all__ = ["supersede_evaluation"]


def supersede_evaluation(
    *, session: Session, evaluation_id: int, reason: str, actor: str
) -> Evaluation:
    """Withdraw evaluation ``evaluation_id`` from the gates, with ``reason``, as ``actor``."""
    if not reason.strip():
        raise ValidationError("reason: say why the evaluation is superseded")
    refuse_direct_identifiers(field="reason", text=reason)
    evaluation = get_record(session=session, model=Evaluation, record_id=evaluation_id, lock=True)
    if evaluation.superseded_at is not None:
        raise ConflictError(
            f"evaluation {evaluation_id} was already superseded by {evaluation.superseded_by} "
            f"at {evaluation.superseded_at.isoformat()}: {evaluation.superseded_reason}"
        )
    involved = people_involved(
        session=session, subject_type="model_version", subject_id=evaluation.model_version_id
    )
    if actor in involved:
        raise IndependenceError(
            f"{actor} {involved[actor]} for model {evaluation.model_version_id}; an evaluation "
            "is superseded by someone independent of the model and its evidence"
        )
    return update_record(
        session=session,
        record=evaluation,
        changes={
            "superseded_at": utc_now(),
            "superseded_by": actor,
            "superseded_reason": reason.strip(),
        },
        actor=actor,
        action="evaluation.superseded",
    )
