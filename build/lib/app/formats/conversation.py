"""The neutral conversation that conversions pass through, and the loss tally.

Every chat format maps to and from :class:`Conversation` (an optional system prompt
and user/assistant turns). Anything a format cannot express is counted in a
:class:`LossTally` under a readable step name, so a conversion is never silently lossy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

__all__ = ["Conversation", "LossTally", "PreferencePair", "Turn", "turns_to_last_reply"]

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
