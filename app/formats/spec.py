"""What every dataset format module provides, so validation and scanning stay generic.

A format reads records from a :class:`~app.formats.source.DatasetSource`, checks
each one (logging errors with JSON paths), and summarises a valid record for the
statistics and the reasoning-chain checks (checking and summarising in one walk
over the record keeps validation fast). Chat formats also map to
and from the neutral :class:`~app.formats.conversation.Conversation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol

from app.formats.conversation import Conversation, LossTally, PreferencePair
from app.formats.issues import IssueLog
from app.formats.jsontypes import record_object
from app.formats.source import DatasetSource, JsonRecord, iter_json_records

__all__ = [
    "ChatFormat",
    "Columns",
    "FormatSpec",
    "JsonLinesFormat",
    "PreferenceFormat",
    "RecordSummary",
    "TypedReader",
]


class RecordSummary(NamedTuple):
    """The parts of a valid record that statistics and quality checks look at."""

    #: Speaker of each message or turn, in order (format's own role names).
    roles: tuple[str, ...]
    #: (JSON path, text) of each output the model is trained to produce.
    outputs: tuple[tuple[str, str], ...]
    #: Characters of text in the whole record, outputs included (for the token estimate).
    text_chars: int


class FormatSpec(Protocol):
    """One dataset format. A fresh instance serves one pass over one file."""

    name: str

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """True when a file's first JSON record has this format's keys (detection)."""
        ...

    def records(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        """Yield the file's records, logging problems that stop a record from parsing."""
        ...

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        """Log every rule the record breaks (all of them, not only the first).

        Returns the record's summary when it is valid, ``None`` when it is not.
        """
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


class PreferenceFormat(FormatSpec, Protocol):
    """A preference format that can be converted to and from the other preference formats."""

    def to_pair(self, record: JsonRecord, losses: LossTally) -> PreferencePair | None:
        """Map a valid record to the neutral pair, counting what is lost (``None``: skip it)."""
        ...

    def from_pair(self, pair: PreferencePair, losses: LossTally) -> object | None:
        """Build this format's JSON record, counting what is lost; ``None`` to skip it."""
        ...


class Columns(NamedTuple):
    """The summaries of a block of valid records, column by column (see :class:`TypedReader`)."""

    #: Records per number of messages or turns.
    message_counts: dict[int, int]
    #: Messages or turns per role.
    role_counts: dict[str, int]
    #: Characters of text per record.
    text_chars: list[int]
    #: For each output: the index of its record in the block, its position in the record
    #: (message or turn) and its text.
    output_records: list[int]
    output_positions: list[int]
    output_texts: list[str]
    #: The JSON path of the output at a position (asked only for outputs with a warning).
    output_field: Callable[[int], str]


class TypedReader(Protocol):
    """A format's fast path: typed decoding of its common record shape.

    Validation decodes a block of lines at once into typed structures; a record that
    does not fit them (or that :meth:`summarize` is unsure about) goes through the
    format's ordinary :meth:`FormatSpec.check`, so errors read the same either way.
    """

    def decode_many(self, data: bytes) -> list[Any]:
        """Decode a JSON array of records (raises on any record that does not fit)."""
        ...

    def decode_one(self, data: bytes) -> Any:
        """Decode one record (raises when it does not fit)."""
        ...

    def summarize(self, item: Any) -> RecordSummary | None:
        """The summary of a decoded record that meets every rule, else ``None``."""
        ...

    def columns(self, items: list[Any]) -> Columns | None:
        """The summaries of a block of records when all meet every rule, else ``None``."""
        ...


class JsonLinesFormat:
    """Shared reading and checking for the formats whose records are JSON Lines, one
    object a line.

    A format writes its rules (:meth:`check_object`, logging every error it finds) and
    the summary of an object that meets them (:meth:`summarize_object`); :meth:`check`
    walks each record through both, so a record with an error is never summarised.
    """

    def records(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        """JSON Lines records."""
        return iter_json_records(source, log, max_line_bytes=max_line_bytes)

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        """A JSON object that meets the format's rules is summarised; anything else is ``None``."""
        value = record_object(record, log)
        if value is None:
            return None
        errors_before = log.error_count
        self.check_object(value, record.line, log)
        return self.summarize_object(value) if log.error_count == errors_before else None

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """Log every rule of the format that the record's object breaks."""
        raise NotImplementedError

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """The summary of an object that meets every rule."""
        raise NotImplementedError

    def details(self) -> dict[str, object]:
        """No format-specific details."""
        return {}
