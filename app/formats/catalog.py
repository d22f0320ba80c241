"""The one registration point for dataset formats: name, handler, detection, limits.

Each format module describes itself in a :class:`FormatEntry` (its ``ENTRY``); this
module registers the built-in ones in the order detection tries them (most specific
first), and :func:`register` adds any other (a test registers a fixture format this
way). Validation, scanning, conversion, detection, the CLI and the API all read the
formats from here, so a new format touches its own module and one line below.
"""

from __future__ import annotations

from app.formats import (
    anthropic_bedrock,
    anthropic_text,
    gemini,
    gemini_preference,
    llama_io,
    openai_chat,
    openai_preference,
    openai_reinforcement,
    tabular,
    trl,
)
from app.formats.entry import FormatEntry
from app.formats.errors import UnknownFormatError
from app.formats.spec import ChatFormat, FormatSpec, PreferenceFormat
from app.upload_limits import TabularLimits

__all__ = [
    "CHAT_FORMATS",
    "FORMATS",
    "PREFERENCE_FORMATS",
    "TEXT_FORMATS",
    "FormatEntry",
    "chat_format",
    "entries",
    "entry",
    "format_spec",
    "preference_format",
    "register",
]


_REGISTRY: dict[str, FormatEntry] = {}


def register(format_entry: FormatEntry) -> None:
    """Add a format (its name must be new)."""
    if format_entry.name in _REGISTRY:
        raise ValueError(f"format {format_entry.name!r} is already registered")
    _REGISTRY[format_entry.name] = format_entry


for _module in (
    openai_preference,
    gemini_preference,
    gemini,
    anthropic_bedrock,
    openai_reinforcement,
    trl,
    anthropic_text,
    openai_chat,
    llama_io,
    tabular,
):
    register(_module.ENTRY)


def entries() -> tuple[FormatEntry, ...]:
    """Every registered format, in detection order."""
    return tuple(_REGISTRY.values())


def entry(name: str) -> FormatEntry:
    """The entry of ``name`` (raises :class:`UnknownFormatError` for an unknown name)."""
    if name not in _REGISTRY:
        raise UnknownFormatError(
            f"unknown format {name!r}; expected one of {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def _names(kind: str | None = None, *, text: bool | None = None) -> tuple[str, ...]:
    return tuple(
        sorted(
            e.name
            for e in _REGISTRY.values()
            if (kind is None or kind in e.conversions) and (text is None or e.text == text)
        )
    )


#: Every built-in format name.
FORMATS: tuple[str, ...] = _names()
#: Formats that convert to and from each other through the neutral conversation.
CHAT_FORMATS: tuple[str, ...] = _names("chat")
#: Preference formats that convert to and from each other through the neutral pair.
PREFERENCE_FORMATS: tuple[str, ...] = _names("preference")
#: Formats whose records hold free text (the PII scan reads them).
TEXT_FORMATS: tuple[str, ...] = _names(text=True)


def format_spec(name: str, *, tabular_limits: TabularLimits | None = None) -> FormatSpec:
    """A fresh handler for one pass over a file in format ``name``; a table is read within
    ``tabular_limits`` (the defaults when None)."""
    handler = entry(name).handler
    return tabular.Tabular(tabular_limits) if handler is tabular.Tabular else handler()


def chat_format(name: str) -> ChatFormat:
    """A fresh handler for a conversational format (raises for any other)."""
    if "chat" not in entry(name).conversions:
        raise UnknownFormatError(
            f"{name!r} is not a chat format; expected one of {', '.join(CHAT_FORMATS)}"
        )
    return entry(name).handler()  # type: ignore[return-value]


def preference_format(name: str) -> PreferenceFormat:
    """A fresh handler for a preference format (raises for any other)."""
    if "preference" not in entry(name).conversions:
        raise UnknownFormatError(
            f"{name!r} is not a preference format; expected one of {', '.join(PREFERENCE_FORMATS)}"
        )
    return entry(name).handler()  # type: ignore[return-value]
