"""The control catalogue, read from the ``# METADATA`` blocks of the policies.

Every control package carries its title, description, citation and
``custom: {control_id, regulation, severity, remediation, effective_from, superseded_by,
last_reviewed}`` in a METADATA comment block; this module parses those blocks (a YAML document once the leading ``#`` is
removed) so the CLI, the portal and the reports list controls without duplicating
anything in Python. The rules also carry the id and citation as constants (the
findings are built from them without ``rego.metadata.*`` lookups at evaluation time);
a test checks both agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from app.policy.errors import PolicyBundleError

__all__ = [
    "REVIEW_INTERVAL_DAYS",
    "Control",
    "catalogue_of",
    "judging_controls",
    "load_catalogue",
    "read_metadata",
    "review_overdue",
]

#: A control whose source was not reviewed for longer than this is overdue for review.
REVIEW_INTERVAL_DAYS = 365

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)


@dataclass(frozen=True)
class Control:
    """One control as its annotation describes it."""

    #: Stable id, e.g. "HIPAA-164.514"; also the ``control`` of its violations.
    id: str
    #: One-line title.
    title: str
    #: What the control checks.
    description: str
    #: HIPAA, GDPR, Finance or Common.
    regulation: str
    #: The legal citation, e.g. "45 CFR 164.514(a)-(b)".
    citation: str
    #: Where the citation can be read.
    citation_url: str
    #: critical, high, medium or low.
    severity: str
    #: What to do when the control fails.
    remediation: str
    #: The Rego package, e.g. "hipaa.deidentification".
    package: str
    #: The file, relative to the policy directory.
    path: str
    #: Evidence whose verdict this control gives (``custom.judges``, e.g. ``fairness_audit``):
    #: a report shows an audit's verdict as the outcome of the controls that judge it.
    judges: tuple[str, ...] = ()
    #: ISO date from which the cited requirement applies (``custom.effective_from``).
    effective_from: str = ""
    #: What replaced the cited requirement, or None while it is current.
    superseded_by: str | None = None
    #: ISO date of the last review of the control against its source (``custom.last_reviewed``).
    last_reviewed: str = ""
    #: Crosswalk (``custom.frameworks``): framework name -> the subcategories or controls
    #: the control serves, e.g. ``{"nist_ai_rmf": ("MEASURE 2.11",), "iso_42001": ("A.5.4",)}``.
    frameworks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: When the requirement applies and how the gate treats the date (warn, then deny).
    application: str | None = None
    #: How the control treats a fine-tuned (generative) LLM, where the source scopes it.
    generative_ai: str | None = None
    #: The citation used instead when the installation's policy adopts older guidance
    #: (``custom.legacy_citation``: switch, citation, ref, effective_from, superseded_by).
    legacy_citation: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (for ``--json`` and the API)."""
        return asdict(self)


def read_metadata(source: str) -> tuple[dict[str, Any], str]:
    """The first METADATA block of a Rego module as a mapping, and its package name."""
    package = _PACKAGE.search(source)
    if package is None:
        raise PolicyBundleError("module has no package declaration")
    lines = source.splitlines()
    try:
        start = lines.index("# METADATA")
    except ValueError:
        return {}, package.group(1)
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    annotation = yaml.safe_load("\n".join(block)) or {}
    if not isinstance(annotation, dict):
        raise PolicyBundleError("METADATA block is not a mapping")
    return annotation, package.group(1)


def _iso_date(value: object, field: str) -> str:
    """A METADATA date (YAML reads ``2026-11-30`` as a date) as an ISO string; else an error."""
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as error:
        raise PolicyBundleError(f"custom.{field} is not an ISO date: {value!r}") from error


def _web_address(value: object) -> str:
    """A citation's address: an absolute http(s) URL, or an error. The portal and the
    reports make it a link, where another scheme (``javascript:``, ``file:``) must never
    reach a reader."""
    address = str(value)
    parsed = urlparse(address)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise PolicyBundleError(f"related_resources[0].ref is not an http(s) address: {address!r}")
    return address


def _legacy(custom: dict[str, Any]) -> dict[str, str] | None:
    legacy = custom.get("legacy_citation")
    if legacy is None:
        return None
    return {
        key: _iso_date(value, f"legacy_citation.{key}") if key == "effective_from" else str(value)
        for key, value in legacy.items()
    }


def _control(annotation: dict[str, Any], package: str, path: str) -> Control:
    custom = annotation["custom"]
    superseded_by = custom["superseded_by"]
    generative_ai = custom.get("generative_ai")
    application = custom.get("application")
    frameworks = custom.get("frameworks") or {}
    resource = annotation["related_resources"][0]
    return Control(
        id=str(custom["control_id"]),
        title=str(annotation["title"]),
        description=" ".join(str(annotation.get("description", "")).split()),
        regulation=str(custom["regulation"]),
        citation=str(resource["description"]),
        citation_url=_web_address(resource["ref"]),
        severity=str(custom["severity"]),
        remediation=" ".join(str(custom["remediation"]).split()),
        package=package,
        path=path,
        judges=tuple(str(evidence) for evidence in custom.get("judges", ())),
        effective_from=_iso_date(custom["effective_from"], "effective_from"),
        superseded_by=None if superseded_by is None else str(superseded_by),
        last_reviewed=_iso_date(custom["last_reviewed"], "last_reviewed"),
        frameworks={
            str(name): tuple(str(entry) for entry in entries or ())
            for name, entries in frameworks.items()
        },
        application=None if application is None else " ".join(str(application).split()),
        generative_ai=None if generative_ai is None else " ".join(str(generative_ai).split()),
        legacy_citation=_legacy(custom),
    )


def load_catalogue(*, policy_dir: Path) -> list[Control]:
    """Every control (a module whose annotation has ``custom.control_id``), sorted by id."""
    modules = [
        (path.relative_to(policy_dir).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(policy_dir.rglob("*.rego"))
        if not path.name.endswith("_test.rego")
    ]
    return catalogue_of(modules)


def catalogue_of(modules: Iterable[tuple[str, str]]) -> list[Control]:
    """The controls among ``(relative path, source)`` modules (e.g. an engine's bundle)."""
    controls = []
    for relative, source in modules:
        try:
            annotation, package = read_metadata(source)
            if "control_id" in (annotation.get("custom") or {}):
                controls.append(_control(annotation, package, relative))
        except (KeyError, IndexError, TypeError, yaml.YAMLError) as error:
            raise PolicyBundleError(f"{relative}: incomplete METADATA ({error})") from error
        except PolicyBundleError as error:
            raise PolicyBundleError(f"{relative}: {error}") from error
    return sorted(controls, key=lambda control: control.id)


def judging_controls(controls: Iterable[Control], evidence: str) -> set[str]:
    """Ids of the controls whose METADATA says they judge ``evidence`` (``fairness_audit``)."""
    return {control.id for control in controls if evidence in control.judges}


def review_overdue(control: Control, *, today: date) -> bool:
    """Whether the control's last review is more than a year before ``today``."""
    reviewed = date.fromisoformat(control.last_reviewed)
    return today - reviewed > timedelta(days=REVIEW_INTERVAL_DAYS)
