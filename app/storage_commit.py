"""Promote staged files just before the transaction that records them commits.

A stored file and the row that names it cannot be written atomically together, so the
file goes first: it is staged (``app.storage.stage_stream``: complete, but under a
temporary name no record points at), the row is written, and :func:`promote_on_commit`
moves the file to its content address as the transaction commits, before the database
makes the row visible. A row is therefore never committed without its file, whenever a
process stops. The reverse leftover is harmless and swept: a process killed between the
promotion and the commit, or a commit the database refused, leaves a file at a content
address no record names, and ``app.registry.storage_sweep`` removes it once it is older
than its grace period. A rollback before the commit removes the staged file at once.
Uploads, signed reports and model artefacts all go this way.

A promotion that fails (a full or read-only disk) raises, so the commit does not happen
and the caller sees the error instead of a record pointing at nothing.
"""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from app.storage import StagedFile

__all__ = ["promote_on_commit"]

#: ``session.info`` keys: the files waiting for the transaction, and the listeners' flag.
_STAGED = "gatehouse.staged_files"
_LISTENING = "gatehouse.staged_files_listening"


def _promote_staged(session: Session) -> None:
    """Promote each file in turn; one that fails stays listed, so the rollback removes it."""
    waiting: list[StagedFile] = session.info.get(_STAGED, [])
    while waiting:
        waiting[0].promote()
        waiting.pop(0)


def _discard_staged(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:  # a savepoint rolled back; the transaction goes on
        return
    for staged in session.info.pop(_STAGED, []):
        staged.discard()


def promote_on_commit(*, session: Session, staged: StagedFile) -> None:
    """Promote ``staged`` as the session's transaction commits; discard it on rollback."""
    if not session.info.get(_LISTENING):
        sa_event.listen(session, "before_commit", _promote_staged)
        sa_event.listen(session, "after_soft_rollback", _discard_staged)
        session.info[_LISTENING] = True
    session.info.setdefault(_STAGED, []).append(staged)
