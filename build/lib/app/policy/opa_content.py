"""What the OPA server must hold, and how what it holds differs from that.

Gatehouse never trusts a marker on the server: it compares content. The server must
hold exactly

- **modules**: one module ``gatehouse/<path>`` per bundle module, with the same text,
  plus the system modules the operator started OPA with (the authorization policy,
  recognised by its text, whatever its id); any other module is a difference;
- **data**: each top-level member of the bundle's data (``data.gatehouse``), equal by
  value to the bundle's;
- **roots**: no top-level document that neither the data nor a module's package
  explains (data written at a new path such as ``data.extra``).

The functions here are pure (they compare what the server reported with the bundle)
and return readable differences, so the engine can deny with them and tests can call
them without a server.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from app.policy.bundle import PolicyBundle

__all__ = [
    "MISMATCH_PREFIX",
    "OPA_POLICY_PREFIX",
    "ExpectedContent",
    "data_differences",
    "expected_content",
    "looks_empty",
    "mismatch_message",
    "module_differences",
    "root_differences",
]

#: Policy ids Gatehouse owns on the server.
OPA_POLICY_PREFIX = "gatehouse/"

#: How every content difference begins, in denies and alerts alike.
MISMATCH_PREFIX = "OPA holds policies/data that differ from Gatehouse's bundle: "

#: At most this many differences are named in one message (the rest are counted).
_NAMED_DIFFERENCES = 4

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)


def _package_root(source: str) -> str | None:
    found = _PACKAGE.search(source)
    return found.group(1).split(".")[0] if found else None


def _short_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ExpectedContent:
    """Exactly what Gatehouse expects the server to hold."""

    #: Policy id on the server -> module text, for every bundle module.
    modules: dict[str, str]
    #: Texts of the operator's system modules (the authorization policy) OPA may hold.
    system_sources: frozenset[str]
    #: The bundle's data, by top-level member.
    data: dict[str, Any]
    #: Top-level names of ``data`` the bundle and the system modules explain.
    roots: frozenset[str]


def expected_content(bundle: PolicyBundle, system_sources: tuple[str, ...] = ()) -> ExpectedContent:
    """What the server must hold for ``bundle`` (plus the given system modules)."""
    sources = [source for _, source in bundle.modules] + list(system_sources)
    package_roots = {root for root in map(_package_root, sources) if root is not None}
    return ExpectedContent(
        modules={OPA_POLICY_PREFIX + path: source for path, source in bundle.modules},
        system_sources=frozenset(system_sources),
        data=bundle.data,
        roots=frozenset(package_roots | set(bundle.data)),
    )


def module_differences(expected: ExpectedContent, held: dict[str, str]) -> list[str]:
    """How the server's modules (id -> text) differ from the expected ones."""
    differences = []
    for policy_id, source in sorted(expected.modules.items()):
        if policy_id not in held:
            differences.append(f"module {policy_id} is missing")
        elif held[policy_id] != source:
            differences.append(
                f"module {policy_id} differs (sha256 {_short_sha(held[policy_id])}, "
                f"bundle {_short_sha(source)})"
            )
    for policy_id, source in sorted(held.items()):
        if policy_id not in expected.modules and source not in expected.system_sources:
            differences.append(f"module {policy_id} is not in the bundle")
    return differences


def _value_differences(path: str, expected: Any, held: Any) -> list[str]:
    """The paths under ``path`` where ``held`` differs from ``expected`` (JSON values)."""
    if isinstance(expected, dict) and isinstance(held, dict):
        differences = []
        for key in sorted(set(expected) | set(held)):
            where = f"{path}.{key}"
            if key not in held:
                differences.append(f"{where} is missing")
            elif key not in expected:
                differences.append(f"{where} is not in the bundle")
            else:
                differences.extend(_value_differences(where, expected[key], held[key]))
        return differences
    if isinstance(expected, bool) or isinstance(held, bool):
        same = type(expected) is type(held) and expected == held
    else:
        same = expected == held
    return [] if same else [f"{path} differs"]


def data_differences(expected: ExpectedContent, held: dict[str, Any]) -> list[str]:
    """How the server's top-level data members (member -> value) differ from the bundle's."""
    differences = []
    for member, value in sorted(expected.data.items()):
        if member not in held:
            differences.append(f"data.{member} is missing")
        else:
            differences.extend(_value_differences(f"data.{member}", value, held[member]))
    return differences


def root_differences(expected: ExpectedContent, held_roots: list[str]) -> list[str]:
    """Top-level documents on the server that neither the bundle nor a module explains."""
    return [
        f"data.{root} is not in the bundle" for root in sorted(set(held_roots) - expected.roots)
    ]


def looks_empty(
    expected: ExpectedContent, held_modules: dict[str, str], held_data: dict[str, Any]
) -> bool:
    """True when the server holds nothing but system modules: fresh or restarted, not tampered."""
    foreign = [source for source in held_modules.values() if source not in expected.system_sources]
    return not foreign and not any(member in held_data for member in expected.data)


def mismatch_message(differences: list[str]) -> str:
    """One line: the prefix, the first differences, and how many more there are."""
    named = "; ".join(differences[:_NAMED_DIFFERENCES])
    more = len(differences) - _NAMED_DIFFERENCES
    return MISMATCH_PREFIX + named + (f" (and {more} more)" if more > 0 else "")
