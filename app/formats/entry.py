"""How a format module describes itself to the catalog (see :mod:`app.formats.catalog`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.formats.limits import PlatformLimits
from app.formats.spec import FormatSpec

__all__ = ["FormatEntry"]


@dataclass(frozen=True)
class FormatEntry:
    """Everything Gatehouse knows about one format.

    The handler class names the format and tells its records apart (``name``,
    ``claims``); the entry adds what the catalog needs around it.
    """

    #: The handler class: one fresh instance serves one pass over a file.
    handler: type[FormatSpec]
    #: Who trains on it and how, for people ("OpenAI supervised chat fine-tuning").
    title: str
    #: The platform's documented limits (``None`` when it documents none).
    limits: PlatformLimits | None = None
    #: How it converts: through the neutral conversation (``"chat"``) and/or the neutral
    #: preference pair (``"preference"``); empty when it does not convert.
    conversions: frozenset[str] = frozenset()
    #: Records hold free text the PII scan reads (everything but tabular data).
    text: bool = True

    @property
    def name(self) -> str:
        """The format's name, as its handler declares it."""
        return self.handler.name

    def claims(self, value: dict[str, Any]) -> bool:
        """True when a first JSON record's keys identify the format (detection order is
        registration order, so a more specific format registers before a general one)."""
        return self.handler.claims(value)
