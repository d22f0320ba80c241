"""Google Gemini preference tuning on Vertex AI: ``contents`` plus a pair of ``completions``.

Rules, from Vertex AI's "Prepare preference tuning data for Gemini models":

* ``contents`` in the supervised layout, text only (no multimodal data), multi-turn
  allowed, ending with a ``user`` turn; optional ``system_instruction``
  (``systemInstruction`` is accepted too, as in supervised data);
* ``completions``: exactly two ``{"score": 0|1, "completion": {"role": "model",
  "parts": [...]}}``, one preferred (score 1) and one dispreferred (score 0).

Limits, from "About preference tuning for Gemini models": at most 131,072 input and
output tokens per example (the "prepare" page says the sum must be <= 128K, the same
figure), text only. The two versions of the "about" page disagree on size: the newer
says 1 GB and 10M examples, an older one 10 GB and 1M; the newer is checked. No
minimum is documented. Converts to and from the other preference formats.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from app.formats.conversation import LossTally, PreferencePair, Turn
from app.formats.entry import FormatEntry
from app.formats.gemini import check_alternating, check_content, texts_of
from app.formats.issues import IssueLog
from app.formats.jsontypes import has_type
from app.formats.limits import PlatformLimits
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = ["ENTRY", "GeminiPreference"]

_ROLE_OF = {"user": "user", "model": "assistant"}


def _system(value: dict[str, Any]) -> object:
    return value.get("system_instruction", value.get("systemInstruction"))


def _check_completions(completions: object, line: int, log: IssueLog) -> None:
    if not isinstance(completions, list) or len(completions) != 2:
        log.error(line, "completions", "expected exactly two completions", "gemini.completions")
        return
    scores = []
    for index, item in enumerate(completions):
        path = f"completions[{index}]"
        if not has_type(item, dict, line, path, log):
            continue
        score = item.get("score")
        if isinstance(score, bool) or score not in (0, 1):
            log.error(line, f"{path}.score", "expected 0 or 1", "gemini.score")
        scores.append(score)
        completion = item.get("completion")
        if check_content(completion, f"{path}.completion", line, log, text_only=True) == "user":
            log.error(
                line, f"{path}.completion.role", "a completion is a model turn", "gemini.role"
            )
    if sorted(s for s in scores if s in (0, 1)) != [0, 1]:
        log.error(
            line, "completions", "one completion must score 1 and the other 0", "gemini.score"
        )


def _text(content: dict[str, Any]) -> str:
    return "".join(texts_of(content["parts"]))


class GeminiPreference(JsonLinesFormat):
    """The ``gemini_preference`` format."""

    name = "gemini_preference"

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """Text-only contents ending on a user turn, and one preferred and one other reply."""
        system = _system(value)
        if system is not None and (
            not isinstance(system, dict) or not isinstance(system.get("parts"), list)
        ):
            log.error(line, "system_instruction", "expected {parts: [...]}", "gemini.system")
        contents = value.get("contents")
        if not isinstance(contents, list) or not contents:
            log.error(line, "contents", "expected a non-empty array", "field.type")
        else:
            check_alternating(contents, line, log, text_only=True)
            last = contents[-1]
            if isinstance(last, dict) and last.get("role") != "user":
                log.error(
                    line,
                    f"contents[{len(contents) - 1}].role",
                    "contents must end with a user turn",
                    "gemini.order",
                )
        _check_completions(value.get("completions"), line, log)

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """The turns, and the preferred completion as the output."""
        turns: list[dict[str, Any]] = value["contents"]
        completions: list[dict[str, Any]] = value["completions"]
        preferred = next(c for c in completions if c["score"] == 1)
        index = completions.index(preferred)
        chars: int = sum(len(_text(c)) for c in turns) + sum(
            len(_text(c["completion"])) for c in completions
        )
        roles = (*(c["role"] for c in turns), "model")
        return RecordSummary(
            roles,
            ((f"completions[{index}].completion.parts", _text(preferred["completion"])),),
            chars,
        )

    def to_pair(self, record: JsonRecord, losses: LossTally) -> PreferencePair:
        """Lossless for text (the only kind preference tuning takes)."""
        value: dict[str, Any] = record.value
        system = _system(value)
        turns = tuple(Turn(_ROLE_OF[c["role"]], _text(c)) for c in value["contents"])  # type: ignore[arg-type]
        by_score = {c["score"]: _text(c["completion"]) for c in value["completions"]}
        return PreferencePair(
            "\n\n".join(texts_of(system["parts"])) if isinstance(system, dict) else None,
            turns,
            by_score[1],
            by_score[0],
        )

    def from_pair(self, pair: PreferencePair, losses: LossTally) -> object | None:
        """Turns alternate and end on a user turn; other pairs are skipped and counted."""
        roles = [t.role for t in pair.turns]
        if not roles or roles[-1] != "user" or any(a == b for a, b in pairwise(roles)):
            losses.note("pair whose prompt does not alternate and end on a user turn skipped")
            return None
        record: dict[str, object] = {
            "contents": [
                {"role": "user" if t.role == "user" else "model", "parts": [{"text": t.text}]}
                for t in pair.turns
            ],
            "completions": [
                {"score": 1, "completion": {"role": "model", "parts": [{"text": pair.chosen}]}},
                {"score": 0, "completion": {"role": "model", "parts": [{"text": pair.rejected}]}},
            ],
        }
        if pair.system is not None:
            record = {"system_instruction": {"parts": [{"text": pair.system}]}, **record}
        return record

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """``contents`` with scored ``completions``."""
        return "contents" in value and "completions" in value


ENTRY = FormatEntry(
    handler=GeminiPreference,
    title="Google Gemini preference tuning on Vertex AI (contents + scored completions)",
    limits=PlatformLimits(
        platform="Vertex AI Gemini preference tuning",
        max_examples=10_000_000,
        max_example_tokens=131_072,
        max_file_bytes=1024 * 1024 * 1024,
    ),
    conversions=frozenset({"preference"}),
)
