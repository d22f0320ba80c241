"""Anthropic legacy text format, in its two written forms.

* **JSON Lines** ``{"prompt": "\\n\\nHuman: ...\\n\\nAssistant:", "completion": " ..."}``:
  the prompt holds alternating turns (any text before the first ``\\n\\nHuman:`` is the
  system prompt, as in Claude 2's prompt convention) and ends with ``\\n\\nAssistant:``;
  the completion is the reply, conventionally starting with a space.
* **Plain text**: turns start on lines beginning ``Human:`` or ``Assistant:`` and run
  until the next turn; records are separated by a line holding only ``---``. Each
  record starts with Human, alternates, and ends with Assistant.

Both forms are the format ``anthropic_text``; the report's details name the variant.
Conversion writes the JSON Lines form. No platform documents limits for this legacy
form today (Claude fine-tuning on Bedrock takes :mod:`app.formats.anthropic_bedrock`),
so none is checked. Detection: a plain-text file starting with ``Human:``, or a
``prompt`` string holding ``Human:`` with a ``completion``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
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
from app.formats.jsontypes import has_type, record_object
from app.formats.source import DatasetSource, JsonRecord, decode_line, iter_json_records, iter_lines
from app.formats.spec import RecordSummary

__all__ = ["ENTRY", "RECORD_SEPARATOR", "AnthropicText", "TextRecord", "TextTurn"]

RECORD_SEPARATOR = "---"
_HUMAN, _ASSISTANT = "Human", "Assistant"
_TURN_LINE = re.compile(r"^(Human|Assistant):[ ]?(.*)$", re.DOTALL)
_PROMPT_TURN = re.compile(r"\n\n(Human|Assistant):")
_SPEAKER_OF = {"user": _HUMAN, "assistant": _ASSISTANT}
_ROLE_OF = {_HUMAN: "user", _ASSISTANT: "assistant"}


@dataclass(frozen=True, slots=True)
class TextTurn:
    """A turn of the plain-text form, with the line it starts on."""

    speaker: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class TextRecord:
    """A record of the plain-text form."""

    turns: tuple[TextTurn, ...]
    #: Line of text found before the first turn marker, if any.
    stray_line: int | None


def _drop_one_space(text: str) -> str:
    return text[1:] if text.startswith(" ") else text


def _split_prompt(prompt: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a prompt into its preamble (system text) and (speaker, text) turns."""
    pieces = _PROMPT_TURN.split(prompt)
    turns = [(pieces[i], _drop_one_space(pieces[i + 1])) for i in range(1, len(pieces), 2)]
    return pieces[0], turns


def _check_order(speakers: list[str]) -> list[tuple[int, str, str]]:
    """(turn index, code, reason) for every ordering rule the speakers break."""
    problems: list[tuple[int, str, str]] = []
    if speakers and speakers[0] != _HUMAN:
        problems.append(
            (0, "anthropic.order", f"record must start with Human:; got {speakers[0]}:")
        )
    for index in range(1, len(speakers)):
        if speakers[index] == speakers[index - 1]:
            wanted = _ASSISTANT if speakers[index] == _HUMAN else _HUMAN
            problems.append(
                (
                    index,
                    "anthropic.alternation",
                    f"expected {wanted}: after {speakers[index - 1]}:; got {speakers[index]}:",
                )
            )
    return problems


class AnthropicText:
    """The ``anthropic_text`` format (JSON Lines or plain-text form)."""

    name = "anthropic_text"

    def __init__(self) -> None:
        self.variant = "jsonl"

    def records(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        """JSON Lines records, or plain-text records when the file does not start with ``{``."""
        with source.path.open("rb") as peek:
            start = peek.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
        if start and not start.startswith(b"{"):
            self.variant = "text"
            return self._text_records(source, log, max_line_bytes=max_line_bytes)
        return iter_json_records(source, log, max_line_bytes=max_line_bytes)

    def _text_records(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        turns: list[tuple[str, list[str], int]] = []  # (speaker, text lines, line number)
        stray: int | None = None
        start = 0
        size = 0
        raw: list[bytes] = []

        def finish() -> JsonRecord | None:
            if not turns and stray is None:
                return None
            record = TextRecord(
                tuple(
                    TextTurn(speaker, "\n".join(lines).rstrip("\n"), number)
                    for speaker, lines, number in turns
                ),
                stray,
            )
            return JsonRecord(start, record, b"\n".join(raw))

        for line in iter_lines(source, log, max_line_bytes=max_line_bytes):
            text = decode_line(line, log)
            if text.strip() == RECORD_SEPARATOR:
                record = finish()
                if record:
                    yield record
                turns, stray, raw, size = [], None, [], 0
                continue
            size += len(line.data)
            if size > max_line_bytes:
                if turns or stray is not None:
                    log.error(
                        start,
                        "",
                        f"record longer than the limit of {max_line_bytes} bytes",
                        "line.too_long",
                    )
                turns, stray, raw = [], None, []
                continue
            if not turns and stray is None:
                if not text.strip():
                    continue
                start = line.number
            raw.append(line.data)
            marker = _TURN_LINE.match(text)
            if marker:
                turns.append((marker.group(1), [marker.group(2)], line.number))
            elif turns:
                turns[-1][1].append(text)
            elif stray is None and text.strip():
                stray = line.number
        record = finish()
        if record:
            yield record

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        """Turn order and non-empty turns, in either form."""
        errors_before = log.error_count
        if isinstance(record.value, TextRecord):
            self._check_text(record.value, record.line, log)
        else:
            self._check_json(record, log)
        return self._summarize(record) if log.error_count == errors_before else None

    @staticmethod
    def _check_text(value: TextRecord, line: int, log: IssueLog) -> None:
        if value.stray_line is not None:
            log.error(
                value.stray_line, "", "text before the first Human: turn", "anthropic.preamble"
            )
        if not value.turns:
            log.error(line, "", "record has no Human:/Assistant: turns", "anthropic.no_turns")
            return
        turns = value.turns
        for index, code, reason in _check_order([turn.speaker for turn in turns]):
            log.error(turns[index].line, f"turns[{index}]", reason, code)
        if turns[-1].speaker != _ASSISTANT:
            log.error(
                turns[-1].line,
                f"turns[{len(turns) - 1}]",
                "record must end with an Assistant: turn",
                "anthropic.order",
            )
        for index, turn in enumerate(turns):
            if not turn.text.strip():
                log.error(turn.line, f"turns[{index}]", "turn is empty", "anthropic.empty_turn")

    @staticmethod
    def _check_json(record: JsonRecord, log: IssueLog) -> None:
        line, value = record.line, record_object(record, log)
        if value is None:
            return
        for field in ("prompt", "completion"):
            if field not in value:
                log.error(line, field, "required field is missing", "field.missing")
            else:
                has_type(value[field], str, line, field, log)
        prompt, completion = value.get("prompt"), value.get("completion")
        if isinstance(prompt, str):
            _, turns = _split_prompt(prompt)
            if not turns:
                log.error(
                    line, "prompt", 'must contain "\\n\\nHuman:" turns', "anthropic.prompt_turns"
                )
            elif turns[-1][0] != _ASSISTANT or turns[-1][1].strip():
                log.error(
                    line, "prompt", 'must end with "\\n\\nAssistant:"', "anthropic.prompt_end"
                )
            for index, code, reason in _check_order([speaker for speaker, _ in turns]):
                log.error(line, "prompt", f"turn {index + 1}: {reason}", code)
            for index, (_, text) in enumerate(turns[:-1]):
                if not text.strip():
                    log.error(
                        line, "prompt", f"turn {index + 1}: turn is empty", "anthropic.empty_turn"
                    )
        if isinstance(completion, str):
            if not completion.strip():
                log.error(line, "completion", "completion is empty", "anthropic.empty_turn")
            elif not completion.startswith(" "):
                log.warning(
                    line,
                    "completion",
                    "completion should start with a space",
                    "anthropic.completion_space",
                )

    @staticmethod
    def _summarize(record: JsonRecord) -> RecordSummary:
        """Speakers, the final reply, and the text size."""
        if isinstance(record.value, TextRecord):
            turns = record.value.turns
            return RecordSummary(
                tuple(turn.speaker for turn in turns),
                ((f"turns[{len(turns) - 1}]", turns[-1].text),),
                sum(len(turn.text) for turn in turns),
            )
        value: dict[str, str] = record.value
        _, prompt_turns = _split_prompt(value["prompt"])
        return RecordSummary(
            tuple(speaker for speaker, _ in prompt_turns),
            (("completion", value["completion"]),),
            len(value["prompt"]) + len(value["completion"]),
        )

    def details(self) -> dict[str, object]:
        """Which written form the file uses."""
        return {"variant": self.variant}

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """Lossless: the prompt preamble is the system prompt, turns map one to one."""
        if isinstance(record.value, TextRecord):
            turns = tuple(Turn(_ROLE_OF[t.speaker], t.text) for t in record.value.turns)  # type: ignore[arg-type]
            return Conversation(None, turns)
        value: dict[str, str] = record.value
        preamble, prompt_turns = _split_prompt(value["prompt"])
        turns = tuple(Turn(_ROLE_OF[s], text) for s, text in prompt_turns[:-1])  # type: ignore[arg-type]
        reply = Turn("assistant", _drop_one_space(value["completion"]))
        return Conversation(preamble or None, (*turns, reply))

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """Prompt up to the last assistant turn, which becomes the completion."""
        turns = turns_to_last_reply(conversation, losses)
        if turns is None:
            return None
        merged = merge_speaker_turns(turns, losses)
        if merged[0].role != "user":
            losses.note("empty Human turn inserted before a leading assistant turn")
            merged.insert(0, Turn("user", ""))
        if any(_PROMPT_TURN.search(turn.text) for turn in merged):
            losses.note("turn text contains a Human:/Assistant: marker (ambiguous when read back)")
        body = "".join(f"\n\n{_SPEAKER_OF[turn.role]}: {turn.text}" for turn in merged[:-1])
        return {
            "prompt": f"{conversation.system or ''}{body}\n\nAssistant:",
            "completion": f" {merged[-1].text}",
        }

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """A ``prompt`` in Human:/Assistant: form with its ``completion``."""
        prompt = value.get("prompt")
        return isinstance(prompt, str) and "completion" in value and "Human:" in prompt


ENTRY = FormatEntry(
    handler=AnthropicText,
    title="Anthropic text completions (Human:/Assistant:), JSON Lines or plain text",
    conversions=frozenset({"chat"}),
)
