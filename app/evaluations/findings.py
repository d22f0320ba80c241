"""The lifecycle of a red-team finding: open -> mitigated | accepted -> closed.

Mitigating needs the evidence of the fix; accepting needs a justification. Both are
decisions about the model's risk, so the person deciding must not be one of the
model's authors (its developers, its registrar, the authors and requester of the run
that trained it). Every change is ledgered. Only ``open`` findings count against the
promotion gate; the policy decides which severities block.
"""

from __future__ import annotations

from sqlmodel import Session

from app.errors import ValidationError
from app.evaluations.errors import FindingTransitionError, IndependenceError
from app.ledger.free_text import refuse_direct_identifiers
from app.models.base import utc_now
from app.models.evaluation_evidence import RedTeamFinding
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.models.vocabulary import FindingStatus
from app.registry.records import get_record, records_where, update_record

__all__ = ["decide_finding", "findings_of", "model_authors"]

_NEXT: dict[str, tuple[str, ...]] = {
    FindingStatus.OPEN: (FindingStatus.MITIGATED, FindingStatus.ACCEPTED),
    FindingStatus.MITIGATED: (FindingStatus.CLOSED,),
    FindingStatus.ACCEPTED: (FindingStatus.CLOSED,),
    FindingStatus.CLOSED: (),
}


def model_authors(*, session: Session, model_id: int) -> set[str]:
    """Who made the model: they may not decide on its findings.

    One small function so the ledger-based "who touched this subject" answer can
    replace it without touching the lifecycle.
    """
    model = get_record(session=session, model=ModelVersion, record_id=model_id)
    authors = {model.created_by, *model.developers}
    run = session.get(FineTuneRun, model.run_id) if model.run_id else None
    if run is not None:
        authors |= {run.requester, *run.authors}
    return {author for author in authors if author}


def findings_of(
    *, session: Session, model_id: int, status: str | None = None
) -> list[RedTeamFinding]:
    """The model's findings, oldest first, optionally of one status."""
    return records_where(
        session=session, model=RedTeamFinding, model_version_id=model_id, status=status
    )


def _move(
    session: Session, finding_id: int, to: FindingStatus, actor: str, changes: dict[str, object]
) -> RedTeamFinding:
    finding = get_record(session=session, model=RedTeamFinding, record_id=finding_id)
    if to not in _NEXT[FindingStatus(finding.status)]:
        raise FindingTransitionError(
            f"finding {finding_id} is {finding.status}; it cannot become {to.value}"
        )
    return update_record(
        session=session,
        record=finding,
        changes={"status": to.value, **changes},
        actor=actor,
        action=f"red_team_finding.{to.value}",
        note={"from": finding.status},
    )


def _independent_decision(
    session: Session, finding_id: int, actor: str, text: str, what: str
) -> None:
    if not text.strip():
        raise ValidationError(f"{what} is required")
    finding = get_record(session=session, model=RedTeamFinding, record_id=finding_id)
    if actor in model_authors(session=session, model_id=finding.model_version_id):
        raise IndependenceError(
            f"{actor} is an author of model {finding.model_version_id}; "
            "a finding is decided by someone independent of the model"
        )


#: A decision that needs a person independent of the model: the state it moves the finding
#: to, the field its text is kept in, and what that text is called when it is missing.
_INDEPENDENT_DECISIONS: dict[str, tuple[FindingStatus, str, str]] = {
    "mitigate": (FindingStatus.MITIGATED, "evidence", "evidence of the mitigation"),
    "accept": (FindingStatus.ACCEPTED, "justification", "a justification"),
}


def decide_finding(
    *, session: Session, finding_id: int, action: str, actor: str, text: str = ""
) -> RedTeamFinding:
    """Mitigate (``text`` is the evidence of the fix: open -> mitigated), accept (``text``
    justifies the risk: open -> accepted), or close a mitigated or accepted finding (the
    record stays, the lifecycle ends)."""
    if action == "close":
        return _move(session, finding_id, FindingStatus.CLOSED, actor, {})
    if action not in _INDEPENDENT_DECISIONS:
        raise ValidationError(f"action must be mitigate, accept or close, not '{action}'")
    to, field, what = _INDEPENDENT_DECISIONS[action]
    _independent_decision(session, finding_id, actor, text, what)
    refuse_direct_identifiers(field="text", text=text)
    return _move(
        session,
        finding_id,
        to,
        actor,
        {field: text.strip(), "decided_by": actor, "decided_at": utc_now()},
    )
