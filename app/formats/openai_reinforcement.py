"""OpenAI reinforcement fine-tuning (RFT) for reasoning models: prompts plus reference fields.

Rules, from the fine-tuning reinforcement input reference
(``FineTuneReinforcementRequestInput``) and Azure OpenAI's RFT guide:

* ``messages`` holds the prompt only: no assistant answer (the model writes it while
  training and a grader scores it); the last message is from ``user``;
* ``messages`` and ``tools`` are the only reserved keys: every other top-level key is
  reference data a grader reads as ``{{ item.<key> }}`` (``reference_answer``, a label,
  a rubric ...). A record with no such key leaves string-check and similarity graders
  nothing to compare with, so it is warned about;
* the grader itself is configured on the job, not in the file (Gatehouse records it
  with the run, not here).

Where docs disagree: Azure's guide says system messages are not supported, while the
OpenAI reference accepts ``developer`` and ``system`` messages; Gatehouse accepts them
and warns. No minimum count is documented by OpenAI (Bedrock's RFT for open-weight
models, which takes the same layout, asks for 100 to 20,000 examples; that is not
OpenAI's rule and is not checked). Files go through the Files API (512 MB).
RFT data does not convert to the chat formats: it has no answers to convert.
"""

from __future__ import annotations

from typing import Any

from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import type_name
from app.formats.limits import PlatformLimits
from app.formats.openai_chat import OPENAI_FILE_BYTES, check_message, check_tools, text_of
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = ["ENTRY", "OpenAIReinforcement"]

_RESERVED = frozenset({"messages", "tools"})


class OpenAIReinforcement(JsonLinesFormat):
    """The ``openai_reinforcement`` format."""

    name = "openai_reinforcement"

    def __init__(self) -> None:
        self.reference_fields: set[str] = set()

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """A prompt without an answer, ending on a user turn, plus reference fields."""
        check_tools(value, line, log)
        messages = value.get("messages")
        if not isinstance(messages, list) or not messages:
            what = "an empty array" if messages == [] else type_name(messages)
            log.error(
                line,
                "messages",
                f"expected a non-empty array of messages; got {what}",
                "field.type",
            )
            return
        roles = [check_message(m, i, line, log) for i, m in enumerate(messages)]
        for index, role in enumerate(roles):
            if role == "assistant":
                log.error(
                    line,
                    f"messages[{index}].role",
                    "the prompt must not hold an assistant answer (the model writes it)",
                    "rft.answer",
                )
            elif role == "system":
                log.warning(
                    line,
                    f"messages[{index}].role",
                    "Azure OpenAI does not accept system messages in RFT data",
                    "rft.system",
                )
        if roles[-1] not in (None, "user"):
            log.error(
                line,
                f"messages[{len(roles) - 1}].role",
                "the last message must be from user",
                "rft.order",
            )
        references = [key for key in value if key not in _RESERVED]
        if not references:
            log.warning(
                line,
                "",
                "no reference field (e.g. reference_answer) for the graders to read",
                "rft.no_reference",
            )
        self.reference_fields.update(references)

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """The prompt's roles; no outputs (the model writes the answer)."""
        messages: list[dict[str, Any]] = value["messages"]
        chars = sum(len(text_of(m.get("content"))) for m in messages)
        return RecordSummary(tuple(m["role"] for m in messages), (), chars)

    def details(self) -> dict[str, object]:
        """The reference fields the records carry (what the graders can read)."""
        return {"reference_fields": sorted(self.reference_fields)}

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """``messages`` without an assistant turn, beside reference fields for graders."""
        messages = value.get("messages")
        return (
            isinstance(messages, list)
            and bool(set(value) - _RESERVED)
            and not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages)
        )


ENTRY = FormatEntry(
    handler=OpenAIReinforcement,
    title="OpenAI reinforcement fine-tuning (prompts and reference fields for graders)",
    limits=PlatformLimits(
        platform="OpenAI reinforcement fine-tuning", max_file_bytes=OPENAI_FILE_BYTES
    ),
)
