"""How much a tabular upload (CSV or Parquet) may hold, checked before and while it is read.

A Parquet file is small on disk and large in memory: a 9 KB file holding one 256 MiB
cell, or a 75 KB file holding five million rows, decompresses to what it describes. Its
footer says how many rows and columns it has and how large each column chunk (one column
of one row group, the unit pyarrow decompresses) is once decompressed, so those are
checked before anything is decoded; each decoded batch's cells are then measured in
arrow, before any becomes a Python string (:mod:`app.formats.tabular`). A CSV file is checked as it streams: its
header's width, each cell, the row count and the bytes read.

A file beyond a limit is refused (:class:`~app.errors.TabularLimitError`, HTTP 413) rather than
reported: nothing of it is registered, and the staged upload is removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.errors import TabularLimitError

if TYPE_CHECKING:  # the settings import this module: it loads neither pyarrow nor the formats
    import pyarrow.parquet as pq

__all__ = ["TabularLimits"]


@dataclass(frozen=True)
class TabularLimits:
    """The bounds of one tabular file (settings ``GATEHOUSE_TABULAR_*``)."""

    #: Data rows (the header not counted).
    max_rows: int = 1_000_000
    #: Columns of the header or the Parquet schema.
    max_columns: int = 1_000
    #: Bytes of one cell (UTF-8 text or binary).
    max_cell_bytes: int = 128 * 1024
    #: Bytes of the whole table decompressed (the file's size for CSV).
    max_decompressed_bytes: int = 1024**3
    #: Bytes of one Parquet column chunk decompressed: decoding holds a page of it, and a
    #: page can be the whole chunk, so this bounds the memory decoding takes.
    max_chunk_bytes: int = 256 * 1024**2

    def check_parquet_footer(self, metadata: pq.FileMetaData) -> None:
        """Refuse from the footer alone: rows, columns, decompressed sizes."""
        self._at_most(metadata.num_rows, self.max_rows, "rows", "ROWS")
        self._at_most(metadata.num_columns, self.max_columns, "columns", "COLUMNS")
        total = 0
        for group_index in range(metadata.num_row_groups):
            group = metadata.row_group(group_index)
            for column_index in range(group.num_columns):
                chunk = group.column(column_index)
                total += chunk.total_uncompressed_size
                if chunk.total_uncompressed_size > self.max_chunk_bytes:
                    raise TabularLimitError(
                        f"column '{chunk.path_in_schema}' of row group {group_index + 1} "
                        f"decompresses to {chunk.total_uncompressed_size:,} bytes; at most "
                        f"{self.max_chunk_bytes:,} are read at once "
                        "(GATEHOUSE_TABULAR_MAX_CHUNK_BYTES)"
                    )
        self._at_most(
            total, self.max_decompressed_bytes, "bytes decompressed", "DECOMPRESSED_BYTES"
        )

    def check_cell(self, size: int, row: int, column: str) -> None:
        """Refuse a cell of ``size`` bytes beyond the cell limit (Parquet row numbers)."""
        if size > self.max_cell_bytes:
            self._refuse_cell(size, row, column)

    def check_csv_header(self, width: int) -> None:
        """Refuse a header wider than the column limit."""
        self._at_most(width, self.max_columns, "columns", "COLUMNS")

    def check_csv_row(self, line: int, rows: int, cells: Iterable[tuple[str, str]]) -> None:
        """Refuse the ``rows``-th data row (at ``line``) beyond the row limit, or holding a
        cell (column name, text) beyond the cell limit."""
        if rows > self.max_rows:
            raise TabularLimitError(
                f"line {line}: the table has more than {self.max_rows:,} rows, the most "
                "accepted (GATEHOUSE_TABULAR_MAX_ROWS)"
            )
        # A character takes at most 4 bytes in UTF-8: only long cells need encoding.
        shortest_suspect = self.max_cell_bytes // 4
        for name, cell in cells:
            if len(cell) > shortest_suspect:
                size = len(cell.encode())
                if size > self.max_cell_bytes:
                    self._refuse_cell(size, line, name, what="line")

    def check_size(self, size: int) -> None:
        """Refuse a file larger than the decompressed limit (CSV is not compressed)."""
        self._at_most(size, self.max_decompressed_bytes, "bytes", "DECOMPRESSED_BYTES")

    def _refuse_cell(self, size: int, where: int, column: str, what: str = "row") -> None:
        raise TabularLimitError(
            f"{what} {where}, column '{column}': a cell of {size:,} bytes; at most "
            f"{self.max_cell_bytes:,} (GATEHOUSE_TABULAR_MAX_CELL_BYTES)"
        )

    @staticmethod
    def _at_most(found: int, limit: int, what: str, setting: str) -> None:
        if found > limit:
            raise TabularLimitError(
                f"the table has {found:,} {what}; at most {limit:,} are accepted "
                f"(GATEHOUSE_TABULAR_MAX_{setting})"
            )
