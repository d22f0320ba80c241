"""Convert a dataset file between formats, never silently losing anything.

Chat formats pass records through the neutral
:class:`~app.formats.conversation.Conversation`; preference formats (OpenAI DPO,
Gemini preference, TRL preference) through the neutral
:class:`~app.formats.conversation.PreferencePair`.
Every lossy step (a system prompt with nowhere to go, a tool message, a media part,
a flattened multi-turn record ...) is counted and listed in the
:class:`ConversionReport`. Invalid source records are skipped and counted, with
their line numbers in the report's errors, so a conversion cannot launder bad data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from app.formats.catalog import CHAT_FORMATS, PREFERENCE_FORMATS, entry
from app.formats.conversation import LossTally
from app.formats.errors import UnsupportedConversionError
from app.formats.issues import Issue, IssueLog
from app.formats.source import DEFAULT_MAX_LINE_BYTES, DatasetSource

__all__ = ["ConversionReport", "LossyStep", "convert_file"]


@dataclass(frozen=True)
class LossyStep:
    """One kind of information loss and how many times it happened."""

    step: str
    count: int


@dataclass(frozen=True)
class ConversionReport:
    """What a conversion did."""

    source_format: str
    target_format: str
    records_read: int
    records_written: int
    #: Source records skipped because they break the source format's rules.
    records_invalid: int
    #: Every lossy step with its count; empty means the conversion was lossless.
    lossy_steps: tuple[LossyStep, ...]
    #: The source problems that made records invalid (up to 1000).
    errors: tuple[Issue, ...]

    @property
    def lossless(self) -> bool:
        """True when nothing was dropped, merged or skipped."""
        return not self.lossy_steps

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {
            **self.__dict__,
            "lossy_steps": [step.__dict__ for step in self.lossy_steps],
            "errors": [issue.to_dict() for issue in self.errors],
            "lossless": self.lossless,
        }


def convert_file(
    src: Path, dst: Path, *, source_format: str, target_format: str
) -> ConversionReport:
    """Convert ``src`` (in ``source_format``) to ``dst`` (JSON Lines in ``target_format``).

    Both formats must share a way of converting: both chat formats, or both preference
    formats (``tabular`` and reinforcement data cannot be converted); ``dst`` is
    overwritten. Anthropic text output uses the prompt/completion JSON Lines form.
    """
    shared = entry(source_format).conversions & entry(target_format).conversions
    if not shared:
        raise UnsupportedConversionError(
            f"cannot convert {source_format!r} to {target_format!r}; chat formats "
            f"({', '.join(CHAT_FORMATS)}) convert among themselves, and so do preference "
            f"formats ({', '.join(PREFERENCE_FORMATS)})"
        )
    reader, writer = entry(source_format).handler(), entry(target_format).handler()
    through_pairs = "chat" not in shared
    log = IssueLog(limit=1000)
    losses = LossTally()
    read = written = invalid = check_errors = 0
    with DatasetSource(src) as source, dst.open("wb") as out:
        for record in reader.records(source, log, max_line_bytes=DEFAULT_MAX_LINE_BYTES):
            read += 1
            errors_before = log.error_count
            if reader.check(record, log) is None:
                invalid += 1
                check_errors += log.error_count - errors_before
                continue
            if through_pairs:
                pair = reader.to_pair(record, losses)  # type: ignore[attr-defined]
                converted = None if pair is None else writer.from_pair(pair, losses)  # type: ignore[attr-defined]
            else:
                conversation = reader.to_conversation(record, losses)  # type: ignore[attr-defined]
                converted = writer.from_conversation(conversation, losses)  # type: ignore[attr-defined]
            if converted is not None:
                out.write(orjson.dumps(converted) + b"\n")
                written += 1
    if invalid:
        losses.note("invalid source record skipped", invalid)
    # every other error is a line that could not be read as a record at all
    if log.error_count > check_errors:
        losses.note("unreadable source line skipped", log.error_count - check_errors)
    return ConversionReport(
        source_format=source_format,
        target_format=target_format,
        records_read=read,
        records_written=written,
        records_invalid=invalid,
        lossy_steps=tuple(LossyStep(step, count) for step, count in sorted(losses.counts.items())),
        errors=tuple(log.errors),
    )
