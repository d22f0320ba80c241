"""Signed checkpoints: the ledger's head, signed and kept outside Gatehouse's control.

A hash chain cannot see its own end cut off, nor a rewrite that re-hashes everything from
some event on. A checkpoint closes that gap: a statement of the head (sequence number,
head hash, RFC 6962 Merkle root, time) signed with the organisation's report signing
identity, timestamped when a TSA is configured, stored, ledgered, and exported as a file
an auditor keeps. ``verify_against_checkpoint`` then proves the current ledger still
extends it, and names truncation and rewrites before it.

What it cannot prove: anything about events before the oldest checkpoint someone outside
kept. An operator who rewrites the ledger and then signs a fresh checkpoint over the
rewrite is caught only by whoever holds an older one (see docs/ledger.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlmodel import Session, col, select

from app.config import Settings
from app.ledger.chain import (
    ChainPosition,
    VerificationOutcome,
    append_record_event,
    canonical_json,
    verify_chain,
)
from app.ledger.errors import CheckpointFileError, LedgerBrokenError
from app.ledger.merkle import CompactRange
from app.ledger.progress import verify_incrementally
from app.ledger.rows import iter_hashes
from app.ledger.signatures import StatementSignature, sign_statement, verify_statement
from app.models.base import utc_now
from app.models.ledger import LedgerCheckpoint
from app.reports.signing_setup import signing_identity

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointCheck",
    "CheckpointFile",
    "create_checkpoint",
    "latest_checkpoint",
    "stored_tree",
    "verify_against_checkpoint",
]

#: The ``format`` of checkpoint files and statements.
CHECKPOINT_FORMAT = "gatehouse-ledger-checkpoint/1"

_STATEMENT_FIELDS = {
    "format": str,
    "organisation": str,
    "seq": int,
    "head_hash": str,
    "merkle_root": str,
    "subtree_roots": list,
    "created_at": str,
    "signer_fingerprint_sha256": str,
}

#: The columns the ``ledger.checkpoint_signed`` event carries (the statement itself and its
#: signature stay in the table).
_LEDGERED_COLUMNS = {"seq", "head_hash", "merkle_root", "signer_fingerprint_sha256", "timestamped"}


@dataclass(frozen=True)
class CheckpointFile:
    """A checkpoint as exported: the signed statement and its detached signature."""

    statement: dict[str, Any]
    signature_cms: str

    @property
    def statement_bytes(self) -> bytes:
        """The exact bytes that were signed."""
        return canonical_json(self.statement)

    @property
    def head(self) -> ChainPosition:
        """The head this checkpoint pins."""
        return ChainPosition(int(self.statement["seq"]), str(self.statement["head_hash"]))

    @property
    def merkle_root(self) -> str:
        """RFC 6962 root over events 1..seq, hex."""
        return str(self.statement["merkle_root"])

    def to_json(self) -> str:
        """The file an outside party keeps."""
        return json.dumps(
            {
                "format": CHECKPOINT_FORMAT,
                "statement": self.statement,
                "signature_cms": self.signature_cms,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_row(cls, row: LedgerCheckpoint) -> CheckpointFile:
        """The file form of a stored checkpoint."""
        return cls(statement=json.loads(row.statement), signature_cms=row.signature_cms)

    @classmethod
    def from_json(cls, text: str) -> CheckpointFile:
        """Parse a checkpoint file; :class:`CheckpointFileError` when it is not one."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise CheckpointFileError(f"not a checkpoint file (invalid JSON: {error})") from error
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: Any) -> CheckpointFile:
        """A checkpoint from its parsed JSON (also how reports embed one)."""
        if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointFileError(f"not a checkpoint file (format is not {CHECKPOINT_FORMAT})")
        statement, signature = document.get("statement"), document.get("signature_cms")
        if not isinstance(statement, dict) or not isinstance(signature, str):
            raise CheckpointFileError("a checkpoint file needs a statement and signature_cms")
        for name, kind in _STATEMENT_FIELDS.items():
            if not isinstance(statement.get(name), kind) or isinstance(statement.get(name), bool):
                raise CheckpointFileError(f"the checkpoint statement lacks a valid {name!r}")
        if statement["seq"] < 1:
            raise CheckpointFileError("the checkpoint statement's seq must be at least 1")
        return cls(statement=statement, signature_cms=signature)

    def as_document(self) -> dict[str, Any]:
        """The parsed JSON form (see :meth:`to_json`)."""
        return json.loads(self.to_json())


def create_checkpoint(*, session: Session, settings: Settings, actor: str) -> LedgerCheckpoint:
    """Verify the chain up to its head, sign a statement of it, store it and ledger it.

    The statement names ``settings.organisation`` and is signed with the organisation's
    signing identity, timestamped when ``settings.tsa_url`` is set. Nothing is signed from
    a chain that does not verify (:class:`LedgerBrokenError`).
    """
    identity = signing_identity(settings)
    state, head = verify_incrementally(session=session)
    if head is None:
        raise LedgerBrokenError(
            f"the ledger does not verify ({state.broken_kind} at event {state.broken_seq}: "
            f"{state.broken_reason}); no checkpoint was signed"
        )
    if head.position.seq == 0:
        raise LedgerBrokenError("the ledger is empty: there is no head to checkpoint")
    statement = {
        "format": CHECKPOINT_FORMAT,
        "organisation": settings.organisation,
        "seq": head.position.seq,
        "head_hash": head.position.hash,
        "merkle_root": head.merkle_root,
        "subtree_roots": [root.hex() for root in head.tree.subtree_roots],
        "created_at": utc_now().isoformat(),
        "signer_fingerprint_sha256": identity.fingerprint_sha256,
    }
    body = canonical_json(statement)
    row = LedgerCheckpoint(
        seq=head.position.seq,
        head_hash=head.position.hash,
        merkle_root=head.merkle_root,
        created_by=actor,
        statement=body.decode("ascii"),
        signature_cms=sign_statement(body, identity=identity, tsa_url=settings.tsa_url),
        signer_fingerprint_sha256=identity.fingerprint_sha256,
        timestamped=settings.tsa_url is not None,
    )
    session.add(row)
    session.flush()
    append_record_event(
        session=session,
        record=row,
        action="ledger.checkpoint_signed",
        actor=actor,
        payload=row.model_dump(include=_LEDGERED_COLUMNS),
    )
    return row


def latest_checkpoint(*, session: Session) -> LedgerCheckpoint | None:
    """The newest stored checkpoint, if any."""
    return session.exec(
        select(LedgerCheckpoint).order_by(col(LedgerCheckpoint.id).desc()).limit(1)
    ).first()


def stored_tree(*, session: Session, size: int) -> CompactRange:
    """The Merkle compact range over the stored hashes of events 1..size (fewer if missing)."""
    tree = CompactRange()
    for seq, own in iter_hashes(session=session, through_seq=size):
        if seq != tree.size + 1:
            break
        tree.append(bytes.fromhex(own))
    return tree


def _subtree_ranges(size: int) -> list[tuple[int, int]]:
    """Event ranges (1-based, inclusive) of the perfect subtrees of a tree of ``size``."""
    ranges, start = [], 1
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            ranges.append((start, start + (1 << bit) - 1))
            start += 1 << bit
    return ranges


@dataclass(frozen=True)
class CheckpointCheck:
    """Whether the current ledger still extends a checkpoint, and if not, how it differs."""

    checkpoint: CheckpointFile
    signature: StatementSignature
    chain: VerificationOutcome
    merkle_root: str | None
    """The current root over the checkpoint's events (``None`` when some are missing)."""
    first_differing_events: tuple[int, int] | None
    """The first Merkle subtree (events, inclusive) whose root differs from the checkpoint's."""

    @property
    def merkle_root_matches(self) -> bool:
        """The current events 1..seq hash to the checkpoint's Merkle root."""
        return self.merkle_root == self.checkpoint.merkle_root

    @property
    def holds(self) -> bool:
        """Signature sound, chain intact through the head, same Merkle root."""
        return self.signature.sound and self.chain.intact and self.merkle_root_matches

    @property
    def problems(self) -> tuple[str, ...]:
        """Every reason the checkpoint does not hold, in words."""
        found = [f"checkpoint signature: {problem}" for problem in self.signature.problems]
        if self.chain.broken is not None:
            found.append(str(self.chain.broken))
        if self.merkle_root is None:
            found.append(
                f"events 1..{self.checkpoint.head.seq} are no longer all there: "
                "the Merkle root cannot be recomputed"
            )
        elif not self.merkle_root_matches:
            where = (
                f"; events {self.first_differing_events[0]}–{self.first_differing_events[1]} "
                "are the first range that differs"
                if self.first_differing_events
                else ""
            )
            found.append(
                f"the Merkle root over events 1..{self.checkpoint.head.seq} is "
                f"{self.merkle_root}, not the checkpoint's {self.checkpoint.merkle_root}{where}"
            )
        return tuple(found)


def verify_against_checkpoint(
    *,
    session: Session,
    checkpoint: CheckpointFile,
    trust_roots: Sequence[asn1_x509.Certificate] = (),
    known_head: ChainPosition | None = None,
) -> CheckpointCheck:
    """Prove (or refute) that the current ledger still extends ``checkpoint``.

    ``known_head``, a later head known to exist (a report's), is checked in the same walk.
    """
    signature = verify_statement(
        checkpoint.statement_bytes, checkpoint.signature_cms, trust_roots=trust_roots
    )
    later = known_head is not None and known_head.seq > checkpoint.head.seq
    chain = verify_chain(session=session, known_head=known_head if later else checkpoint.head)
    size = checkpoint.head.seq
    tree = stored_tree(session=session, size=size)
    root = tree.root().hex() if tree.size == size else None
    differing = None
    if root is not None and root != checkpoint.merkle_root:
        kept = checkpoint.statement["subtree_roots"]
        current = [node.hex() for node in tree.subtree_roots]
        for span, (old, new) in zip(
            _subtree_ranges(size), zip(kept, current, strict=False), strict=False
        ):
            if old != new:
                differing = span
                break
    return CheckpointCheck(checkpoint, signature, chain, root, differing)
