"""Promote staged files when the transaction that records them commits.

A stored file and the row that names it cannot be written atomically together. So the
file is staged first (``app.storage.stage_stream``: complete, but under a temporary name
no record points at), the row is written, and :func:`promote_on_commit` moves the file to
its content address once the transaction commits, or removes it when it rolls back. A
process killed in between leaves a staged file: ``app.registry.storage_sweep`` promotes
it when its row committed and removes it otherwise. Uploads, signed reports and model
artefacts all go this way.
"""

from __future__ import annotations

import logging

from sqlalchemy import event as sa_event
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from app.storage import StagedFile

__all__ = ["promote_on_commit"]

log = logging.getLogger(__name__)

#: ``session.info`` keys: the files waiting for the transaction, and the listeners' flag.
_STAGED = "gatehouse.staged_files"
_LISTENING = "gatehouse.staged_files_listening"


def _promote_staged(session: Session) -> None:
    for staged in session.info.pop(_STAGED, []):
        try:
            staged.promote()
        except OSError:
            # The record is committed; app.registry.storage_sweep finds the staged file
            # by its digest and promotes it later.
            log.exception("could not promote staged file %s", staged.path.name)


def _discard_staged(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:  # a savepoint rolled back; the transaction goes on
        return
    for staged in session.info.pop(_STAGED, []):
        staged.discard()


def promote_on_commit(*, session: Session, staged: StagedFile) -> None:
    """Promote ``staged`` when the session's transaction commits; discard it on rollback."""
    if not session.info.get(_LISTENING):
        sa_event.listen(session, "after_commit", _promote_staged)
        sa_event.listen(session, "after_soft_rollback", _discard_staged)
        session.info[_LISTENING] = True
    session.info.setdefault(_STAGED, []).append(staged)
