"""Types of validation's inner loops in C (``_native.c``)."""

from typing import Any

def configure(
    *,
    ordinals: list[str],
    step_words: list[str],
    joiners: list[str],
    dangling_words: list[str],
    dangling_ends: list[str],
    openers: list[str],
) -> None:
    """Set the lower-case ASCII vocabulary the scanner reads markers and last lines with."""

def scan(texts: list[str]) -> tuple[list[int], list[int]]:
    """Each text's steps when it is a plain finished chain (else 0), and the others' indexes."""

def chat_columns(
    records: list[Any], answer_role: str
) -> tuple[dict[int, int], dict[str, int], list[int], list[int], list[int], list[str]] | None:
    """A block's messages per record, role counts, characters per record and answers."""
