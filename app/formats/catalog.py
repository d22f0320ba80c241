"""The format names Gatehouse knows and the module that handles each."""

from __future__ import annotations

from collections.abc import Callable

from app.formats.anthropic_text import AnthropicText
from app.formats.errors import UnknownFormatError
from app.formats.gemini import Gemini
from app.formats.llama_io import LlamaIO
from app.formats.openai_chat import OpenAIChat
from app.formats.spec import ChatFormat, FormatSpec
from app.formats.tabular import Tabular

__all__ = ["CHAT_FORMATS", "FORMATS", "chat_format", "format_spec"]

_CHAT: dict[str, Callable[[], ChatFormat]] = {
    "openai_chat": OpenAIChat,
    "anthropic_text": AnthropicText,
    "llama_io": LlamaIO,
    "gemini_multimodal": Gemini,
}
#: Every format name, in the order the docs list them.
FORMATS: tuple[str, ...] = (*_CHAT, "tabular")
#: Formats that convert to and from each other (Gemini through its text-only subset).
CHAT_FORMATS: tuple[str, ...] = tuple(_CHAT)


def format_spec(name: str) -> FormatSpec:
    """A fresh handler for one pass over a file in format ``name``."""
    if name == "tabular":
        return Tabular()
    return chat_format(name)


def chat_format(name: str) -> ChatFormat:
    """A fresh handler for a conversational format (raises for ``tabular`` and unknown names)."""
    if name not in _CHAT:
        raise UnknownFormatError(
            f"unknown chat format {name!r}; expected one of {', '.join(CHAT_FORMATS)}"
        )
    return _CHAT[name]()
