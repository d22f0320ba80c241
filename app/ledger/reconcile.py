"""The rows the gates read, checked against the ledger events that recorded them.

The hash chain shows that the ledger itself was not edited; it says nothing about the
tables beside it. Someone with write access to the database could change an attestation's
value, a vote's voter, a dataset version's classification or a request's status, and
``gatehouse ledger verify`` would still say intact while the gates decide on the changed
row. Reconciling replays each row's events and names every row that differs from what was
ledgered, and every row no event recorded.

What is compared:

- registry records (datasets and their versions, runs, models, evaluations, deployments):
  the fields of the row, in their ledger form, against the fields their ``created`` /
  ``registered`` event and every later event about the record set, in order. Change
  times are left out (a transition ledgers its state, not the row's ``updated_at``), and
  so are a model's attested facts shown on its row (the attestations are checked);
- attestations and votes, each against the one event that recorded it;
- a run's datasets (the lineage every data control follows): the versions its
  ``run.dataset_attached`` events attached;
- rows the ledger recorded that are gone (Gatehouse deletes none of them);
- approval requests: the status the last of their events gave them, and what they were
  frozen to when they opened (the decision, the evidence digest, the required and
  excluded approvers, the expiry).

A row changed by a migration (revision 0006 emptied defaults that used to pass) differs
from its creating event too: review such rows rather than trusting the count alone.
Values are never printed, only tables, ids and field names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from app.models.attestations import Attestation
from app.models.datasets import Dataset, DatasetVersion
from app.models.deployments import Deployment
from app.models.governance import ApprovalRequest, ApprovalVote
from app.models.ledger import LedgerEvent
from app.models.model_versions import Evaluation, ModelVersion
from app.models.runs import FineTuneRun, RunDataset
from app.registry.records import kind_of, ledger_payload
from app.registry.schemas import ATTESTED_MODEL_FIELDS

__all__ = ["RowDiscrepancy", "reconcile_rows"]

#: Registry records replayed field by field from their events.
_RECORDS: tuple[type[SQLModel], ...] = (
    Dataset,
    DatasetVersion,
    FineTuneRun,
    ModelVersion,
    Evaluation,
    Deployment,
)
#: Fields a record's events do not carry: the change time (a transition ledgers its
#: state, not the row's ``updated_at``).
_CHANGE_TIMES = frozenset({"updated_at"})


@dataclass(frozen=True)
class RowDiscrepancy:
    """One row that is not what the ledger recorded."""

    table: str
    row_id: int
    detail: str

    def __str__(self) -> str:
        return f"{self.table} {self.row_id}: {self.detail}"


Events = dict[tuple[str, str], list[LedgerEvent]]


def reconcile_rows(*, session: Session) -> tuple[int, list[RowDiscrepancy]]:
    """How many rows were compared, and every one that differs from its ledger events."""
    events: Events = defaultdict(list)
    for event in session.exec(select(LedgerEvent).order_by(col(LedgerEvent.seq))):
        events[(event.subject_type, event.subject_id)].append(event)
    checked, found = 0, []
    present: dict[str, set[int]] = defaultdict(set)
    for model in _RECORDS:
        for row in session.exec(select(model).order_by(model.id)):  # type: ignore[attr-defined]
            checked += 1
            present[kind_of(model)].add(getattr(row, "id", 0))
            found.extend(_replayed(model, row, events))
    for attestation in session.exec(select(Attestation).order_by(col(Attestation.id))):
        checked += 1
        present["attestation"].add(attestation.id or 0)
        found.extend(_attestation(attestation, events))
    for vote in session.exec(select(ApprovalVote).order_by(col(ApprovalVote.id))):
        checked += 1
        present["approval_vote"].add(vote.id or 0)
        found.extend(_vote(vote, events))
    for request in session.exec(select(ApprovalRequest).order_by(col(ApprovalRequest.id))):
        checked += 1
        present["approval_request"].add(request.id or 0)
        found.extend(_request(request, events))
    runs, lineage = _lineage(session, events)
    return checked + runs, found + lineage + _gone(events, present)


def _lineage(session: Session, events: Events) -> tuple[int, list[RowDiscrepancy]]:
    """How many runs' dataset lists were compared, and each run whose list differs from
    its ``run.dataset_attached`` events (a link deleted takes a dataset's controls off
    the run, and off every model trained by it)."""
    stored: dict[int, set[int]] = defaultdict(set)
    for link in session.exec(select(RunDataset)):
        stored[link.run_id].add(link.dataset_version_id)
    recorded: dict[int, set[int]] = defaultdict(set)
    for (subject_type, subject_id), history in events.items():
        if subject_type == kind_of(FineTuneRun):
            for event in history:
                if event.action == "run.dataset_attached":
                    recorded[int(subject_id)].add(event.payload["dataset_version_id"])
    runs = sorted(stored.keys() | recorded.keys())
    return len(runs), [
        RowDiscrepancy("run_dataset", run_id, "the run's datasets are not what the ledger recorded")
        for run_id in runs
        if stored[run_id] != recorded[run_id]
    ]


def _ledgered_rows(events: Events) -> Iterable[tuple[str, Any]]:
    """(table, id) of every row an event recorded: each registry record and request its
    events are about, and each attestation and vote its recording event names."""
    records = {kind_of(model) for model in _RECORDS} | {"approval_request"}
    for (subject_type, subject_id), history in events.items():
        if subject_type in records and subject_id.isdigit():
            yield subject_type, int(subject_id)
        for event in history:
            if event.action == "attestation.recorded":
                yield "attestation", event.payload.get("attestation_id")
            elif event.action.startswith("approval.vote_"):
                yield "approval_vote", event.payload.get("vote_id")


def _gone(events: Events, present: dict[str, set[int]]) -> list[RowDiscrepancy]:
    """The rows the ledger recorded that are no longer there: Gatehouse deletes none of
    them, and a deleted attestation brings back the older value of its fact."""
    gone = {
        (table, row_id)
        for table, row_id in _ledgered_rows(events)
        if isinstance(row_id, int) and row_id not in present[table]
    }
    return [
        RowDiscrepancy(table, row_id, "ledgered, but its row is gone")
        for table, row_id in sorted(gone)
    ]


def _differing(recorded: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in recorded.items() if not _same(value, stored[name]))


def _same(recorded: Any, stored: Any) -> bool:
    """Equal as the ledger writes them (timestamps compared as instants)."""
    if isinstance(recorded, str) and isinstance(stored, str) and "T" in recorded:
        try:
            return datetime.fromisoformat(recorded) == datetime.fromisoformat(stored)
        except ValueError:
            pass
    return bool(recorded == stored)


def _discrepancy(table: str, row_id: int | None, differing: Iterable[str]) -> list[RowDiscrepancy]:
    names = list(differing)
    if not names:
        return []
    return [RowDiscrepancy(table, row_id or 0, f"{', '.join(names)}: not what the ledger recorded")]


def _unrecorded(table: str, row_id: int | None) -> list[RowDiscrepancy]:
    return [RowDiscrepancy(table, row_id or 0, "no ledger event records it")]


def _replayed(model: type[SQLModel], row: Any, events: Events) -> list[RowDiscrepancy]:
    table = kind_of(model)
    history = events.get((table, str(row.id)), [])
    if not history:
        return _unrecorded(table, row.id)
    fields = set(model.model_fields) - _CHANGE_TIMES
    if model is ModelVersion:
        # A model's attested facts shown on its row; the attestations are checked.
        fields -= ATTESTED_MODEL_FIELDS.keys()
    recorded: dict[str, Any] = {}
    for event in history:
        recorded.update({name: value for name, value in event.payload.items() if name in fields})
    stored = ledger_payload({name: getattr(row, name) for name in recorded})
    return _discrepancy(table, row.id, _differing(recorded, stored))


def _recording(
    events: Events, subject: tuple[str, str], action: str, key: str, row_id: Any
) -> LedgerEvent | None:
    """The event about ``subject`` with ``action`` whose payload names the row as ``key``."""
    return next(
        (
            event
            for event in events.get(subject, [])
            if event.action == action and event.payload.get(key) == row_id
        ),
        None,
    )


def _attestation(row: Attestation, events: Events) -> list[RowDiscrepancy]:
    event = _recording(
        events,
        (row.subject_type, str(row.subject_id)),
        "attestation.recorded",
        "attestation_id",
        row.id,
    )
    if event is None:
        return _unrecorded("attestation", row.id)
    recorded = {
        name: event.payload.get(name)
        for name in ("fact", "value", "role", "evidence_ref", "evidence_sha256", "expires_at")
    }
    recorded["attested_by"] = event.actor
    stored = ledger_payload({name: getattr(row, name) for name in recorded})
    stored["value"] = row.value  # the event keeps the value itself, not its digest
    return _discrepancy("attestation", row.id, _differing(recorded, stored))


def _vote(row: ApprovalVote, events: Events) -> list[RowDiscrepancy]:
    event = _recording(
        events,
        ("approval_request", str(row.request_id)),
        f"approval.vote_{row.vote}",
        "vote_id",
        row.id,
    )
    if event is None:
        return _unrecorded("approval_vote", row.id)
    recorded = {"voter": event.actor, "role": event.payload.get("role")}
    return _discrepancy(
        "approval_vote",
        row.id,
        _differing(recorded, ledger_payload({"voter": row.voter, "role": row.role})),
    )


def _request(row: ApprovalRequest, events: Events) -> list[RowDiscrepancy]:
    """The status its last event gave it, and the fields it was frozen to when it opened
    (kept by its ``approval.requested`` event; events written before they were have none)."""
    history = events.get(("approval_request", str(row.id)), [])
    statuses = [event.payload["status"] for event in history if "status" in event.payload]
    if not statuses:
        return _unrecorded("approval_request", row.id)
    differing = [] if statuses[-1] == row.status else ["status"]
    opened = next((event for event in history if event.action == "approval.requested"), None)
    if opened is not None and "frozen" in opened.payload:
        differing += _differing(opened.payload["frozen"], ledger_payload(row.frozen()))
    return _discrepancy("approval_request", row.id, sorted(differing))
