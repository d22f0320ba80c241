"""The ledger as exported (JSON lines) checked with no database: chain, Merkle roots, heads.

``gatehouse ledger export`` writes every event with its hashed fields; from those alone
each event's payload digest and hash are recomputed, every link to the previous hash and
every sequence number is checked, and the RFC 6962 Merkle root is kept at each size a
checkpoint pins, so a checkpoint file can then be held against the export exactly as
``ledger verify --checkpoint`` holds it against the database.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.ledger.chain import GENESIS_HASH, canonical_json, event_bytes, sha256_hex
from app.ledger.merkle import CompactRange

__all__ = ["LedgerFileCheck", "check_ledger_lines"]

_FIELDS = {
    "seq": int,
    "occurred_at": str,
    "actor": str,
    "action": str,
    "subject_type": str,
    "subject_id": str,
    "payload_sha256": str,
    "prev_hash": str,
    "hash": str,
}


@dataclass(frozen=True)
class LedgerFileCheck:
    """What the exported events prove."""

    events: int
    """Events read (up to the first break)."""
    problem: str | None
    """The first break, in words (``None``: the chain holds from genesis to the end)."""
    heads: dict[int, str] = field(default_factory=dict)
    """seq -> event hash, for the sizes asked for."""
    roots: dict[int, str] = field(default_factory=dict)
    """size -> Merkle root over events 1..size, for the sizes asked for."""
    payloads: tuple[tuple[int, str, dict[str, Any]], ...] = ()
    """(seq, action, payload) of every event whose action was asked for."""

    @property
    def head(self) -> tuple[int, str] | None:
        """The last event's (seq, hash), when the chain holds and is not empty."""
        if self.problem is not None or not self.events:
            return None
        return self.events, self.heads[self.events]


def _event(line: str, line_number: int) -> dict[str, Any]:
    """One parsed event; ``ValueError`` naming the line when it is not one."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"line {line_number} is not JSON ({error.msg})") from error
    if not isinstance(event, dict):
        raise ValueError(f"line {line_number} is not an event object")
    for name, kind in _FIELDS.items():
        if not isinstance(event.get(name), kind) or isinstance(event.get(name), bool):
            raise ValueError(f"line {line_number} lacks a valid {name!r}")
    if not isinstance(event.get("payload"), dict):
        raise ValueError(f"line {line_number} lacks its payload")
    return event


def _break_of(event: dict[str, Any], expected_seq: int, prev_hash: str) -> str | None:
    """Why ``event`` does not continue the chain, or ``None``."""
    seq = event["seq"]
    if seq != expected_seq:
        return f"event {expected_seq} is missing (the next line is event {seq})"
    if sha256_hex(canonical_json(event["payload"])) != event["payload_sha256"]:
        return f"event {seq}: the payload does not hash to its payload_sha256 (edited)"
    if event["prev_hash"] != prev_hash:
        return f"event {seq}: prev_hash does not match event {seq - 1}'s hash (reordered or cut)"
    recomputed = sha256_hex(
        event_bytes(
            seq,
            event["occurred_at"],
            event["actor"],
            event["action"],
            event["subject_type"],
            event["subject_id"],
            event["payload_sha256"],
            event["prev_hash"],
        )
    )
    if recomputed != event["hash"]:
        return f"event {seq}: its fields do not hash to its recorded hash (edited)"
    return None


def check_ledger_lines(
    lines: Iterable[str],
    *,
    sizes: Collection[int] = (),
    actions: Collection[str] = (),
) -> LedgerFileCheck:
    """Walk the exported chain from genesis; keep heads and Merkle roots at ``sizes`` and
    the payloads of events whose action is in ``actions``. Stops at the first break."""
    tree = CompactRange()
    prev_hash = GENESIS_HASH
    heads: dict[int, str] = {}
    roots: dict[int, str] = {}
    payloads: list[tuple[int, str, dict[str, Any]]] = []
    problem = None
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = _event(line, line_number)
        except ValueError as error:
            problem = str(error)
            break
        problem = _break_of(event, tree.size + 1, prev_hash)
        if problem is not None:
            break
        prev_hash = event["hash"]
        tree.append(bytes.fromhex(prev_hash))
        if tree.size in sizes:
            heads[tree.size] = prev_hash
            roots[tree.size] = tree.root().hex()
        if event["action"] in actions:
            payloads.append((event["seq"], event["action"], event["payload"]))
    if problem is None and tree.size:
        heads[tree.size] = prev_hash
    return LedgerFileCheck(tree.size, problem, heads, roots, tuple(payloads))
