"""Finding a subject's events whichever spelling the chain stored them under.

New events name each subject by one :class:`~app.models.vocabulary.LedgerSubject`;
events written before the vocabulary may use an older spelling (a fine-tune run's gate
events say ``run``). The chain cannot be rewritten, because each hash covers the
subject type, so the spellings are reconciled here, on read.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import col

from app.models.ledger import LedgerEvent
from app.models.vocabulary import LedgerSubject, ledger_subject_spellings

__all__ = ["about_subject_type"]


def about_subject_type(subject: LedgerSubject) -> ColumnElement[bool]:
    """The condition selecting events about ``subject``'s kind, old spellings included."""
    return col(LedgerEvent.subject_type).in_(ledger_subject_spellings(subject))
