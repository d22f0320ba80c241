"""Llama-style instruction format: JSON Lines ``{"input": str, "output": str}``.

An optional ``instruction`` string is the task or system prompt. Conversions map it
to the system prompt and back, which is lossless; a multi-turn conversation has to
be flattened into ``input``, which is counted as a loss.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.formats.conversation import Conversation, LossTally, Turn
from app.formats.issues import IssueLog
from app.formats.jsontypes import type_name
from app.formats.source import DatasetSource, JsonRecord, iter_json_records
from app.formats.spec import RecordSummary

__all__ = ["LlamaIO"]

_REQUIRED = ("input", "output")
_KNOWN = ("instruction", "input", "output")
_SPEAKER_LABELS = {"user": "User", "assistant": "Assistant"}


class LlamaIO:
    """The ``llama_io`` format."""

    name = "llama_io"

    def records(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        """JSON Lines records."""
        return iter_json_records(source, log, max_line_bytes=max_line_bytes)

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        """``input`` and ``output`` are required strings, ``instruction`` an optional one."""
        line, value = record.line, record.value
        if not isinstance(value, dict):
            log.error(line, "", f"expected a JSON object; got {type_name(value)}", "record.type")
            return None
        errors_before = log.error_count
        for field in _REQUIRED:
            if field not in value:
                log.error(line, field, "required field is missing", "field.missing")
        for field in _KNOWN:
            if field in value and not isinstance(value[field], str):
                log.error(
                    line, field, f"expected string; got {type_name(value[field])}", "field.type"
                )
        for field in value:
            if field not in _KNOWN:
                log.warning(
                    line, field, "unknown field is ignored by trainers", "llama.unknown_field"
                )
        if log.error_count != errors_before:
            return None
        roles = ("system", "user", "assistant") if "instruction" in value else ("user", "assistant")
        chars = sum(len(value[field]) for field in _KNOWN if field in value)
        return RecordSummary(roles, (("output", value["output"]),), chars)

    def details(self) -> dict[str, object]:
        """No format-specific details."""
        return {}

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """instruction → system prompt, input → user turn, output → assistant turn."""
        value: dict[str, str] = record.value  # type: ignore[assignment]
        for field in value:
            if field not in _KNOWN:
                losses.note(f"unknown field {field!r} dropped")
        turns = (Turn("user", value["input"]), Turn("assistant", value["output"]))
        return Conversation(value.get("instruction"), turns)

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """The last assistant turn is the output; earlier turns are flattened into input."""
        turns = list(conversation.turns)
        last_reply = max(
            (i for i, turn in enumerate(turns) if turn.role == "assistant"), default=None
        )
        if last_reply is None:
            losses.note("record without an assistant turn skipped")
            return None
        if last_reply < len(turns) - 1:
            losses.note("turns after the last assistant turn dropped")
        context = turns[:last_reply]
        if len(context) == 1 and context[0].role == "user":
            prompt = context[0].text
        else:
            losses.note("multi-turn conversation flattened into input")
            prompt = "\n".join(f"{_SPEAKER_LABELS[turn.role]}: {turn.text}" for turn in context)
        record: dict[str, str] = {"input": prompt, "output": turns[last_reply].text}
        if conversation.system is not None:
            record = {"instruction": conversation.system, **record}
        return record
