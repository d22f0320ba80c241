"""Issue 14's upload reproductions with real crafted files: a Parquet file of a few KB
holding one 256 MiB cell, or millions of rows, and CSV files beyond the row, column and
cell limits are refused (413 problem naming the limit) before they are decoded, nothing
is registered and no file is left; the refusal of the 256 MiB cell takes a bounded amount
of memory (measured as the peak resident size of a process that does only that)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.errors import TabularLimitError
from app.formats.validate import validate_file
from app.upload_limits import TabularLimits

CELL_BYTES = 256 * 1024**2

#: Writes a Parquet file whose one cell is ``argv[2]`` bytes, built in arrow (no Python
#: string of that size) and compressed with zstd: a few KB on disk.
_WRITE_HUGE_CELL = """
import sys
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
cell = pc.binary_repeat(pa.array(["a"], pa.string()), int(sys.argv[2]))
table = pa.table({"group": pa.array(["x"]), "note": cell})
pq.write_table(table, sys.argv[1], compression="zstd", use_dictionary=False)
"""

#: Validates ``argv[1]`` and prints how it ended; its peak memory is read by the test.
_VALIDATE = """
import sys
from app.errors import TabularLimitError
from app.formats.validate import validate_file
try:
    report = validate_file(__import__("pathlib").Path(sys.argv[1]), format="tabular")
    print("valid" if report.valid else "invalid")
except TabularLimitError as refusal:
    print("refused:", refusal)
"""


def _python(script: str, *args: str) -> tuple[str, int]:
    """Run ``script`` in a fresh interpreter; its output and its peak resident KiB."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    output, errors = process.stdout.read().decode(), process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, errors
    return output.strip(), usage.ru_maxrss


@pytest.fixture(scope="module")
def huge_cell(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crafted") / "one-cell.parquet"
    _python(_WRITE_HUGE_CELL, str(path), str(CELL_BYTES))
    return path


def _many_rows(path: Path, rows: int) -> Path:
    """A Parquet file of ``rows`` identical rows: run-length encoded, a few KB."""
    table = pa.table({"score": pa.repeat(pa.scalar(1, pa.int8()), rows)})
    pq.write_table(table, path, compression="zstd")
    return path


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _upload(actor: Any, dataset_id: int, content: bytes, filename: str) -> Any:
    return actor.post(
        f"/api/v1/datasets/{dataset_id}/versions/upload",
        data={"file": (io.BytesIO(content), filename), "format": "tabular"},
        content_type="multipart/form-data",
    )


def _refused(response: Any, *words: str) -> str:
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    detail: str = response.get_json()["detail"]
    for word in words:
        assert word in detail, detail
    return detail


def test_a_huge_cell_is_refused_before_it_is_decoded(huge_cell: Path, tmp_path: Path) -> None:
    assert huge_cell.stat().st_size < 64 * 1024  # the file was 9 KB
    small = tmp_path / "small.parquet"
    pq.write_table(pa.table({"group": ["x"], "note": ["fine"]}), small)
    baseline, baseline_kib = _python(_VALIDATE, str(small))
    refusal, refusal_kib = _python(_VALIDATE, str(huge_cell))
    assert baseline == "valid"
    assert refusal.startswith("refused:") and "'note'" in refusal
    assert "GATEHOUSE_TABULAR_MAX_CHUNK_BYTES" in refusal
    # The refusal costs what reading a small file does, give or take; decoding the cell
    # would have taken its 256 MiB at least (the issue saw 1.5 GiB).
    extra = (refusal_kib - baseline_kib) * 1024
    print(f"\nrefusing a {CELL_BYTES:,}-byte cell: peak memory {extra / 1024**2:+.1f} MiB")
    assert extra < CELL_BYTES // 8


def test_the_cell_limit_reads_cells_in_arrow(tmp_path: Path) -> None:
    path = tmp_path / "cells.parquet"
    long_text = "é" * 40_000  # 80,000 bytes, 40,000 characters
    table = pa.table({"id": list(range(10)), "note": ["short"] * 7 + [long_text] + ["x"] * 2})
    pq.write_table(table, path)
    assert validate_file(path, format="tabular").valid
    with pytest.raises(TabularLimitError, match=r"row 8, column 'note': a cell of 80,000 bytes"):
        validate_file(path, format="tabular", tabular_limits=TabularLimits(max_cell_bytes=50_000))
    # One long value repeated, dictionary-encoded, is measured without decoding each row.
    repeated = tmp_path / "repeated.parquet"
    pq.write_table(pa.table({"note": [long_text] * 5000}), repeated)
    with pytest.raises(TabularLimitError, match="GATEHOUSE_TABULAR_MAX_DECOMPRESSED_BYTES"):
        validate_file(
            repeated,
            format="tabular",
            tabular_limits=TabularLimits(max_decompressed_bytes=100 * 80_000),
        )


def test_millions_of_rows_are_refused_from_the_footer(tmp_path: Path) -> None:
    path = _many_rows(tmp_path / "rows.parquet", 5_000_000)
    assert path.stat().st_size < 200 * 1024  # the file was 75 KB
    with pytest.raises(TabularLimitError, match="5,000,000 rows; at most 1,000,000"):
        validate_file(path, format="tabular")
    with pytest.raises(TabularLimitError, match="GATEHOUSE_TABULAR_MAX_COLUMNS"):
        wide = tmp_path / "wide.parquet"
        pq.write_table(pa.table({f"c{i}": [i] for i in range(1001)}), wide)
        validate_file(wide, format="tabular")


@pytest.mark.parametrize(
    ("content", "limits", "words"),
    [
        (b"a,b\n" + b"1,2\n" * 11, TabularLimits(max_rows=10), ("line 12", "10 rows")),
        (
            b",".join(b"c%d" % i for i in range(12)) + b"\n",
            TabularLimits(max_columns=11),
            ("12 columns",),
        ),
        (
            b"a,b\n1,2\n3," + "é".encode() * 600 + b"\n",
            TabularLimits(max_cell_bytes=1000),
            ("line 3, column 'b'", "1,200 bytes"),
        ),
        (b"a,b\n" + b"1,2\n" * 100, TabularLimits(max_decompressed_bytes=100), ("404 bytes",)),
    ],
)
def test_csv_limits_are_checked_while_streaming(
    tmp_path: Path, content: bytes, limits: TabularLimits, words: tuple[str, ...]
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    with pytest.raises(TabularLimitError) as refusal:
        validate_file(path, format="tabular", tabular_limits=limits)
    for word in words:
        assert word in str(refusal.value)


def test_uploads_beyond_a_limit_are_413_and_leave_nothing(
    make_actor: Any, settings: Any, huge_cell: Path, tmp_path: Path
) -> None:
    engineer = make_actor("ml_engineer")
    dataset_id = engineer.post(
        "/api/v1/datasets", json={"name": "decisions", "owner": engineer.username}
    ).get_json()["id"]
    rows = _many_rows(tmp_path / "rows.parquet", 5_000_000).read_bytes()
    _refused(_upload(engineer, dataset_id, rows, "rows.parquet"), "5,000,000 rows", "MAX_ROWS")
    _refused(
        _upload(engineer, dataset_id, huge_cell.read_bytes(), "cell.parquet"),
        "'note'",
        "MAX_CHUNK_BYTES",
    )
    wide = b",".join(b"c%d" % i for i in range(1001)) + b"\n" + b",".join([b"1"] * 1001) + b"\n"
    _refused(_upload(engineer, dataset_id, wide, "wide.csv"), "1,001 columns")
    assert engineer.get(f"/api/v1/datasets/{dataset_id}/versions").get_json()["items"] == []
    assert _files(settings.storage_dir / "datasets") == []
    accepted = _upload(engineer, dataset_id, b"group,score\nx,1\ny,0\n", "ok.csv")
    assert accepted.status_code == 201, accepted.get_json()
