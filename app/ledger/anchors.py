"""What a document pins of the ledger, and whether the ledger still holds it.

Every report embeds, as a PDF attachment, the ledger head when it was generated and the
latest signed checkpoint. Verifying the report later checks both against the current
ledger: the chain must still reach that head with that hash, and still extend the
checkpoint (signature, Merkle root). A report made before the ledger was truncated or
rewritten therefore fails its ledger check afterwards, naming how.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlmodel import Session

from app.ledger.chain import ChainPosition, VerificationOutcome, head_position, verify_chain
from app.ledger.checkpoints import (
    CheckpointCheck,
    CheckpointFile,
    latest_checkpoint,
    verify_against_checkpoint,
)
from app.ledger.errors import CheckpointFileError

__all__ = [
    "ATTACHMENT_NAME",
    "REFERENCE_FORMAT",
    "LedgerReference",
    "LedgerReferenceCheck",
    "check_reference",
    "current_reference",
    "read_reference",
]

#: The ``format`` of the embedded reference.
REFERENCE_FORMAT = "gatehouse-report-ledger/1"
#: The PDF attachment's file name.
ATTACHMENT_NAME = "gatehouse-ledger.json"


@dataclass(frozen=True)
class LedgerReference:
    """The ledger head at generation time and the latest checkpoint then (if any)."""

    head: ChainPosition
    checkpoint: CheckpointFile | None

    @property
    def attachment_name(self) -> str:
        """The file name it is attached to a report under."""
        return ATTACHMENT_NAME

    def to_json(self) -> str:
        """The attachment's content."""
        return json.dumps(
            {
                "format": REFERENCE_FORMAT,
                "head": {"seq": self.head.seq, "hash": self.head.hash},
                "checkpoint": None if self.checkpoint is None else self.checkpoint.as_document(),
            },
            sort_keys=True,
            indent=2,
        )

    @classmethod
    def from_json(cls, data: bytes) -> LedgerReference:
        """Parse an embedded reference; :class:`CheckpointFileError` when it is not one."""
        try:
            document: Any = json.loads(data)
            if document.get("format") != REFERENCE_FORMAT:
                raise ValueError(f"format is not {REFERENCE_FORMAT}")
            head = ChainPosition(int(document["head"]["seq"]), str(document["head"]["hash"]))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise CheckpointFileError(
                f"the embedded ledger reference is unreadable: {error}"
            ) from error
        raw = document.get("checkpoint")
        return cls(head, None if raw is None else CheckpointFile.from_document(raw))

    def as_context(self) -> dict[str, Any]:
        """What report templates print about it."""
        statement = None if self.checkpoint is None else self.checkpoint.statement
        return {
            "head_seq": self.head.seq,
            "head_hash": self.head.hash,
            "checkpoint_seq": None if statement is None else statement["seq"],
            "checkpoint_root": None if statement is None else statement["merkle_root"],
            "checkpoint_created_at": None if statement is None else statement["created_at"],
        }


def current_reference(*, session: Session) -> LedgerReference:
    """The head as stored now and the latest checkpoint, read in the caller's transaction."""
    row = latest_checkpoint(session=session)
    return LedgerReference(
        head=head_position(session=session),
        checkpoint=None if row is None else CheckpointFile.from_row(row),
    )


@dataclass(frozen=True)
class LedgerReferenceCheck:
    """Whether the current ledger still holds what a report pinned."""

    reference: LedgerReference
    chain: VerificationOutcome
    checkpoint: CheckpointCheck | None

    @property
    def holds(self) -> bool:
        """The chain reaches the report's head unchanged and extends its checkpoint."""
        if self.checkpoint is not None:
            return self.checkpoint.holds
        return self.chain.intact

    @property
    def problems(self) -> tuple[str, ...]:
        """Why not, in words."""
        if self.checkpoint is not None:
            return self.checkpoint.problems
        return () if self.chain.broken is None else (str(self.chain.broken),)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API."""
        return {
            "holds": self.holds,
            "head": {"seq": self.reference.head.seq, "hash": self.reference.head.hash},
            "checkpoint_seq": None
            if self.reference.checkpoint is None
            else self.reference.checkpoint.head.seq,
            "problems": list(self.problems),
        }


def check_reference(
    *,
    session: Session,
    reference: LedgerReference,
    trust_roots: Sequence[asn1_x509.Certificate] = (),
) -> LedgerReferenceCheck:
    """Check a report's embedded reference against the current ledger (one chain walk)."""
    head = reference.head if reference.head.seq > 0 else None
    if reference.checkpoint is None:
        chain = verify_chain(session=session, known_head=head)
        return LedgerReferenceCheck(reference, chain, None)
    check = verify_against_checkpoint(
        session=session,
        checkpoint=reference.checkpoint,
        trust_roots=trust_roots,
        known_head=head,
    )
    return LedgerReferenceCheck(reference, check.chain, check)


def read_reference(pdf: bytes) -> LedgerReference | None:
    """The ledger reference embedded in a report PDF (``None`` for reports without one)."""
    from app.reports.verification import embedded_file

    attached = embedded_file(pdf, ATTACHMENT_NAME)
    return None if attached is None else LedgerReference.from_json(attached)
