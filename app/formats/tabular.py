"""Tabular data (CSV or Parquet) used by fairness and explainability audits.

Validation checks the header and that every CSV row has the header's column count,
and reports each column's inferred type and empty-cell count. Parquet files are read
in record batches through pyarrow, so memory stays bounded as for JSON Lines. Rows,
columns, cells and decompressed bytes are bounded (:mod:`app.upload_limits`):
a file beyond them is refused, not reported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.limits import PlatformLimits
from app.formats.source import DatasetSource, JsonRecord, decode_line, iter_lines
from app.formats.spec import RecordSummary
from app.upload_limits import TabularLimits

__all__ = ["ENTRY", "PARQUET_MAGIC", "Tabular"]

PARQUET_MAGIC = b"PAR1"
_BATCH_ROWS = 8192


@dataclass
class _Column:
    name: str
    kinds: set[str] = field(default_factory=set)
    empty: int = 0


def _kind_of(cell: str) -> str:
    """Narrowest type a CSV cell can be read as."""
    if cell.lower() in ("true", "false"):
        return "boolean"
    for kind, parse in (("integer", int), ("number", float)):
        try:
            parse(cell)
        except ValueError:
            continue
        return kind
    return "string"


def _column_type(kinds: set[str]) -> str:
    if not kinds:
        return "empty"
    if kinds <= {"integer"}:
        return "integer"
    if kinds <= {"integer", "number"}:
        return "number"
    if kinds == {"boolean"}:
        return "boolean"
    return "string"


def _measure_batch(bounds: TabularLimits, batch: pa.RecordBatch, first_row: int) -> int:
    """Refuse a decoded batch holding a cell beyond the cell limit; return the bytes its
    cells hold (text and binary cells by length: what they take as Python strings)."""
    held = 0
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        lengths = _cell_lengths(column)
        if lengths is None:
            held += column.nbytes
            continue
        longest = pc.max(lengths).as_py() or 0
        if longest > bounds.max_cell_bytes:
            bounds.check_cell(longest, first_row + pc.index(lengths, longest).as_py(), name)
        held += pc.sum(lengths).as_py() or 0
    return held


def _cell_lengths(column: pa.Array) -> pa.Array | None:
    """Each cell's byte length for a text or binary column (dictionary-encoded too), None
    for other types (fixed-width numbers and the like)."""
    if pa.types.is_dictionary(column.type):
        values = _cell_lengths(column.dictionary)
        return None if values is None else pc.fill_null(pc.take(values, column.indices), 0)
    if is_text_or_binary(column.type):
        return pc.fill_null(pc.binary_length(column), 0)
    return None


def is_text_or_binary(kind: pa.DataType) -> bool:
    """True for the arrow types whose cells have a length of their own."""
    return any(
        check(kind)
        for check in (
            pa.types.is_string,
            pa.types.is_large_string,
            pa.types.is_string_view,
            pa.types.is_binary,
            pa.types.is_large_binary,
            pa.types.is_binary_view,
        )
    )


class Tabular:
    """The ``tabular`` format."""

    name = "tabular"

    def __init__(self, bounds: TabularLimits | None = None) -> None:
        self.bounds = bounds or TabularLimits()
        self.variant = "csv"
        self.columns: list[_Column] = []
        self.arrow_types: dict[str, str] = {}

    def records(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        """One record per row (a dict of column name to cell text)."""
        with source.path.open("rb") as peek:
            is_parquet = peek.read(4) == PARQUET_MAGIC
        if is_parquet:
            self.variant = "parquet"
            return self._parquet_rows(source, log)
        self.bounds.check_size(source.path.stat().st_size)
        return self._csv_rows(source, log, max_line_bytes=max_line_bytes)

    def _decoded_lines(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[str]:
        expected = 1
        for line in iter_lines(source, log, max_line_bytes=max_line_bytes):
            # keep csv's line count equal to the file's, even around skipped long lines
            while expected < line.number:
                yield "\n"
                expected += 1
            expected += 1
            yield decode_line(line, log) + "\n"

    def _csv_rows(
        self, source: DatasetSource, log: IssueLog, *, max_line_bytes: int
    ) -> Iterator[JsonRecord]:
        reader = csv.reader(self._decoded_lines(source, log, max_line_bytes=max_line_bytes))
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as bad:
            log.error(reader.line_num, "", f"unreadable CSV header: {bad}", "tabular.header")
            return
        seen: set[str] = set()
        for index, name in enumerate(header):
            if not name.strip():
                log.error(1, f"column {index + 1}", "column name is empty", "tabular.header")
            elif name in seen:
                log.error(1, name, "duplicate column name", "tabular.header")
            seen.add(name)
        self.bounds.check_csv_header(len(header))
        self.columns = [_Column(name) for name in header]
        rows = 0
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as bad:
                log.error(start, "", f"unreadable CSV row: {bad}", "tabular.row")
                continue
            if not row:
                continue
            if len(row) != len(header):
                log.error(
                    start,
                    "",
                    f"expected {len(header)} columns (from the header); got {len(row)}",
                    "tabular.columns",
                )
                continue
            rows += 1
            self.bounds.check_csv_row(start, rows, zip(header, row, strict=True))
            for column, cell in zip(self.columns, row, strict=True):
                if cell == "":
                    column.empty += 1
                else:
                    column.kinds.add(_kind_of(cell))
            yield JsonRecord(start, dict(zip(header, row, strict=True)), "\x1f".join(row).encode())

    def _parquet_rows(self, source: DatasetSource, log: IssueLog) -> Iterator[JsonRecord]:
        source.drain()
        try:
            metadata = pq.read_metadata(source.path)
        except Exception as bad:  # pyarrow raises several unrelated types for corrupt files
            log.error(None, "", f"unreadable Parquet file: {bad}", "tabular.parquet")
            return
        self.bounds.check_parquet_footer(metadata)
        schema = pq.read_schema(source.path)
        self.arrow_types = {f.name: str(f.type) for f in schema}
        self.columns = [_Column(f.name) for f in schema]
        # Text columns stay dictionary-encoded when the file has them so: one long value
        # repeated is measured once, not decoded once per row.
        text_columns = [f.name for f in schema if is_text_or_binary(f.type)]
        parquet = pq.ParquetFile(source.path, read_dictionary=text_columns)
        row_number = 0
        held = 0
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
            held += _measure_batch(self.bounds, batch, row_number + 1)
            self.bounds.check_size(held)
            for column, array in zip(self.columns, batch.columns, strict=True):
                column.empty += array.null_count
            for row in batch.to_pylist():
                row_number += 1
                cells = {k: "" if v is None else str(v) for k, v in row.items()}
                yield JsonRecord(row_number, cells, "\x1f".join(cells.values()).encode())

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        """Rows are checked while reading (column count needs the header): all valid here."""
        cells: dict[str, str] = record.value
        return RecordSummary((), (), sum(len(text) for text in cells.values()))

    def details(self) -> dict[str, object]:
        """Variant and each column's type and empty-cell count."""
        columns = [
            {
                "name": column.name,
                "type": self.arrow_types.get(column.name) or _column_type(column.kinds),
                "empty": column.empty,
            }
            for column in self.columns
        ]
        return {"variant": self.variant, "columns": columns}

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """Never: a tabular file is told by its suffix or the Parquet magic number."""
        return False


ENTRY = FormatEntry(
    handler=Tabular,
    title="Tabular data (CSV or Parquet) for fairness and explainability audits",
    limits=PlatformLimits(
        platform="Gatehouse audits",
        mime_types=("text/csv", "application/vnd.apache.parquet"),
    ),
    text=False,
)
