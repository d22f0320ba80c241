"""Content-addressed file storage for uploaded datasets, signed reports and model artefacts.

Files are stored under their SHA-256, never under a name a user chose, so an upload
cannot traverse paths or overwrite another file. A stream is written to a temporary
``.incoming-`` file, and once complete and within the size limit renamed to a
``.staged-<sha256>-`` name (:func:`stage_stream`): a staged file is readable (validation
and the scan read it) but no record points at it. :meth:`StagedFile.promote` renames it
to its content address as the record that points at it commits, just before the row
becomes visible (``app.storage_commit``), so a refused upload leaves nothing behind, no
committed record points at a missing file, and ``app.registry.storage_sweep`` removes
what a crashed process left.
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


#: Name prefix of a stream still being written.
INCOMING_PREFIX = ".incoming-"
#: Name prefix of complete content waiting for its record: ``.staged-<sha256>-<token><suffix>``.
STAGED_PREFIX = ".staged-"


def content_address(root: Path, sha256: str, suffix: str = "") -> Path:
    """Where content with ``sha256`` lives under ``root`` once promoted."""
    return root / sha256[:2] / f"{sha256}{suffix}"


@dataclass(frozen=True)
class StagedFile:
    """Complete content under a temporary name: readable now, promoted (or discarded) later."""

    #: The temporary file holding the content.
    path: Path
    #: Its content address, where :meth:`promote` moves it.
    target: Path
    sha256: str
    size_bytes: int

    @property
    def uri(self) -> str:
        """The ``file://`` URI the registry records: the content address."""
        return self.target.resolve().as_uri()

    def promote(self) -> StoredFile:
        """Move the content to its address (identical content there is replaced), durably:
        the folder is synced, so a power cut after the record commits keeps the name."""
        self.target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, self.target)
        _sync_folder(self.target.parent)
        return StoredFile(path=self.target, sha256=self.sha256, size_bytes=self.size_bytes)

    def discard(self) -> None:
        """Remove the temporary file (nothing points at it)."""
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_details: object) -> None:
        """Used as a context manager, the file is discarded when the block fails."""
        if error_type is not None:
            self.discard()


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def staged_address(path: Path) -> tuple[str, str] | None:
    """(sha256, suffix) of a staged file's name, or None for any other name."""
    name = path.name
    if not name.startswith(STAGED_PREFIX):
        return None
    sha256, _, rest = name[len(STAGED_PREFIX) :].partition("-")
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return None
    return sha256, Path(rest).suffix


def stage_stream(stream: IO[bytes], *, root: Path, max_bytes: int, suffix: str = "") -> StagedFile:
    """Copy ``stream`` to a staged file under ``root``, refusing more than ``max_bytes``."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary_name = tempfile.mkstemp(dir=root, prefix=INCOMING_PREFIX)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLargeError(f"upload exceeds the limit of {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        token = temporary.name.removeprefix(INCOMING_PREFIX)
        staged = root / f"{STAGED_PREFIX}{sha}-{token}{suffix}"
        os.replace(temporary, staged)
        return StagedFile(
            path=staged,
            target=content_address(root, sha, suffix),
            sha256=sha,
            size_bytes=size,
        )
    finally:
        temporary.unlink(missing_ok=True)


def stage_file(path: Path, *, root: Path, max_bytes: int) -> StagedFile:
    """Stage a local file (the CLI's and the demo's way in) until its record commits."""
    with path.open("rb") as stream:
        return stage_stream(stream, root=root, max_bytes=max_bytes, suffix=_safe_suffix(path.name))


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix in {".jsonl", ".json", ".txt", ".csv", ".parquet"} else ""


def stored_suffix(name: str) -> str:
    """The extension kept for a stored upload (format detection reads it)."""
    return _safe_suffix(name)
