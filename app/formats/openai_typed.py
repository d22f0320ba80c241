"""The fast path for ``openai_chat``: plain ``{"role", "content"}`` messages, typed.

Most supervised chat records are only that; msgspec decodes a block of them into these
structs (checking the roles and the string contents in C) many times faster than a
JSON parser builds dictionaries. Anything else (tool calls, weights, content parts,
tool messages, unknown keys) does not fit the structs and takes the ordinary check.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from app.formats.native import native
from app.formats.spec import Columns, RecordSummary

__all__ = ["OpenAIChatTyped"]


class _Message(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: Literal["system", "developer", "user", "assistant"]
    content: str


class _Record(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    # a tuple: msgspec builds it in one allocation, a list grows (and costs a third more)
    messages: Annotated[tuple[_Message, ...], msgspec.Meta(min_length=1)]


# Paths of the first messages' contents, formatted once.
_CONTENT_PATHS = tuple(f"messages[{i}].content" for i in range(32))


class OpenAIChatTyped:
    """Typed decoding and summaries of plain chat records."""

    def __init__(self) -> None:
        self._many = msgspec.json.Decoder(list[_Record])
        self._one = msgspec.json.Decoder(_Record)

    def decode_many(self, data: bytes) -> list[Any]:
        """Decode a JSON array of records."""
        return self._many.decode(data)

    def decode_one(self, data: bytes) -> Any:
        """Decode one record."""
        return self._one.decode(data)

    @staticmethod
    def summarize(item: _Record) -> RecordSummary | None:
        """Roles, assistant contents and text size; ``None`` without an assistant message."""
        messages = item.messages
        roles = tuple([m.role for m in messages])
        if "assistant" not in roles:
            return None
        outputs = tuple(
            [(_content_path(i), m.content) for i, m in enumerate(messages) if m.role == "assistant"]
        )
        return RecordSummary(roles, outputs, sum([len(m.content) for m in messages]))

    @staticmethod
    def columns(items: list[_Record]) -> Columns | None:
        """The block's summaries in columns, gathered in C in one pass over the messages.

        ``None`` when a record has no assistant message (the ordinary check says why), and
        where the C extension is not built (each record is then summarized on its own).
        """
        if native is None:
            return None
        found = native.chat_columns(items, "assistant")
        if found is None:
            return None
        message_counts, role_counts, chars, records, positions, texts = found
        return Columns(message_counts, role_counts, chars, records, positions, texts, _content_path)


def _content_path(position: int) -> str:
    """The JSON path of the content of the message at ``position``."""
    return (
        _CONTENT_PATHS[position]
        if position < len(_CONTENT_PATHS)
        else f"messages[{position}].content"
    )
