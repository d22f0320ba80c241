"""Llama-style instruction format: JSON Lines ``{"input": str, "output": str}``.

An optional ``instruction`` string is the task or system prompt. Conversions map it
to the system prompt and back, which is lossless; a multi-turn conversation has to
be flattened into ``input``, which is counted as a loss.

Open models are trained by the user's own stack (torchtune, Axolotl, TRL, LLaMA-Factory,
Bedrock or Vertex model garden jobs), so no platform limit on counts, lengths or size
is checked; JSON Lines and JSON files are accepted. Chat ``messages`` data for open
models is :mod:`app.formats.trl` (conversational) or ``openai_chat``.
"""

from __future__ import annotations

from typing import Any

from app.formats.conversation import Conversation, LossTally, Turn, turns_to_last_reply
from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import has_type
from app.formats.limits import PlatformLimits
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = ["ENTRY", "LlamaIO"]

_REQUIRED = ("input", "output")
_KNOWN = ("instruction", "input", "output")
_SPEAKER_LABELS = {"user": "User", "assistant": "Assistant"}


class LlamaIO(JsonLinesFormat):
    """The ``llama_io`` format."""

    name = "llama_io"

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """``input`` and ``output`` are required strings, ``instruction`` an optional one."""
        for field in _REQUIRED:
            if field not in value:
                log.error(line, field, "required field is missing", "field.missing")
        for field in _KNOWN:
            if field in value:
                has_type(value[field], str, line, field, log)
        for field in value:
            if field not in _KNOWN:
                log.warning(
                    line, field, "unknown field is ignored by trainers", "llama.unknown_field"
                )

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """The roles the fields stand for, and the output."""
        roles = ("system", "user", "assistant") if "instruction" in value else ("user", "assistant")
        chars = sum(len(value[field]) for field in _KNOWN if field in value)
        return RecordSummary(roles, (("output", value["output"]),), chars)

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """instruction → system prompt, input → user turn, output → assistant turn."""
        value: dict[str, str] = record.value
        for field in value:
            if field not in _KNOWN:
                losses.note(f"unknown field {field!r} dropped")
        turns = (Turn("user", value["input"]), Turn("assistant", value["output"]))
        return Conversation(value.get("instruction"), turns)

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """The last assistant turn is the output; earlier turns are flattened into input."""
        turns = turns_to_last_reply(conversation, losses)
        if turns is None:
            return None
        context = turns[:-1]
        if len(context) == 1 and context[0].role == "user":
            prompt = context[0].text
        else:
            losses.note("multi-turn conversation flattened into input")
            prompt = "\n".join(f"{_SPEAKER_LABELS[turn.role]}: {turn.text}" for turn in context)
        record: dict[str, str] = {"input": prompt, "output": turns[-1].text}
        if conversation.system is not None:
            record = {"instruction": conversation.system, **record}
        return record

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """An ``input`` and an ``output``."""
        return "input" in value and "output" in value


ENTRY = FormatEntry(
    handler=LlamaIO,
    title="Llama and other open models: instruction/input/output",
    limits=PlatformLimits(
        platform="open-model trainers", mime_types=("application/jsonl", "application/json")
    ),
    conversions=frozenset({"chat"}),
)
