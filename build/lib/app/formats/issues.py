"""Problems found in a dataset file, and the bounded log that collects them.

Validation never stops at the first problem: every error and warning is recorded
with its line number and JSON path until a limit is reached, after which the log
only counts (so a file with a million bad lines still costs constant memory).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Issue", "IssueLog"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem at one place in a dataset file."""

    #: 1-based physical line number in the file; ``None`` for whole-file problems.
    line: int | None
    #: JSON path (``messages[1].role``) or field/column name; ``""`` for the whole line.
    field: str
    #: A sentence a person understands, e.g. ``expected one of user, model; got "bot"``.
    message: str
    #: Stable machine-readable kind, e.g. ``json.invalid`` or ``openai.role``.
    code: str

    def __str__(self) -> str:
        where = "file" if self.line is None else f"line {self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-able form used by reports and the API."""
        return {"line": self.line, "field": self.field, "message": self.message, "code": self.code}


class IssueLog:
    """Collects errors and warnings up to ``limit`` each, then only counts them."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.error_count = 0
        self.warning_count = 0

    def error(self, line: int | None, field: str, message: str, code: str) -> None:
        """Record an error (the file is invalid for its platform)."""
        self.error_count += 1
        if len(self.errors) < self.limit:
            self.errors.append(Issue(line, field, message, code))

    def warning(self, line: int | None, field: str, message: str, code: str) -> None:
        """Record a warning (usable, but a person should look)."""
        self.warning_count += 1
        if len(self.warnings) < self.limit:
            self.warnings.append(Issue(line, field, message, code))

    @property
    def errors_truncated(self) -> bool:
        """True when more errors were found than kept."""
        return self.error_count > len(self.errors)

    @property
    def warnings_truncated(self) -> bool:
        """True when more warnings were found than kept."""
        return self.warning_count > len(self.warnings)
