"""The policy bundle: the Rego modules and data the engines evaluate, and its hash.

Both engines load exactly the same bundle: every ``*.rego`` file under the policy
directory except the ``*_test.rego`` files, and ``data.json`` deep-merged with an
optional per-installation data file (its values win; objects merge key by key, other
values are replaced) and checked against the floors in ``app.policy.data_floors`` (an
override may tighten a threshold, never null it or loosen it). The merge happens here, in Python, because OPA refuses two data
files that define the same path. ``bundle_hash`` is the sha256 over exactly what is
loaded, so a decision records which policy made it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.policy.data_floors import check_policy_data
from app.policy.errors import PolicyBundleError

__all__ = [
    "DATA_FILE",
    "PolicyBundle",
    "bundle_digest",
    "bundle_hash",
    "load_bundle",
    "merge_data",
]

#: The policy data file at the root of the policy directory.
DATA_FILE = "data.json"


@dataclass(frozen=True)
class PolicyBundle:
    """Everything an engine loads, read once from disk."""

    #: (path relative to the policy directory, source) of each module, sorted by path.
    modules: tuple[tuple[str, str], ...]
    #: The policy data after merging the installation's overrides.
    data: dict[str, Any]
    #: sha256 (hex) over the module files, data.json and the override file.
    hash: str


def _module_paths(policy_dir: Path) -> list[Path]:
    """The Rego files an engine loads, in a stable order (tests are not loaded)."""
    if not policy_dir.is_dir():
        raise PolicyBundleError(f"policy directory {policy_dir} does not exist")
    return sorted(
        path for path in policy_dir.rglob("*.rego") if not path.name.endswith("_test.rego")
    )


def _read_json(path: Path) -> dict[str, Any]:
    """Read a JSON object, turning any failure into a PolicyBundleError."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PolicyBundleError(f"cannot read policy data {path}: {error}") from error
    if not isinstance(value, dict):
        raise PolicyBundleError(f"policy data {path} must be a JSON object")
    return value


def merge_data(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into ``base``: objects merge, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_data(merged[key], value)
        else:
            merged[key] = value
    return merged


def bundle_digest(
    modules: Iterable[tuple[str, bytes]], data: bytes, extra_data: bytes | None = None
) -> str:
    """The bundle hash over (relative path, bytes) of each module in path order, the bytes
    of ``data.json`` and of the override file; also how an auditor recomputes it from an
    evidence bundle's copy of the files."""
    digest = hashlib.sha256()
    for relative, source in modules:
        digest.update(relative.encode() + b"\0" + source + b"\0")
    digest.update(DATA_FILE.encode() + b"\0" + data + b"\0")
    if extra_data is not None:
        digest.update(b"extra-data\0" + extra_data)
    return digest.hexdigest()


def bundle_hash(policy_dir: Path, extra_data: Path | None = None) -> str:
    """sha256 over the loaded policy files and data, to stamp every decision."""
    return load_bundle(policy_dir=policy_dir, extra_data_path=extra_data).hash


def load_bundle(*, policy_dir: Path, extra_data_path: Path | None = None) -> PolicyBundle:
    """Read the policy directory (and the installation's data overrides) once.

    The hash covers each module's relative path and bytes, ``data.json`` and the
    override file's bytes, exactly as read here.
    """
    paths = _module_paths(policy_dir)
    if not paths:
        raise PolicyBundleError(f"policy directory {policy_dir} holds no Rego modules")
    sources = [(path.relative_to(policy_dir).as_posix(), path.read_bytes()) for path in paths]
    data_file = policy_dir / DATA_FILE
    data = _read_json(data_file)
    extra_bytes = None
    if extra_data_path is not None:
        data = merge_data(data, _read_json(extra_data_path))
        extra_bytes = extra_data_path.read_bytes()
    check_policy_data(data)
    return PolicyBundle(
        modules=tuple((relative, source.decode("utf-8")) for relative, source in sources),
        data=data,
        hash=bundle_digest(sources, data_file.read_bytes(), extra_bytes),
    )
