"""Anthropic Claude fine-tuning on Amazon Bedrock: JSON Lines of ``system`` + ``messages``.

Rules, from Anthropic's "Finetuning Claude 3 Haiku on Bedrock" guide (the cookbook
the Bedrock console links to):

* each line is ``{"system": "<optional>", "messages": [{"role": ..., "content": ...}]}``;
* ``system`` is optional and, when present, a string;
* at least two messages; the first from ``user``, the last from ``assistant``;
  ``user`` and ``assistant`` alternate (there is no ``system`` or ``tool`` role);
* no extraneous keys, at the top level or in a message; ``content`` is a string.

Limits: the numbers (records, tokens per record, file size) were not found in the
vendor documentation searched for this release (Bedrock's own "prepare data" page for
text models documents the Amazon and Meta ``prompt``/``completion`` forms, not this
one), so none is checked; Bedrock reads training data from S3 as JSON Lines.

Detection: a top-level ``system`` string tells this format apart from OpenAI chat. A
file of bare ``messages`` with alternating user/assistant turns fits both; detection
then names ``openai_chat`` and says the file also fits this format.
"""

from __future__ import annotations

from typing import Any

from app.formats.conversation import (
    Conversation,
    LossTally,
    Turn,
    merge_speaker_turns,
    turns_to_last_reply,
)
from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import expected_one_of, has_type
from app.formats.limits import PlatformLimits
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = ["ENTRY", "AnthropicBedrock"]

ROLES = ("user", "assistant")
_TOP_KEYS = frozenset({"system", "messages"})
_MESSAGE_KEYS = frozenset({"role", "content"})


def _check_messages(messages: list[Any], line: int, log: IssueLog) -> None:
    if len(messages) < 2:
        log.error(line, "messages", "at least two messages are required", "bedrock.too_few")
    previous: object = None
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        if not has_type(message, dict, line, path, log):
            continue
        for key in message:
            if key not in _MESSAGE_KEYS:
                log.error(line, f"{path}.{key}", "extraneous key is not allowed", "bedrock.key")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            log.error(line, f"{path}.role", expected_one_of(ROLES, role), "bedrock.role")
        elif role == previous:
            log.error(
                line,
                f"{path}.role",
                f"user and assistant must alternate; got {role} twice",
                "bedrock.alternation",
            )
        previous = role
        if has_type(content, str, line, f"{path}.content", log) and not content.strip():
            log.error(line, f"{path}.content", "content is empty", "bedrock.empty")
    first, last = messages[0], messages[-1]
    if isinstance(first, dict) and first.get("role") == "assistant":
        log.error(line, "messages[0].role", "the first message must be from user", "bedrock.order")
    if len(messages) > 1 and isinstance(last, dict) and last.get("role") == "user":
        log.error(
            line,
            f"messages[{len(messages) - 1}].role",
            "the last message must be from assistant",
            "bedrock.order",
        )


class AnthropicBedrock(JsonLinesFormat):
    """The ``anthropic_bedrock`` format."""

    name = "anthropic_bedrock"

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """Keys, roles, alternation, order and contents; summarise when valid."""
        for key in value:
            if key not in _TOP_KEYS:
                log.error(line, key, "extraneous key is not allowed", "bedrock.key")
        if "system" in value:
            has_type(value["system"], str, line, "system", log)
        messages = value.get("messages")
        if "messages" not in value:
            log.error(line, "messages", "required field is missing", "field.missing")
        elif not isinstance(messages, list) or not messages:
            log.error(line, "messages", "expected a non-empty array", "field.type")
        else:
            _check_messages(messages, line, log)

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """The roles, the assistant turns as outputs."""
        valid: list[dict[str, str]] = value["messages"]
        roles = tuple(m["role"] for m in valid)
        outputs = tuple(
            (f"messages[{i}].content", m["content"])
            for i, m in enumerate(valid)
            if m["role"] == "assistant"
        )
        chars: int = len(value.get("system", "")) + sum(len(m["content"]) for m in valid)
        return RecordSummary(roles, outputs, chars)

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """Lossless: ``system`` is the system prompt, messages are the turns."""
        value: dict[str, Any] = record.value
        turns = tuple(Turn(m["role"], m["content"]) for m in value["messages"])
        return Conversation(value.get("system"), turns)

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """Up to the last assistant turn; same-speaker turns merged, empty turns dropped."""
        turns = turns_to_last_reply(conversation, losses)
        if turns is None:
            return None
        merged = merge_speaker_turns(turns, losses, drop_empty=True)
        while merged and merged[0].role == "assistant":
            losses.note("assistant turn before the first user turn dropped")
            merged.pop(0)
        if len(merged) < 2:
            losses.note("record without a user turn before the reply skipped")
            return None
        record: dict[str, object] = {
            "messages": [{"role": t.role, "content": t.text} for t in merged]
        }
        if conversation.system is not None:
            record = {"system": conversation.system, **record}
        return record

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """A string ``system`` beside a ``messages`` list."""
        return isinstance(value.get("system"), str) and isinstance(value.get("messages"), list)


ENTRY = FormatEntry(
    handler=AnthropicBedrock,
    title="Anthropic Claude fine-tuning on Amazon Bedrock (system + messages)",
    limits=PlatformLimits(platform="Amazon Bedrock (Claude)"),
    conversions=frozenset({"chat"}),
)
