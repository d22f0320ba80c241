"""Hugging Face TRL dataset types, used to fine-tune Llama and other open models.

Rules, from TRL's "Dataset formats and types" guide. A record is *standard* (strings)
or *conversational* (lists of ``{"role", "content"}`` messages), and of one type:

=====================  ==============================================================
language modeling      ``text`` / ``messages``
prompt-only            ``prompt``
prompt-completion      ``prompt`` + ``completion``
preference             ``chosen`` + ``rejected``, with ``prompt`` or an implicit prompt
unpaired preference    ``prompt`` + ``completion`` + boolean ``label``
=====================  ==============================================================

Within a record the fields share one style (all strings or all message lists); a file
should hold one type (a mix is reported). Trainers run on the user's own machines, so
no platform limit is checked; JSON Lines and JSON are accepted (Parquet datasets go
through ``tabular``). A file of bare ``messages`` is detected as ``openai_chat``, whose
rules it also meets; give ``trl`` to read it as TRL language-modeling data.

Conversion: the supervised types convert to and from the chat formats (written back as
conversational ``messages``); preference records convert to and from the other
preference formats (written as conversational preference). Everything else that a
conversion cannot carry is counted as a lossy step.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.formats.conversation import Conversation, LossTally, PreferencePair, Turn, role_messages
from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import expected_one_of, has_type, record_object, type_name
from app.formats.limits import PlatformLimits
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = ["ENTRY", "TRL", "record_type"]

ROLES = ("system", "user", "assistant", "tool")
#: The field sets that make up each type (checked in this order: most fields first).
_TYPES = (
    ("unpaired_preference", ("prompt", "completion", "label")),
    ("preference", ("chosen", "rejected")),
    ("prompt_completion", ("prompt", "completion")),
    ("language_modeling", ("messages",)),
    ("language_modeling", ("text",)),
    ("prompt_only", ("prompt",)),
)


def record_type(value: dict[str, Any]) -> str | None:
    """The TRL type a record's fields make, or ``None``."""
    return next((kind for kind, fields in _TYPES if all(f in value for f in fields)), None)


def _messages_text(messages: list[dict[str, str]], role: str | None = None) -> list[str]:
    return [m["content"] for m in messages if role is None or m["role"] == role]


def _check_field(value: object, field: str, line: int, log: IssueLog) -> str | None:
    """Check a string or a message list; return its style (``standard`` or ``conversational``)."""
    if isinstance(value, str):
        return "standard"
    if not isinstance(value, list) or not value:
        log.error(
            line,
            field,
            f"expected a string or a non-empty message list; got {type_name(value)}",
            "field.type",
        )
        return None
    for index, message in enumerate(value):
        path = f"{field}[{index}]"
        if not has_type(message, dict, line, path, log):
            continue
        if message.get("role") not in ROLES:
            log.error(line, f"{path}.role", expected_one_of(ROLES, message.get("role")), "trl.role")
        has_type(message.get("content"), str, line, f"{path}.content", log)
    return "conversational"


class TRL(JsonLinesFormat):
    """The ``trl`` format (any TRL dataset type)."""

    name = "trl"

    def __init__(self) -> None:
        self.types: Counter[str] = Counter()
        self.styles: Counter[str] = Counter()

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        """The record's type, a single style across its fields, and the label's type."""
        line, value = record.line, record_object(record, log)
        if value is None:
            return None
        kind = record_type(value)
        if kind is None:
            log.error(
                line,
                "",
                "fields match no TRL type (text, messages, prompt, prompt + completion, "
                f"chosen + rejected, prompt + completion + label); got {', '.join(value) or 'none'}",
                "trl.type",
            )
            return None
        if self.types and kind not in self.types:
            log.warning(
                line,
                "",
                f"{kind} record in a file of {self.types.most_common(1)[0][0]} records",
                "trl.mixed_types",
            )
        self.types[kind] += 1
        errors_before = log.error_count
        fields = [
            f
            for f in ("text", "messages", "prompt", "completion", "chosen", "rejected")
            if f in value
        ]
        styles = {_check_field(value[f], f, line, log) for f in fields}
        if kind == "unpaired_preference" and not isinstance(value["label"], bool):
            log.error(
                line,
                "label",
                f"expected true or false; got {type_name(value['label'])}",
                "trl.label",
            )
        styles.discard(None)
        if len(styles) > 1:
            log.error(
                line,
                "",
                f"fields {', '.join(fields)} mix plain strings and message lists",
                "trl.style",
            )
        if log.error_count != errors_before:
            return None
        style = styles.pop() or "standard"
        self.styles[style] += 1
        return self._summarize(value, kind, style)

    @staticmethod
    def _summarize(value: dict[str, Any], kind: str, style: str) -> RecordSummary:
        chars = 0
        roles: list[str] = []
        for field in ("text", "messages", "prompt", "completion", "chosen", "rejected"):
            item = value.get(field)
            if isinstance(item, str):
                chars += len(item)
            elif isinstance(item, list):
                chars += sum(len(m["content"]) for m in item)
                roles += [m["role"] for m in item]
        reply_field = {"preference": "chosen", "unpaired_preference": "completion"}.get(
            kind, "completion"
        )
        if kind == "language_modeling" and style == "conversational":
            outputs = tuple(
                (f"messages[{i}].content", m["content"])
                for i, m in enumerate(value["messages"])
                if m["role"] == "assistant"
            )
        elif reply_field in value and (kind != "unpaired_preference" or value["label"]):
            reply = value[reply_field]
            text = (
                reply if isinstance(reply, str) else "\n".join(_messages_text(reply, "assistant"))
            )
            outputs = ((reply_field, text),)
        else:
            outputs = ()
        return RecordSummary(tuple(roles), outputs, chars)

    def details(self) -> dict[str, object]:
        """Records per TRL type and per style."""
        return {"types": dict(self.types), "styles": dict(self.styles)}

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """Supervised types map to turns; a preference keeps its chosen reply."""
        value: dict[str, Any] = record.value
        kind = record_type(value)
        if kind == "language_modeling" and "text" in value:
            losses.note("plain text record taken as one assistant turn")
            return Conversation(None, (Turn("assistant", value["text"]),))
        if kind == "preference":
            losses.note("rejected reply dropped")
        if kind == "unpaired_preference":
            losses.note("unpaired completion kept whatever its label")
        if kind == "prompt_only":
            losses.note("prompt without a reply")
        messages: list[dict[str, str]] = []
        for field in ("messages", "prompt", "completion", "chosen"):
            item = value.get(field)
            if isinstance(item, list):
                messages += item
            elif isinstance(item, str):
                role = "user" if field == "prompt" else "assistant"
                messages.append({"role": role, "content": item})
        systems = _messages_text([m for m in messages if m["role"] == "system"])
        if any(m["role"] == "tool" for m in messages):
            losses.note("tool message dropped")
        turns = tuple(
            Turn(m["role"], m["content"])  # type: ignore[arg-type]
            for m in messages
            if m["role"] in ("user", "assistant")
        )
        return Conversation("\n\n".join(systems) if systems else None, turns)

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """Lossless: conversational language-modeling ``messages``."""
        return {"messages": role_messages(conversation.system, conversation.turns)}

    def to_pair(self, record: JsonRecord, losses: LossTally) -> PreferencePair | None:
        """Preference records map to the pair; other types are skipped and counted."""
        value: dict[str, Any] = record.value
        if record_type(value) != "preference":
            losses.note("record that is not a preference pair skipped")
            return None
        prompt = value.get("prompt", [])
        if isinstance(prompt, str):
            prompt = [{"role": "user", "content": prompt}]
        elif "prompt" not in value:
            losses.note("implicit prompt left inside the replies")
        systems = _messages_text([m for m in prompt if m["role"] == "system"])
        turns = tuple(
            Turn(m["role"], m["content"]) for m in prompt if m["role"] in ("user", "assistant")
        )

        def reply(item: object) -> str:
            return item if isinstance(item, str) else "\n".join(_messages_text(item, "assistant"))  # type: ignore[arg-type]

        return PreferencePair(
            "\n\n".join(systems) if systems else None,
            turns,
            reply(value["chosen"]),
            reply(value["rejected"]),
        )

    def from_pair(self, pair: PreferencePair, losses: LossTally) -> object | None:
        """Lossless: conversational preference with an explicit prompt."""
        return {
            "prompt": role_messages(pair.system, pair.turns),
            "chosen": [{"role": "assistant", "content": pair.chosen}],
            "rejected": [{"role": "assistant", "content": pair.rejected}],
        }

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """One of TRL's dataset types (a Human:/Assistant: prompt is Anthropic's legacy form)."""
        kind = record_type(value)
        if kind in ("preference", "unpaired_preference") or (
            kind == "language_modeling" and "text" in value
        ):
            return True
        prompt = value.get("prompt")
        return isinstance(prompt, list) or (isinstance(prompt, str) and "Human:" not in prompt)


ENTRY = FormatEntry(
    handler=TRL,
    title="Hugging Face TRL dataset types for open models (SFT, DPO, KTO ...)",
    limits=PlatformLimits(
        platform="TRL trainers", mime_types=("application/jsonl", "application/json")
    ),
    conversions=frozenset({"chat", "preference"}),
)
