"""The fast path for ``openai_chat``: plain ``{"role", "content"}`` messages, typed.

Most supervised chat records are only that; msgspec decodes a block of them into these
structs (checking the roles and the string contents in C) many times faster than a
JSON parser builds dictionaries. Anything else (tool calls, weights, content parts,
tool messages, unknown keys) does not fit the structs and takes the ordinary check.
"""

from __future__ import annotations

from itertools import accumulate
from operator import sub
from typing import Annotated, Any, Literal

import msgspec

from app.formats.spec import Columns, RecordSummary

__all__ = ["OpenAIChatTyped"]


class _Message(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: Literal["system", "developer", "user", "assistant"]
    content: str


class _Record(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    messages: Annotated[list[_Message], msgspec.Meta(min_length=1)]


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
            [
                (_CONTENT_PATHS[i] if i < 32 else f"messages[{i}].content", m.content)
                for i, m in enumerate(messages)
                if m.role == "assistant"
            ]
        )
        return RecordSummary(roles, outputs, sum([len(m.content) for m in messages]))

    @staticmethod
    def columns(items: list[_Record]) -> Columns | None:
        """The block's summaries in columns, built by comprehensions (no call per record)."""
        messages = [m for record in items for m in record.messages]
        counts = [len(record.messages) for record in items]
        roles = [m.role for m in messages]
        owners = [i for i, n in enumerate(counts) for _ in range(n)]
        answered = [owners[i] for i, role in enumerate(roles) if role == "assistant"]
        if len(set(answered)) != len(items):
            return None  # a record without an assistant message: the ordinary check says so
        ends = list(accumulate(counts))
        first_of = [end - count for end, count in zip(ends, counts, strict=True)]
        lengths = [0, *accumulate([len(m.content) for m in messages])]
        chars = list(map(sub, map(lengths.__getitem__, ends), map(lengths.__getitem__, first_of)))
        fields = [
            _CONTENT_PATHS[i - first_of[owners[i]]]
            if i - first_of[owners[i]] < 32
            else f"messages[{i - first_of[owners[i]]}].content"
            for i, role in enumerate(roles)
            if role == "assistant"
        ]
        texts = [m.content for m in messages if m.role == "assistant"]
        return Columns(counts, roles, chars, answered, fields, texts)
