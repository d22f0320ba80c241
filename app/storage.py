"""Content-addressed file storage for uploaded datasets and generated reports.

Files are stored under their SHA-256, never under a name a user chose, so an upload
cannot traverse paths or overwrite another file; a stream is written to a temporary
file first and only renamed into place once complete and within the size limit.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from app.errors import UploadTooLargeError

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """Where a stored file lives and what it is."""

    path: Path
    sha256: str
    size_bytes: int

    @property
    def uri(self) -> str:
        """The ``file://`` URI recorded in the registry."""
        return self.path.resolve().as_uri()


def store_stream(stream: IO[bytes], *, root: Path, max_bytes: int, suffix: str = "") -> StoredFile:
    """Copy ``stream`` into ``root`` under its SHA-256, refusing more than ``max_bytes``."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary_name = tempfile.mkstemp(dir=root, prefix=".incoming-")
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLargeError(f"upload exceeds the limit of {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        target = root / sha[:2] / f"{sha}{suffix}"
        target.parent.mkdir(exist_ok=True)
        os.replace(temporary, target)
        return StoredFile(path=target, sha256=sha, size_bytes=size)
    finally:
        temporary.unlink(missing_ok=True)


def store_file(path: Path, *, root: Path, max_bytes: int) -> StoredFile:
    """Store a local file (the CLI's and the demo's way in)."""
    with path.open("rb") as stream:
        return store_stream(stream, root=root, max_bytes=max_bytes, suffix=_safe_suffix(path.name))


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix in {".jsonl", ".json", ".txt", ".csv", ".parquet"} else ""


def stored_suffix(name: str) -> str:
    """The extension kept for a stored upload (format detection reads it)."""
    return _safe_suffix(name)
