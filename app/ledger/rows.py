"""Ledger rows read straight from the database driver, for verification at scale.

Loading ORM objects, not hashing, was most of the cost of verifying the chain (about
25,000 events/s against roughly a million SHA-256 computations a second over the same
bytes). Verification needs only strings and integers, so it reads plain tuples through
the driver's own cursor in keyset-paged batches.

The database also writes out the bytes an event's hash covers (the canonical JSON of
its hashed fields, see :func:`app.ledger.chain.event_bytes`), each value quoted by the
database's own JSON string encoder. That is sound: JSON string quoting is injective, so
when those bytes hash to the stored hash they *are* the bytes that were hashed, and the
columns hold exactly the values that were ledgered. Where the database quotes a value
differently from Python (non-ASCII text), the hash does not match and the caller
recomputes those bytes in Python before calling anything broken.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

__all__ = ["VerificationRow", "iter_hashes", "iter_verification_rows"]

#: ``(seq, hashed bytes as text, payload JSON text, payload_sha256, prev_hash, hash)``:
#: a tuple, because building an object per row would cost more than hashing it.
VerificationRow = tuple[int, str, str, str, str, str]

#: Rows fetched per round trip: large enough to amortise the query, small enough to
#: keep memory flat at any ledger size.
_BATCH = 5000

#: Larger than any sequence number a ledger reaches (bigint's maximum).
_NO_LIMIT = 2**63 - 1


def _hashed_text(quote: str, occurred_at_iso: str) -> str:
    """SQL building ``event_bytes`` from the columns with ``quote`` as JSON string quoting."""
    fields = (
        ("action", quote.format("action")),
        ("actor", quote.format("actor")),
        ("occurred_at", quote.format(occurred_at_iso)),
        ("payload_sha256", quote.format("payload_sha256")),
        ("prev_hash", quote.format("prev_hash")),
        ("seq", "seq"),
        ("subject_id", quote.format("subject_id")),
        ("subject_type", quote.format("subject_type")),
    )
    parts = " || ".join(
        f"'{'{' if index == 0 else ','}\"{name}\":' || {expression}"
        for index, (name, expression) in enumerate(fields)
    )
    return f"{parts} || '}}'"


# SQLite stores the UTC time as "YYYY-MM-DD HH:MM:SS.ffffff"; isoformat drops ".000000".
_SQLITE_ISO = (
    "substr(occurred_at, 1, 10) || 'T' || CASE WHEN substr(occurred_at, 20) = '.000000' "
    "THEN substr(occurred_at, 12, 8) ELSE substr(occurred_at, 12) END || '+00:00'"
)
_POSTGRES_ISO = (
    "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN to_char(occurred_at AT TIME ZONE 'UTC', 'US') = '000000' THEN '' "
    "ELSE '.' || to_char(occurred_at AT TIME ZONE 'UTC', 'US') END || '+00:00'"
)

_VERIFICATION_SELECT = {
    "sqlite": (
        f"SELECT seq, {_hashed_text('json_quote({})', _SQLITE_ISO)}, payload, payload_sha256, "
        "prev_hash, hash FROM ledger_event WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
    ),
    "postgresql": (
        f"SELECT seq, {_hashed_text('to_json({}::text)::text', _POSTGRES_ISO)}, payload::text, "
        "payload_sha256, prev_hash, hash FROM ledger_event "
        "WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s"
    ),
}

_HASH_SELECT = {
    "sqlite": "SELECT seq, hash FROM ledger_event WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
    "postgresql": (
        "SELECT seq, hash FROM ledger_event WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s"
    ),
}


def _paged(
    session: Session, statements: dict[str, str], after_seq: int, through_seq: int | None
) -> Iterator[Any]:
    """Rows of the dialect's statement, keyset-paged by ``seq``, through the raw cursor."""
    connection = session.connection()
    dialect = connection.dialect.name
    try:
        statement = statements[dialect]
    except KeyError:
        raise NotImplementedError(f"no ledger row reader for the {dialect} dialect") from None
    upper = _NO_LIMIT if through_seq is None else through_seq
    cursor: Any = connection.connection.cursor()
    try:
        last = after_seq
        while True:
            cursor.execute(statement, (last, upper, _BATCH))
            batch = cursor.fetchall()
            yield from batch
            if len(batch) < _BATCH:
                return
            last = batch[-1][0]
    finally:
        cursor.close()


def iter_verification_rows(
    *, session: Session, after_seq: int = 0, through_seq: int | None = None
) -> Iterator[VerificationRow]:
    """Events with ``after_seq < seq <= through_seq`` in order, as :data:`VerificationRow`."""
    return _paged(session, _VERIFICATION_SELECT, after_seq, through_seq)


def iter_hashes(
    *, session: Session, after_seq: int = 0, through_seq: int | None = None
) -> Iterator[tuple[int, str]]:
    """``(seq, hash)`` of events with ``after_seq < seq <= through_seq``, in order."""
    return _paged(session, _HASH_SELECT, after_seq, through_seq)
