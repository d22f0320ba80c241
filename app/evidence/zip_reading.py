"""Reading an untrusted zip safely: into memory, never onto disk, with every name checked.

A bundle comes from outside (an auditor's copy, an upload), so nothing in it is trusted
before it is read: an absolute name, a ``..`` step, a backslash or drive letter (zip
slip), a duplicate, a symbolic link, an encrypted member or one compressed by a method
the standard library does not read is refused by name, and sizes are bounded (a small
zip that inflates to gigabytes is refused before it is inflated, and a member that
inflates past what its header claims is cut off and refused).
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import PurePosixPath

from app.evidence.errors import BundleFileError

__all__ = ["MAX_BUNDLE_BYTES", "MAX_MEMBER_BYTES", "read_members"]

#: Largest member accepted once inflated (a year's ledger with 100,000 events is ~40 MB).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
#: Largest total accepted once inflated.
MAX_BUNDLE_BYTES = 2 * 1024 * 1024 * 1024
#: Largest inflation ratio for members above 1 MiB (JSON lines deflate ~10×; bombs ~1000×).
_MAX_RATIO = 200
#: The compression methods the standard library inflates (anything else, e.g. AES's 99,
#: is refused by name before a member is opened).
_READABLE_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)


def _refusal(name: str) -> str | None:
    """Why a member name is unsafe, or ``None``."""
    if not name or "\x00" in name:
        return "an empty name or one with a NUL byte"
    if "\\" in name:
        return "a backslash in its name"
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "an absolute name"
    if any(part in ("..", ".") for part in path.parts) or "//" in name:
        return "a '..' or '.' step in its name (it would land outside the bundle)"
    return None


def _check(info: zipfile.ZipInfo, seen: set[str]) -> None:
    """Refuse a member that is unsafe to read, naming it."""
    reason = _refusal(info.filename)
    if reason is None and info.filename in seen:
        reason = "a duplicate name"
    if reason is None and stat.S_ISLNK(info.external_attr >> 16):
        reason = "a symbolic link"
    if reason is None and info.flag_bits & 0x1:
        reason = "encryption (a bundle is verified as it was written, unencrypted)"
    if reason is None and info.compress_type not in _READABLE_METHODS:
        reason = f"a compression method Gatehouse does not read ({info.compress_type})"
    if reason is None and info.file_size > MAX_MEMBER_BYTES:
        reason = f"a size of {info.file_size} bytes once inflated (limit {MAX_MEMBER_BYTES})"
    if (
        reason is None
        and info.file_size > 1024 * 1024
        and info.file_size > _MAX_RATIO * max(info.compress_size, 1)
    ):
        reason = "an inflation ratio above 200 (a zip bomb)"
    if reason is not None:
        raise BundleFileError(f"refused: the bundle member {info.filename!r} has {reason}")


def read_members(data: bytes) -> dict[str, bytes]:
    """Every file member of the zip ``data`` (folders skipped), checked and inflated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise BundleFileError(f"not a zip file: {error}") from error
    members: dict[str, bytes] = {}
    total = 0
    with archive:
        seen: set[str] = set()
        for info in archive.infolist():
            _check(info, seen)
            seen.add(info.filename)
            if info.is_dir():
                continue
            total += info.file_size
            if total > MAX_BUNDLE_BYTES:
                raise BundleFileError(f"refused: the bundle inflates past {MAX_BUNDLE_BYTES} bytes")
            try:
                with archive.open(info) as member:
                    content = member.read(info.file_size + 1)
            except (zipfile.BadZipFile, OSError, ValueError) as error:
                raise BundleFileError(
                    f"the bundle member {info.filename!r} is damaged: {error}"
                ) from error
            if len(content) != info.file_size:
                raise BundleFileError(
                    f"refused: the bundle member {info.filename!r} does not have the size "
                    "its header declares"
                )
            members[info.filename] = content
    return members
