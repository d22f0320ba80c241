"""The control catalogue, read from the ``# METADATA`` blocks of the policies.

Every control package carries its title, description, citation and
``custom: {control_id, regulation, severity, remediation}`` in a METADATA comment
block; this module parses those blocks (a YAML document once the leading ``#`` is
removed) so the CLI, the portal and the reports list controls without duplicating
anything in Python. The rules also carry the id and citation as constants (the
findings are built from them without ``rego.metadata.*`` lookups at evaluation time);
a test checks both agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from app.policy.errors import PolicyBundleError

__all__ = ["Control", "catalogue_of", "judging_controls", "load_catalogue", "read_metadata"]

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

    def as_dict(self) -> dict[str, str]:
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


def _control(annotation: dict[str, Any], package: str, path: str) -> Control:
    custom = annotation["custom"]
    resource = annotation["related_resources"][0]
    return Control(
        id=str(custom["control_id"]),
        title=str(annotation["title"]),
        description=" ".join(str(annotation.get("description", "")).split()),
        regulation=str(custom["regulation"]),
        citation=str(resource["description"]),
        citation_url=str(resource["ref"]),
        severity=str(custom["severity"]),
        remediation=" ".join(str(custom["remediation"]).split()),
        package=package,
        path=path,
        judges=tuple(str(evidence) for evidence in custom.get("judges", ())),
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
    return sorted(controls, key=lambda control: control.id)


def judging_controls(controls: Iterable[Control], evidence: str) -> set[str]:
    """Ids of the controls whose METADATA says they judge ``evidence`` (``fairness_audit``)."""
    return {control.id for control in controls if evidence in control.judges}
