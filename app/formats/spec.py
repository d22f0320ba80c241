"""What every dataset format module provides, so validation and scanning stay generic.

A format reads records from a :class:`~app.formats.source.DatasetSource`, checks
each one (logging errors with JSON paths), and summarises a valid record for the
statistics, the reasoning-chain checks and the PII scan. Chat formats also map to
and from the neutral :class:`~app.formats.conversation.Conversation`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from app.formats.conversation import Conversation, LossTally
from app.formats.issues import IssueLog
from app.formats.source import DatasetSource, JsonRecord

__all__ = ["ChatFormat", "FormatSpec", "RecordSummary"]


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """The parts of a valid record that statistics and quality checks look at."""

    #: Speaker of each message or turn, in order (format's own role names).
    roles: tuple[str, ...]
    #: (JSON path, text) of each output the model is trained to produce.
    outputs: tuple[tuple[str, str], ...]
    #: (JSON path, text) of every text field, outputs included (what the PII scan reads).
    texts: tuple[tuple[str, str], ...]


class FormatSpec(Protocol):
    """One dataset format. A fresh instance serves one pass over one file."""

    name: str

    def records(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        """Yield the file's records, logging problems that stop a record from parsing."""
        ...

    def check(self, record: JsonRecord, log: IssueLog) -> None:
        """Log every rule the record breaks (all of them, not only the first)."""
        ...

    def summarize(self, record: JsonRecord) -> RecordSummary:
        """Summarise a record that :meth:`check` found valid."""
        ...

    def details(self) -> dict[str, object]:
        """Format-specific statistics gathered during the pass (variant, columns ...)."""
        ...


class ChatFormat(FormatSpec, Protocol):
    """A conversational format that can be converted to and from the others."""

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """Map a valid record to the neutral conversation, counting what is lost."""
        ...

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """Build this format's JSON record, counting what is lost; ``None`` to skip it."""
        ...
