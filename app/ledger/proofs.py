"""Merkle proofs an auditor checks offline: one event's inclusion, two checkpoints' consistency.

Producing a proof reads the stored hashes (the tree is rebuilt in O(n), each proof is
O(log n) hashes); checking one needs only the proof file, the checkpoint file(s) and the
signer's certificate, never the database. Both refuse when the current ledger no longer
matches the checkpoint the proof would be against: that is itself the finding.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlmodel import Session

from app.ledger.chain import canonical_json, event_bytes, event_to_dict, sha256_hex
from app.ledger.checkpoints import CheckpointFile
from app.ledger.errors import CheckpointFileError, ProofError
from app.ledger.merkle import MerkleTree, consistency_proof_is_valid, inclusion_proof_is_valid
from app.ledger.rows import iter_hashes
from app.ledger.signatures import StatementSignature, verify_statement
from app.models.ledger import LedgerEvent

__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "ProofCheck",
    "check_consistency",
    "check_inclusion",
    "consistency_proof",
    "inclusion_proof",
]

INCLUSION_FORMAT = "gatehouse-ledger-inclusion/1"
CONSISTENCY_FORMAT = "gatehouse-ledger-consistency/1"


def _tree_matching(session: Session, checkpoint: CheckpointFile) -> MerkleTree:
    """The tree over events 1..checkpoint.seq, refused unless it has the checkpoint's root."""
    size = checkpoint.head.seq
    leaves = [bytes.fromhex(own) for _seq, own in iter_hashes(session=session, through_seq=size)]
    tree = MerkleTree(leaves)
    if tree.size != size or tree.root().hex() != checkpoint.merkle_root:
        raise ProofError(
            f"the ledger no longer matches the checkpoint of event {size} (its events 1..{size} "
            "are missing or hash to another Merkle root): run 'gatehouse ledger verify "
            "--checkpoint' to see how"
        )
    return tree


def inclusion_proof(*, session: Session, seq: int, checkpoint: CheckpointFile) -> dict[str, Any]:
    """A proof that event ``seq`` is in the tree ``checkpoint`` signed."""
    if not 1 <= seq <= checkpoint.head.seq:
        raise ProofError(
            f"event {seq} is not covered by a checkpoint of events 1..{checkpoint.head.seq}"
        )
    tree = _tree_matching(session, checkpoint)
    event = session.get(LedgerEvent, seq)
    if event is None:  # pragma: no cover - the tree above had every event
        raise ProofError(f"event {seq} is missing")
    return {
        "format": INCLUSION_FORMAT,
        "tree_size": tree.size,
        "leaf_index": seq - 1,
        "root": checkpoint.merkle_root,
        "event": event_to_dict(event),
        "audit_path": [node.hex() for node in tree.inclusion_proof(seq - 1)],
    }


def consistency_proof(
    *, session: Session, old: CheckpointFile, new: CheckpointFile
) -> dict[str, Any]:
    """A proof that ``old``'s tree is a prefix of ``new``'s."""
    if old.head.seq > new.head.seq:
        raise ProofError("the first checkpoint must not be newer than the second")
    tree = _tree_matching(session, new)
    if tree.root(old.head.seq).hex() != old.merkle_root:
        raise ProofError(
            f"the ledger no longer matches the older checkpoint (events 1..{old.head.seq})"
        )
    return {
        "format": CONSISTENCY_FORMAT,
        "old_size": old.head.seq,
        "new_size": new.head.seq,
        "old_root": old.merkle_root,
        "new_root": new.merkle_root,
        "proof": [node.hex() for node in tree.consistency_proof(old.head.seq, new.head.seq)],
    }


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of checking a proof offline."""

    holds: bool
    signatures: tuple[StatementSignature, ...]
    problems: tuple[str, ...]


def _document(text: str, expected_format: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckpointFileError(f"not a proof file (invalid JSON: {error})") from error
    if not isinstance(document, dict) or document.get("format") != expected_format:
        raise CheckpointFileError(f"not a proof file (format is not {expected_format})")
    return document


def _hashes(values: Any, what: str) -> list[bytes]:
    try:
        return [bytes.fromhex(value) for value in values]
    except (TypeError, ValueError) as error:
        raise CheckpointFileError(f"the {what} must be a list of hex hashes") from error


def _signature_problems(
    checkpoints: Sequence[CheckpointFile], roots: Sequence[asn1_x509.Certificate]
) -> tuple[tuple[StatementSignature, ...], list[str]]:
    signatures = tuple(
        verify_statement(cp.statement_bytes, cp.signature_cms, trust_roots=roots)
        for cp in checkpoints
    )
    problems = [
        f"checkpoint of event {cp.head.seq}: {problem}"
        for cp, signature in zip(checkpoints, signatures, strict=True)
        for problem in signature.problems
    ]
    return signatures, problems


def check_inclusion(
    proof_text: str,
    checkpoint: CheckpointFile,
    *,
    trust_roots: Sequence[asn1_x509.Certificate] = (),
) -> ProofCheck:
    """Check an inclusion proof against a checkpoint file, offline."""
    document = _document(proof_text, INCLUSION_FORMAT)
    signatures, problems = _signature_problems([checkpoint], trust_roots)
    event = document.get("event")
    try:
        assert isinstance(event, dict)
        payload_sha256 = sha256_hex(canonical_json(event["payload"]))
        own = sha256_hex(
            event_bytes(
                int(event["seq"]),
                str(event["occurred_at"]),
                str(event["actor"]),
                str(event["action"]),
                str(event["subject_type"]),
                str(event["subject_id"]),
                str(event["payload_sha256"]),
                str(event["prev_hash"]),
            )
        )
        index, size = int(document["leaf_index"]), int(document["tree_size"])
    except (AssertionError, KeyError, TypeError, ValueError) as error:
        raise CheckpointFileError(
            f"the proof's event or position is incomplete: {error}"
        ) from error
    if payload_sha256 != event["payload_sha256"]:
        problems.append("the event's payload does not hash to its payload_sha256")
    if own != event["hash"]:
        problems.append("the event's fields do not hash to its hash")
    if index != int(event["seq"]) - 1:
        problems.append(f"the proof is for leaf {index}, but the event is number {event['seq']}")
    if size != checkpoint.head.seq:
        problems.append(
            f"the proof is for a tree of {size} events, the checkpoint covers {checkpoint.head.seq}"
        )
    path = _hashes(document.get("audit_path"), "audit_path")
    root = bytes.fromhex(checkpoint.merkle_root)
    if not inclusion_proof_is_valid(index, size, bytes.fromhex(own), path, root):
        problems.append(
            "the audit path does not lead from the event to the checkpoint's Merkle root"
        )
    return ProofCheck(not problems, signatures, tuple(problems))


def check_consistency(
    proof_text: str,
    old: CheckpointFile,
    new: CheckpointFile,
    *,
    trust_roots: Sequence[asn1_x509.Certificate] = (),
) -> ProofCheck:
    """Check that ``old``'s tree is a prefix of ``new``'s, offline."""
    document = _document(proof_text, CONSISTENCY_FORMAT)
    signatures, problems = _signature_problems([old, new], trust_roots)
    if (document.get("old_size"), document.get("new_size")) != (old.head.seq, new.head.seq):
        problems.append("the proof is for other tree sizes than these two checkpoints")
    path = _hashes(document.get("proof"), "proof")
    if not consistency_proof_is_valid(
        old.head.seq,
        new.head.seq,
        bytes.fromhex(old.merkle_root),
        bytes.fromhex(new.merkle_root),
        path,
    ):
        problems.append(
            f"the proof does not show events 1..{old.head.seq} of the older checkpoint "
            "unchanged in the newer one"
        )
    return ProofCheck(not problems, signatures, tuple(problems))
