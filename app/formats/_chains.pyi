"""Types of the C scanner of plain finished reasoning chains (``_chains.c``)."""

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
