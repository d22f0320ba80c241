"""OpenAI preference fine-tuning (DPO): ``input``, ``preferred_output``, ``non_preferred_output``.

Rules, from OpenAI's "Direct preference optimization" guide and the fine-tuning
preference input reference (``FineTunePreferenceRequestInput``):

* ``input``: an object with ``messages`` (the prompt: system/developer/user/assistant/
  tool messages, as in supervised chat data) and optional ``tools`` and
  ``parallel_tool_calls``; the prompt should end on a user turn;
* ``preferred_output`` and ``non_preferred_output``: arrays holding the assistant reply
  (one assistant message; text only: "DPO is currently only supported for text inputs
  and outputs"); the two must differ.

Third-party platforms that accept this layout (Together, Fireworks) state a minimum of
3 examples; OpenAI's guide states none for DPO, so the supervised minimum of 10 and
the Files API's 512 MB are checked. Converts to and from the other preference formats.
"""

from __future__ import annotations

from typing import Any

from app.formats.conversation import LossTally, PreferencePair, Turn, role_messages
from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import expected_one_of, has_type
from app.formats.openai_chat import check_message, check_tools, openai_limits, text_of
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = ["ENTRY", "OpenAIPreference"]

_OUTPUTS = ("preferred_output", "non_preferred_output")


def _check_output(value: object, field: str, line: int, log: IssueLog) -> str | None:
    """Check one output array; return its reply text when valid."""
    if not isinstance(value, list) or not value:
        log.error(line, field, "expected a non-empty array of assistant messages", "field.type")
        return None
    if len(value) != 1:
        log.error(line, field, f"expected one assistant message; got {len(value)}", "dpo.output")
    message = value[0]
    if not has_type(message, dict, line, f"{field}[0]", log):
        return None
    if message.get("role") != "assistant":
        log.error(
            line,
            f"{field}[0].role",
            expected_one_of(("assistant",), message.get("role")),
            "dpo.role",
        )
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        log.error(line, f"{field}[0].content", "expected a non-empty string", "dpo.content")
        return None
    return content


class OpenAIPreference(JsonLinesFormat):
    """The ``openai_preference`` format."""

    name = "openai_preference"

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """Prompt messages, the two replies, and that they differ."""
        prompt = value.get("input")
        roles: list[str | None] = []
        if not isinstance(prompt, dict):
            log.error(line, "input", "expected an object with messages", "field.type")
        else:
            check_tools(prompt, line, log)
            messages = prompt.get("messages")
            if not isinstance(messages, list) or not messages:
                log.error(line, "input.messages", "expected a non-empty array", "field.type")
            else:
                roles = [
                    check_message(m, i, line, log, prefix="input.") for i, m in enumerate(messages)
                ]
                if roles and roles[-1] not in (None, "user"):
                    log.warning(
                        line,
                        f"input.messages[{len(roles) - 1}].role",
                        "the prompt should end on a user turn",
                        "dpo.prompt_end",
                    )
        replies = [_check_output(value.get(field), field, line, log) for field in _OUTPUTS]
        if replies[0] is not None and replies[0] == replies[1]:
            log.error(line, "non_preferred_output", "both replies are identical", "dpo.same")

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """The prompt's roles, and the preferred reply as the output."""
        prompt_messages: list[dict[str, Any]] = value["input"]["messages"]
        replies: list[str] = [value[field][0]["content"] for field in _OUTPUTS]
        chars: int = sum(len(text_of(m.get("content"))) for m in prompt_messages)
        # only the preferred reply is what the model should learn to write: the other
        # may be deliberately poor, so its reasoning is not checked
        return RecordSummary(
            (*(m["role"] for m in prompt_messages), "assistant"),
            (("preferred_output[0].content", replies[0]),),
            chars + sum(len(r) for r in replies),
        )

    def to_pair(self, record: JsonRecord, losses: LossTally) -> PreferencePair:
        """System messages become the system prompt; tool traffic is counted as lost."""
        value: dict[str, Any] = record.value
        systems: list[str] = []
        turns: list[Turn] = []
        for message in value["input"]["messages"]:
            role, text = message["role"], text_of(message.get("content"))
            if role in ("system", "developer"):
                systems.append(text)
            elif role == "tool" or message.get("tool_calls"):
                losses.note("tool message dropped")
            else:
                turns.append(Turn(role, text))
        if value["input"].get("tools"):
            losses.note("tool definitions dropped")
        return PreferencePair(
            "\n\n".join(systems) if systems else None,
            tuple(turns),
            value["preferred_output"][0]["content"],
            value["non_preferred_output"][0]["content"],
        )

    def from_pair(self, pair: PreferencePair, losses: LossTally) -> object | None:
        """Lossless: every pair is expressible."""
        return {
            "input": {"messages": role_messages(pair.system, pair.turns)},
            "preferred_output": [{"role": "assistant", "content": pair.chosen}],
            "non_preferred_output": [{"role": "assistant", "content": pair.rejected}],
        }

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """A preferred or a non-preferred output."""
        return "preferred_output" in value or "non_preferred_output" in value


ENTRY = FormatEntry(
    handler=OpenAIPreference,
    title="OpenAI preference fine-tuning (DPO)",
    limits=openai_limits("preference"),
    conversions=frozenset({"preference"}),
)
