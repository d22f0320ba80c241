"""OpenAI supervised chat fine-tuning: JSON Lines of ``{"messages": [...], "tools": [...]}``.

Rules, from OpenAI's supervised fine-tuning guide and the fine-tuning chat input
reference (``FineTuneChatRequestInput``):

* ``messages``: ``role`` in system/developer/user/assistant/tool; ``content`` a string
  or a list of typed parts (``text``, ``image_url``; audio and file parts are not
  accepted for fine-tuning per the reference, though the chat API takes them: Gatehouse
  follows the fine-tuning reference and rejects them here);
* an assistant message may carry ``tool_calls`` (``id``, ``type: function``,
  ``function.name``, ``function.arguments`` as a JSON string) instead of content, and
  an optional ``weight`` of 0 or 1 (multi-turn data: 0 skips that turn in training);
  a ``tool`` message answers a call and names it in ``tool_call_id``;
* optional top-level ``tools`` (function definitions) and ``parallel_tool_calls``;
* at least one assistant message per record.

Limits: at least 10 examples (the guide's minimum); files up to 512 MB (the Files API);
the per-example token limit depends on the base model and is not checked. OpenAI's
guide now says the fine-tuning platform is being wound down for new users; existing
users can still create jobs, so the format stays.
"""

from __future__ import annotations

from typing import Any

from app.formats.conversation import Conversation, LossTally, Turn, role_messages
from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import describe, expected_one_of, has_type, type_name
from app.formats.limits import PlatformLimits
from app.formats.openai_typed import OpenAIChatTyped
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = [
    "ENTRY",
    "OPENAI_FILE_BYTES",
    "ROLES",
    "OpenAIChat",
    "check_message",
    "check_tools",
    "openai_limits",
    "text_of",
]

ROLES = ("system", "developer", "user", "assistant", "tool")
_ROLE_SET = frozenset(ROLES)
_PART_TYPES = ("text", "image_url")
_TOP_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})


# Most records have a handful of messages: format their paths once, not per record.
_MESSAGE_PATHS = tuple(f"messages[{i}]" for i in range(32))
_CONTENT_PATHS = tuple(f"{path}.content" for path in _MESSAGE_PATHS)


def _check_parts(parts: list[object], path: str, line: int, log: IssueLog) -> None:
    if not parts:
        log.error(line, path, "content parts list is empty", "openai.content_empty")
    for index, part in enumerate(parts):
        part_path = f"{path}[{index}]"
        if not has_type(part, dict, line, part_path, log):
            continue
        kind = part.get("type")
        if kind not in _PART_TYPES:
            log.error(
                line, f"{part_path}.type", expected_one_of(_PART_TYPES, kind), "openai.part_type"
            )
        elif kind == "text":
            has_type(part.get("text"), str, line, f"{part_path}.text", log)


def _check_tool_calls(calls: object, path: str, line: int, log: IssueLog) -> None:
    if not has_type(calls, list, line, path, log):
        return
    for index, call in enumerate(calls):
        call_path = f"{path}[{index}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(function, dict):
            log.error(line, call_path, "expected {id, type, function}", "openai.tool_call")
            continue
        if call.get("type", "function") != "function":
            log.error(
                line,
                f"{call_path}.type",
                expected_one_of(("function",), call["type"]),
                "openai.tool_call",
            )
        if not isinstance(function.get("name"), str):
            log.error(line, f"{call_path}.function.name", "required string", "openai.tool_call")
        if not isinstance(function.get("arguments"), str):
            log.error(
                line,
                f"{call_path}.function.arguments",
                "expected the arguments as a JSON string",
                "openai.tool_call",
            )


def check_tools(value: dict[str, Any], line: int, log: IssueLog) -> None:
    """Check the optional top-level ``tools`` (function definitions)."""
    tools = value.get("tools")
    if tools is None:
        return
    if not has_type(tools, list, line, "tools", log):
        return
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            log.error(
                line,
                f"tools[{index}]",
                'expected {"type": "function", "function": {"name": ...}}',
                "openai.tool",
            )


def check_message(
    message: object, index: int, line: int, log: IssueLog, *, prefix: str = ""
) -> str | None:
    """Check one message; return its role when the role is valid.

    ``prefix`` is put before the message's path (``input.`` for preference data).
    """
    if type(message) is dict and len(message) == 2 and type(message.get("content")) is str:
        role = message.get("role")
        if role in _ROLE_SET:
            return role  # the common case, {"role": ..., "content": "..."}, needs no more checks
    path = (
        _MESSAGE_PATHS[index]
        if index < len(_MESSAGE_PATHS) and not prefix
        else f"{prefix}messages[{index}]"
    )
    if not has_type(message, dict, line, path, log):
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
    if message.get("tool_calls") is not None:
        if role != "assistant":
            log.error(
                line, f"{path}.tool_calls", "only assistant messages call tools", "openai.tool_call"
            )
        _check_tool_calls(message["tool_calls"], f"{path}.tool_calls", line, log)
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        log.error(line, f"{path}.tool_call_id", "a tool message names its call", "field.missing")
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


def text_of(content: object) -> str:
    """Text of a content field: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part["text"] for part in content if part.get("type") == "text")
    return ""


class OpenAIChat(JsonLinesFormat):
    """The ``openai_chat`` format."""

    name = "openai_chat"

    def __init__(self) -> None:
        #: Validation's fast path for plain ``{"role", "content"}`` records.
        self.typed = OpenAIChatTyped()

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """Check the record's shape, roles, contents and weights."""
        messages = value.get("messages")
        if "messages" not in value:
            log.error(line, "messages", "required field is missing", "field.missing")
            return
        if not has_type(messages, list, line, "messages", log):
            return
        if not messages:
            log.error(line, "messages", "must contain at least one message", "openai.empty")
            return
        for key in value:
            if key not in _TOP_KEYS:
                log.warning(line, key, "unknown field is ignored by OpenAI", "openai.unknown_field")
        check_tools(value, line, log)
        roles = [check_message(message, index, line, log) for index, message in enumerate(messages)]
        if "assistant" not in roles:
            log.error(
                line,
                "messages",
                "at least one assistant message is required",
                "openai.no_assistant",
            )

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """The roles, the assistant contents (not bare tool calls) as outputs."""
        messages: list[dict[str, Any]] = value["messages"]
        roles = tuple(message["role"] for message in messages)
        outputs = []
        chars = 0
        for index, message in enumerate(messages):
            content = message.get("content")
            text = content if type(content) is str else text_of(content)
            chars += len(text)
            if roles[index] == "assistant" and content is not None:  # not a bare tool call
                path = (
                    _CONTENT_PATHS[index]
                    if index < len(_CONTENT_PATHS)
                    else f"messages[{index}].content"
                )
                outputs.append((path, text))
        return RecordSummary(roles, tuple(outputs), chars)

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
            elif role in ("system", "developer"):
                if turns:
                    losses.note("system message after the first turn moved into the system prompt")
                systems.append(text_of(content))
            elif content is not None or not message.get("tool_calls"):
                turns.append(Turn(role, text_of(content)))
        if len(systems) > 1:
            losses.note("several system messages merged into one")
        return Conversation("\n\n".join(systems) if systems else None, tuple(turns))

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """Every conversation is expressible; skipped only when there is no assistant turn."""
        if not any(turn.role == "assistant" for turn in conversation.turns):
            losses.note("record without an assistant turn skipped")
            return None
        return {"messages": role_messages(conversation.system, conversation.turns)}

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """``messages`` (the most general shape, so it registers after the others)."""
        return "messages" in value


#: Largest file the Files API takes (every OpenAI fine-tuning method uploads through it).
OPENAI_FILE_BYTES = 512 * 1024 * 1024


def openai_limits(method: str) -> PlatformLimits:
    """What OpenAI's supervised and preference fine-tuning both accept: at least ten
    examples, in one file the Files API takes."""
    return PlatformLimits(
        platform=f"OpenAI {method} fine-tuning", min_examples=10, max_file_bytes=OPENAI_FILE_BYTES
    )


ENTRY = FormatEntry(
    handler=OpenAIChat,
    title="OpenAI supervised chat fine-tuning (messages, tools, weights)",
    limits=openai_limits("supervised"),
    conversions=frozenset({"chat"}),
)
