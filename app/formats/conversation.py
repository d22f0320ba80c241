"""The neutral conversation that conversions pass through, and the loss tally.

Every chat format maps to and from :class:`Conversation` (an optional system prompt
and user/assistant turns). Anything a format cannot express is counted in a
:class:`LossTally` under a readable step name, so a conversion is never silently lossy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Conversation",
    "LossTally",
    "PreferencePair",
    "Turn",
    "merge_speaker_turns",
    "role_messages",
    "turns_to_last_reply",
]

Speaker = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a conversation."""

    role: Speaker
    text: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """A system prompt (or ``None``) and the turns in order."""

    system: str | None
    turns: tuple[Turn, ...]


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """The neutral preference example: a context ending on a user turn, two replies."""

    system: str | None
    #: The conversation before the replies (ends with a user turn).
    turns: tuple[Turn, ...]
    chosen: str
    rejected: str


class LossTally:
    """Counts each kind of lossy step taken while converting records."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def note(self, step: str, count: int = 1) -> None:
        """Record that ``step`` (a sentence such as "tool message dropped") happened."""
        self.counts[step] += count


def turns_to_last_reply(conversation: Conversation, losses: LossTally) -> list[Turn] | None:
    """The turns up to the last assistant turn, for formats that end on a reply.

    Counts the turns dropped after it; ``None`` (counted as a skipped record) when the
    conversation has no assistant turn at all.
    """
    turns = list(conversation.turns)
    last_reply = max((i for i, turn in enumerate(turns) if turn.role == "assistant"), default=None)
    if last_reply is None:
        losses.note("record without an assistant turn skipped")
        return None
    if last_reply < len(turns) - 1:
        losses.note("turns after the last assistant turn dropped")
    return turns[: last_reply + 1]


def merge_speaker_turns(
    turns: list[Turn], losses: LossTally, *, drop_empty: bool = False
) -> list[Turn]:
    """The turns with consecutive turns of one speaker joined (by a blank line), for formats
    that require the speakers to alternate; with ``drop_empty``, blank turns are dropped
    first. Each merge and drop is counted."""
    merged: list[Turn] = []
    for turn in turns:
        if drop_empty and not turn.text.strip():
            losses.note("empty turn dropped")
        elif merged and merged[-1].role == turn.role:
            losses.note("consecutive turns of one speaker merged")
            merged[-1] = Turn(turn.role, f"{merged[-1].text}\n\n{turn.text}")
        else:
            merged.append(turn)
    return merged


def role_messages(system: str | None, turns: tuple[Turn, ...]) -> list[dict[str, str]]:
    """``{"role", "content"}`` messages: the system prompt (when there is one), then the turns.

    The message list OpenAI's and TRL's conversational records share.
    """
    messages = [{"role": "system", "content": system}] if system is not None else []
    return messages + [{"role": turn.role, "content": turn.text} for turn in turns]
