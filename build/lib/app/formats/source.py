"""One streaming pass over a dataset file: bytes, sha256, progress, lines, JSON.

Every validator, scanner and converter reads through here, so they all share the
same constant-memory behaviour: the file is read in binary blocks (hashed as they
are read), split into lines of at most ``max_line_bytes``, and each line is decoded
and parsed on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, NamedTuple

import orjson

from app.formats.errors import DatasetFileNotFoundError
from app.formats.issues import IssueLog

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "DatasetSource",
    "JsonRecord",
    "LineBlock",
    "PhysicalLine",
    "decode_line",
    "iter_json_records",
    "iter_line_blocks",
    "iter_lines",
    "parse_line",
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

    def read(self, size: int = -1) -> bytes:
        """Read the next ``size`` bytes (all of the rest when negative)."""
        return self._account(self._file.read(size))

    def drain(self) -> None:
        """Read the rest of the file so the hash and size cover all of it."""
        while self.read(_CHUNK):
            pass

    @property
    def sha256(self) -> str:
        """Hex sha256 of every byte read so far (the whole file after :meth:`drain`)."""
        return self._digest.hexdigest()


class PhysicalLine(NamedTuple):
    """One line of the file, without its line ending."""

    number: int
    data: bytes
    #: False for a last line with no newline at the end of the file.
    terminated: bool


def _strip_cr(data: bytes) -> bytes:
    return data[:-1] if data.endswith(b"\r") else data


class LineBlock(NamedTuple):
    """Consecutive lines of the file, without their line endings (and without ``\r``)."""

    #: Number of the first line.
    first: int
    lines: list[bytes]
    #: False when the last line is the file's last and has no newline.
    terminated: bool


def iter_line_blocks(
    source: DatasetSource, log: IssueLog, *, max_line_bytes: int
) -> Iterator[LineBlock]:
    """Yield the file's lines in blocks; report BOMs and over-long lines instead of yielding them.

    The file is read in blocks of 1 MiB (hashed once per block) and split into lines,
    handed out a block at a time so a fast reader can decode many lines in one call.
    A UTF-8 byte order mark is removed with a warning; a UTF-16 one stops the pass
    with an error (every line would be garbage). A line longer than ``max_line_bytes``
    is dropped as it streams past (the block is split around it), so memory stays
    bounded whatever the file holds.
    """
    number = 0
    pending: list[bytes] = []  # start of a line continued in the next block
    pending_size = 0
    skipping = False  # inside an over-long line, already reported
    first = True
    while block := source.read(_CHUNK):
        if first:
            first = False
            if block.startswith(_UTF16_BOMS):
                log.error(None, "", "file is UTF-16 encoded; expected UTF-8", "encoding.utf16")
                source.drain()
                return
            if block.startswith(_UTF8_BOM):
                log.warning(1, "", "UTF-8 byte order mark removed", "encoding.bom")
                block = block[len(_UTF8_BOM) :]
        pieces = block.split(b"\n")
        tail = pieces.pop()
        if pieces:
            ends_long_line = skipping  # the first piece is the end of an over-long line
            skipping = False
            if pending and not ends_long_line:
                pieces[0] = b"".join((*pending, pieces[0]))
            pending, pending_size = [], 0
            if b"\r" in block:
                pieces = [p[:-1] if p.endswith(b"\r") else p for p in pieces]
            yield from _split_out_long(
                number + 1, pieces, log, max_line_bytes=max_line_bytes, skip_first=ends_long_line
            )
            number += len(pieces)
        if skipping:
            continue
        pending.append(tail)
        pending_size += len(tail)
        if pending_size > max_line_bytes:
            log.error(
                number + 1,
                "",
                f"line longer than the limit of {max_line_bytes} bytes",
                "line.too_long",
            )
            pending, pending_size, skipping = [], 0, True
    if pending_size and not skipping:
        yield LineBlock(number + 1, [_strip_cr(b"".join(pending))], False)


def _split_out_long(
    first: int, pieces: list[bytes], log: IssueLog, *, max_line_bytes: int, skip_first: bool
) -> Iterator[LineBlock]:
    """Blocks of the lines in ``pieces`` without the over-long ones (nor the first if asked)."""
    if max_line_bytes >= _CHUNK and not skip_first and len(pieces[0]) <= max_line_bytes:
        yield LineBlock(first, pieces, True)  # no other line of a 1 MiB block can be too long
        return
    start = 0
    for index, piece in enumerate(pieces):
        skipped = index == 0 and skip_first
        if skipped or len(piece) > max_line_bytes:
            if not skipped:
                log.error(
                    first + index,
                    "",
                    f"line longer than the limit of {max_line_bytes} bytes",
                    "line.too_long",
                )
            if index > start:
                yield LineBlock(first + start, pieces[start:index], True)
            start = index + 1
    if start < len(pieces):
        yield LineBlock(first + start, pieces[start:], True)


def iter_lines(
    source: DatasetSource, log: IssueLog, *, max_line_bytes: int
) -> Iterator[PhysicalLine]:
    """Yield the file's lines one by one (see :func:`iter_line_blocks`)."""
    for block in iter_line_blocks(source, log, max_line_bytes=max_line_bytes):
        last = len(block.lines) - 1
        for offset, data in enumerate(block.lines):
            yield PhysicalLine(block.first + offset, data, block.terminated or offset < last)


class JsonRecord(NamedTuple):
    """One parsed record (a JSON Lines line, a text-form record or a table row)."""

    #: Line number where the record starts (row number for Parquet).
    line: int
    value: Any
    #: The record's bytes, used for exact-duplicate detection.
    raw: bytes


def _utf8_problem(error: UnicodeDecodeError) -> str:
    return f"invalid UTF-8 at byte {error.start + 1} of the line"


def decode_line(line: PhysicalLine, log: IssueLog) -> str:
    """The line as text; undecodable bytes are logged and replaced, keeping the rest."""
    try:
        return line.data.decode("utf-8")
    except UnicodeDecodeError as bad:
        log.error(line.number, "", _utf8_problem(bad), "encoding.utf8")
        return line.data.decode("utf-8", errors="replace")


def _describe_bad_line(data: bytes, error: orjson.JSONDecodeError) -> tuple[str, str]:
    """Turn a parser failure into (code, human reason)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return "encoding.utf8", _utf8_problem(bad)
    return "json.invalid", f"invalid JSON at column {error.pos + 1}: {error.msg}"


def parse_line(number: int, data: bytes, terminated: bool, log: IssueLog) -> JsonRecord | None:
    """The line's record, or ``None`` after logging why it is not one (blank, not JSON)."""
    if not data.strip():
        if terminated:
            log.warning(number, "", "blank line skipped", "line.blank")
        return None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        code, reason = _describe_bad_line(data, error)
        if not terminated and code == "json.invalid":
            code = "line.truncated"
            reason = f"last line is truncated (no newline at end of file): {reason}"
        log.error(number, "", reason, code)
        return None
    return JsonRecord(number, value, data)


def iter_json_records(
    source: DatasetSource, log: IssueLog, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[JsonRecord]:
    """Yield each parseable JSON line; log blank, undecodable and truncated lines."""
    for line in iter_lines(source, log, max_line_bytes=max_line_bytes):
        record = parse_line(line.number, line.data, line.terminated, log)
        if record is not None:
            yield record
