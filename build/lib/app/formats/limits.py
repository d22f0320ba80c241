"""Per-platform dataset limits, checked after validation's pass over a file.

Each format's module cites where its figures come from. Lengths are documented in
tokens; no tokenizer of these models ships offline in a registry package (the
published tokenizers download their vocabularies at run time), so a record's length
is *estimated* as ``ceil(characters / 4)`` tokens and every message says so. A
limit the platform does not document is ``None`` and is not checked: an unknown is
never turned into a passing default.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.formats.issues import IssueLog

__all__ = ["MIME_TYPE_OF_SUFFIX", "LimitsCollector", "PlatformLimits"]

#: The media type a file's name implies (what an upload is served as).
MIME_TYPE_OF_SUFFIX = {
    ".jsonl": "application/jsonl",
    ".json": "application/json",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".pq": "application/vnd.apache.parquet",
}


@dataclass(frozen=True)
class PlatformLimits:
    """What one platform accepts for one training method."""

    platform: str
    min_examples: int | None = None
    max_examples: int | None = None
    #: Longest example in tokens (input and output together).
    max_example_tokens: int | None = None
    max_file_bytes: int | None = None
    #: Media types of files the platform accepts.
    mime_types: tuple[str, ...] = ("application/jsonl",)

    def to_dict(self) -> dict[str, object]:
        """JSON-able form, with how lengths are measured."""
        return {**self.__dict__, "mime_types": list(self.mime_types), "lengths": "estimated"}


class LimitsCollector:
    """Checks record lengths as they pass, and the counts and size at the end."""

    def __init__(self, limits: PlatformLimits | None, *, chars_per_token: int) -> None:
        self.limits = limits
        self.chars_per_token = chars_per_token
        self.too_long = 0
        max_tokens = limits.max_example_tokens if limits else None
        self.max_chars = max_tokens * chars_per_token if max_tokens else None

    def check_length(self, line: int, text_chars: int, log: IssueLog) -> None:
        """Warn when a valid record's estimated length exceeds the platform's limit."""
        if self.max_chars is None or text_chars <= self.max_chars:
            return
        self.too_long += 1
        assert self.limits is not None and self.limits.max_example_tokens is not None
        estimate = -(-text_chars // self.chars_per_token)
        log.warning(
            line,
            "",
            f"about {estimate:,} tokens (estimated from {text_chars:,} characters) exceeds "
            f"{self.limits.platform}'s limit of {self.limits.max_example_tokens:,} tokens",
            "limits.example_length",
        )

    def check_lengths(self, first: int, text_chars: list[int], log: IssueLog) -> None:
        """:meth:`check_length` for consecutive valid records from line ``first``."""
        if self.max_chars is None or not text_chars or max(text_chars) <= self.max_chars:
            return
        for offset, chars in enumerate(text_chars):
            self.check_length(first + offset, chars, log)

    def finish(self, *, valid_records: int, size_bytes: int, suffix: str, log: IssueLog) -> None:
        """Check the example count, the file size and the media type against the limits."""
        limits = self.limits
        if limits is None:
            return
        name = limits.platform
        if limits.min_examples is not None and valid_records < limits.min_examples:
            log.warning(
                None,
                "",
                f"{valid_records} valid examples; {name} needs at least {limits.min_examples}",
                "limits.min_examples",
            )
        if limits.max_examples is not None and valid_records > limits.max_examples:
            log.warning(
                None,
                "",
                f"{valid_records} valid examples; {name} accepts at most {limits.max_examples}",
                "limits.max_examples",
            )
        if limits.max_file_bytes is not None and size_bytes > limits.max_file_bytes:
            log.warning(
                None,
                "",
                f"file is {size_bytes:,} bytes; {name} accepts at most {limits.max_file_bytes:,}",
                "limits.file_size",
            )
        mime = MIME_TYPE_OF_SUFFIX.get(suffix.lower())
        if mime not in limits.mime_types:
            log.warning(
                None,
                "",
                f"a {suffix or 'suffix-less'} file is served as {mime or 'an unknown type'}; "
                f"{name} accepts {', '.join(limits.mime_types)}",
                "limits.mime_type",
            )

    def result(self) -> dict[str, object] | None:
        """The limits checked and how many records exceeded the length limit."""
        if self.limits is None:
            return None
        return {**self.limits.to_dict(), "examples_over_length": self.too_long}
