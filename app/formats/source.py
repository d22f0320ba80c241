"""One streaming pass over a dataset file: bytes, sha256, progress, lines, JSON.

Every validator, scanner and converter reads through here, so they all share the
same constant-memory behaviour: the file is read as binary lines (each at most
``max_line_bytes``), hashed as it is read, decoded and parsed one line at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import orjson

from app.formats.errors import DatasetFileNotFoundError
from app.formats.issues import IssueLog

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "DatasetSource",
    "JsonRecord",
    "PhysicalLine",
    "iter_json_records",
    "iter_lines",
]

#: Longest line accepted (inline base64 images make Gemini lines long).
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
#: Progress is reported at most once per this many bytes, to keep the callback cheap.
_PROGRESS_STEP = 1024 * 1024
_CHUNK = 1024 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class DatasetSource:
    """A dataset file opened for one pass; hashes and counts every byte it hands out."""

    def __init__(self, path: Path, *, progress: Callable[[int], None] | None = None) -> None:
        if not path.is_file():
            raise DatasetFileNotFoundError(f"no such dataset file: {path}")
        self.path = path
        self._file: BinaryIO = path.open("rb")
        self._digest = hashlib.sha256()
        self._progress = progress
        self._unreported = 0
        self.size = 0

    def __enter__(self) -> DatasetSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file and flush the last progress report."""
        self._file.close()
        if self._progress and self._unreported:
            self._progress(self._unreported)
            self._unreported = 0

    def _account(self, data: bytes) -> bytes:
        self._digest.update(data)
        self.size += len(data)
        if self._progress:
            self._unreported += len(data)
            if self._unreported >= _PROGRESS_STEP:
                self._progress(self._unreported)
                self._unreported = 0
        return data

    def readline(self, limit: int) -> bytes:
        """Read one line of at most ``limit`` bytes (the newline included)."""
        return self._account(self._file.readline(limit))

    def read(self, size: int = -1) -> bytes:
        """Read raw bytes (binary formats such as Parquet)."""
        return self._account(self._file.read(size))

    def drain(self) -> None:
        """Read the rest of the file so the hash and size cover all of it."""
        while self.read(_CHUNK):
            pass

    @property
    def sha256(self) -> str:
        """Hex sha256 of every byte read so far (the whole file after :meth:`drain`)."""
        return self._digest.hexdigest()


@dataclass(frozen=True, slots=True)
class PhysicalLine:
    """One line of the file, without its line ending."""

    number: int
    data: bytes
    #: False for a last line with no newline at the end of the file.
    terminated: bool


def iter_lines(
    source: DatasetSource, log: IssueLog, *, max_line_bytes: int
) -> Iterator[PhysicalLine]:
    """Yield the file's lines; report BOMs and over-long lines instead of yielding them.

    A UTF-8 byte order mark is removed with a warning; a UTF-16 one stops the pass
    with an error (every line would be garbage). A line longer than ``max_line_bytes``
    is skipped in chunks, so memory stays bounded whatever the file holds.
    """
    number = 0
    while True:
        data = source.readline(max_line_bytes + 1)
        if not data:
            return
        number += 1
        if number == 1:
            if data.startswith(_UTF16_BOMS):
                log.error(None, "", "file is UTF-16 encoded; expected UTF-8", "encoding.utf16")
                source.drain()
                return
            if data.startswith(_UTF8_BOM):
                log.warning(1, "", "UTF-8 byte order mark removed", "encoding.bom")
                data = data[len(_UTF8_BOM) :]
        terminated = data.endswith(b"\n")
        if not terminated and len(data) > max_line_bytes:
            while data and not data.endswith(b"\n"):
                data = source.readline(_CHUNK)
            log.error(
                number, "", f"line longer than the limit of {max_line_bytes} bytes", "line.too_long"
            )
            continue
        if terminated:
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
        yield PhysicalLine(number, data, terminated)


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One parsed JSON Lines record."""

    line: int
    value: object
    #: The line's bytes, used for exact-duplicate detection.
    raw: bytes


def _describe_bad_line(data: bytes, error: orjson.JSONDecodeError) -> tuple[str, str]:
    """Turn a parser failure into (code, human reason)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return "encoding.utf8", f"invalid UTF-8 at byte {bad.start + 1} of the line"
    return "json.invalid", f"invalid JSON at column {error.pos + 1}: {error.msg}"


def iter_json_records(
    source: DatasetSource, log: IssueLog, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[JsonRecord]:
    """Yield each parseable JSON line; log blank, undecodable and truncated lines."""
    for line in iter_lines(source, log, max_line_bytes=max_line_bytes):
        data = line.data
        if not data.strip():
            if line.terminated:
                log.warning(line.number, "", "blank line skipped", "line.blank")
            continue
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            code, reason = _describe_bad_line(data, error)
            if not line.terminated and code == "json.invalid":
                code = "line.truncated"
                reason = f"last line is truncated (no newline at end of file): {reason}"
            log.error(line.number, "", reason, code)
            continue
        yield JsonRecord(line.number, value, data)
