"""OpenAI chat fine-tuning format: JSON Lines of ``{"messages": [...]}``.

Rules: each message has ``role`` in system/user/assistant/tool and ``content`` as a
string or a list of typed parts (``{"type": "text", "text": ...}``, image parts);
an assistant message may carry ``tool_calls`` instead of content and an optional
``weight`` of 0 or 1; each record needs at least one assistant message.
"""

from __future__ import annotations

from app.formats.conversation import Conversation, LossTally, Turn
from app.formats.issues import IssueLog
from app.formats.jsontypes import describe, expected_one_of, record_object, type_name
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = ["OpenAIChat"]

ROLES = ("system", "user", "assistant", "tool")
_ROLE_SET = frozenset(ROLES)
_PART_TYPES = ("text", "image_url", "input_audio", "file")


# Most records have a handful of messages: format their paths once, not per record.
_MESSAGE_PATHS = tuple(f"messages[{i}]" for i in range(32))
_CONTENT_PATHS = tuple(f"{path}.content" for path in _MESSAGE_PATHS)


def _check_parts(parts: list[object], path: str, line: int, log: IssueLog) -> None:
    if not parts:
        log.error(line, path, "content parts list is empty", "openai.content_empty")
    for index, part in enumerate(parts):
        part_path = f"{path}[{index}]"
        if not isinstance(part, dict):
            log.error(line, part_path, f"expected object; got {type_name(part)}", "field.type")
            continue
        kind = part.get("type")
        if kind not in _PART_TYPES:
            log.error(
                line, f"{part_path}.type", expected_one_of(_PART_TYPES, kind), "openai.part_type"
            )
        elif kind == "text" and not isinstance(part.get("text"), str):
            log.error(
                line,
                f"{part_path}.text",
                f"expected string; got {type_name(part.get('text'))}",
                "field.type",
            )


def _check_message(message: object, index: int, line: int, log: IssueLog) -> str | None:
    """Check one message; return its role when the role is valid."""
    if type(message) is dict and len(message) == 2 and type(message.get("content")) is str:
        role = message.get("role")
        if role in _ROLE_SET:
            return role  # the common case, {"role": ..., "content": "..."}, needs no more checks
    path = _MESSAGE_PATHS[index] if index < len(_MESSAGE_PATHS) else f"messages[{index}]"
    if not isinstance(message, dict):
        log.error(line, path, f"expected object; got {type_name(message)}", "field.type")
        return None
    role = message.get("role")
    if "role" not in message:
        log.error(line, f"{path}.role", "required field is missing", "field.missing")
    elif role not in ROLES:
        log.error(line, f"{path}.role", expected_one_of(ROLES, role), "openai.role")
        role = None
    content = message.get("content")
    calls_tools = role == "assistant" and bool(message.get("tool_calls"))
    if "content" not in message and not calls_tools:
        log.error(line, f"{path}.content", "required field is missing", "field.missing")
    elif content is None and not calls_tools:
        log.error(line, f"{path}.content", "expected string or array; got null", "field.type")
    elif isinstance(content, list):
        _check_parts(content, f"{path}.content", line, log)
    elif content is not None and not isinstance(content, str):
        log.error(
            line,
            f"{path}.content",
            f"expected string or array; got {type_name(content)}",
            "field.type",
        )
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            log.error(
                line,
                f"{path}.weight",
                "weight is allowed only on assistant messages",
                "openai.weight",
            )
        elif isinstance(weight, bool) or weight not in (0, 1):
            log.error(
                line, f"{path}.weight", f"expected 0 or 1; got {describe(weight)}", "openai.weight"
            )
    return role if isinstance(role, str) else None


def _text_of(content: object) -> str:
    """Text of a content field: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part["text"] for part in content if part.get("type") == "text")
    return ""


class OpenAIChat(JsonLinesFormat):
    """The ``openai_chat`` format."""

    name = "openai_chat"

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        """Check the record's shape, roles, contents and weights; summarise it when valid."""
        line, value = record.line, record_object(record, log)
        if value is None:
            return None
        messages = value.get("messages")
        if "messages" not in value:
            log.error(line, "messages", "required field is missing", "field.missing")
            return None
        if not isinstance(messages, list):
            log.error(line, "messages", f"expected array; got {type_name(messages)}", "field.type")
            return None
        if not messages:
            log.error(line, "messages", "must contain at least one message", "openai.empty")
            return None
        errors_before = log.error_count
        roles = [
            _check_message(message, index, line, log) for index, message in enumerate(messages)
        ]
        if "assistant" not in roles:
            log.error(
                line,
                "messages",
                "at least one assistant message is required",
                "openai.no_assistant",
            )
        if log.error_count != errors_before:
            return None
        outputs = []
        chars = 0
        for index, message in enumerate(messages):
            content = message.get("content")
            text = content if type(content) is str else _text_of(content)
            chars += len(text)
            if roles[index] == "assistant":
                path = (
                    _CONTENT_PATHS[index]
                    if index < len(_CONTENT_PATHS)
                    else f"messages[{index}].content"
                )
                outputs.append((path, text))
        return RecordSummary(tuple(roles), tuple(outputs), chars)  # type: ignore[arg-type]

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """System messages become the system prompt; tool traffic and weights are counted as lost."""
        systems: list[str] = []
        turns: list[Turn] = []
        for message in record.value["messages"]:
            role, content = message["role"], message.get("content")
            if isinstance(content, list):
                if any(part.get("type") != "text" for part in content):
                    losses.note("non-text content part dropped")
                if len(content) > 1:
                    losses.note("content parts joined into one text")
            if "weight" in message:
                losses.note("assistant message weight dropped")
            if message.get("tool_calls"):
                losses.note("assistant tool calls dropped")
            if "name" in message:
                losses.note("message name dropped")
            if role == "tool":
                losses.note("tool message dropped")
            elif role == "system":
                if turns:
                    losses.note("system message after the first turn moved into the system prompt")
                systems.append(_text_of(content))
            elif content is not None or not message.get("tool_calls"):
                turns.append(Turn(role, _text_of(content)))
        if len(systems) > 1:
            losses.note("several system messages merged into one")
        return Conversation("\n\n".join(systems) if systems else None, tuple(turns))

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """Every conversation is expressible; skipped only when there is no assistant turn."""
        if not any(turn.role == "assistant" for turn in conversation.turns):
            losses.note("record without an assistant turn skipped")
            return None
        messages = (
            [{"role": "system", "content": conversation.system}]
            if conversation.system is not None
            else []
        )
        messages += [{"role": turn.role, "content": turn.text} for turn in conversation.turns]
        return {"messages": messages}
