"""``docs/controls.md``, generated from the controls' METADATA and the framework maps.

The catalogue a compliance reviewer reads must say exactly what the policies say, so it
is never written by hand: ``gatehouse policy catalogue --markdown`` renders it from
the same METADATA blocks the portal and reports use, and a test fails when the
committed file differs from a fresh rendering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.policy.catalogue import Control
from app.policy.errors import PolicyBundleError

__all__ = ["ManualControl", "load_manual_controls", "render_controls_doc"]


@dataclass(frozen=True)
class ManualControl:
    """A control a person checks with evidence (``manual: true`` in a framework map)."""

    id: str
    regulation: str
    citation: str
    procedure: str


def load_manual_controls(*, policy_dir: Path) -> list[ManualControl]:
    """The manual controls of every ``frameworks/*.yaml`` map, in file then listed order."""
    manual: list[ManualControl] = []
    for path in sorted((policy_dir / "frameworks").glob("*.yaml")):
        try:
            framework = yaml.safe_load(path.read_text(encoding="utf-8"))[path.stem]
            manual.extend(
                ManualControl(
                    id=str(entry["id"]),
                    regulation=str(framework["regulation"]),
                    citation=str(entry["citation"]),
                    procedure=" ".join(str(entry["procedure"]).split()),
                )
                for entry in framework["controls"]
                if entry.get("manual")
            )
        except (KeyError, TypeError, yaml.YAMLError) as error:
            raise PolicyBundleError(f"{path.name}: incomplete framework map ({error})") from error
    return manual


def _cell(text: str) -> str:
    """Table cells may not hold a pipe or a line break."""
    return " ".join(text.replace("|", "\\|").split())


def _summary_rows(controls: Sequence[Control]) -> Iterable[str]:
    yield "| id | title | severity | citation | effective from | superseded by | last reviewed |"
    yield "| --- | --- | --- | --- | --- | --- | --- |"
    for control in controls:
        yield (
            f"| `{control.id}` | {_cell(control.title)} | {control.severity} "
            f"| [{_cell(control.citation)}]({control.citation_url}) "
            f"| {control.effective_from} | {_cell(control.superseded_by or 'current')} "
            f"| {control.last_reviewed} |"
        )


def _details(control: Control) -> Iterable[str]:
    yield f"### `{control.id}`: {control.title}"
    yield ""
    yield control.description
    yield ""
    yield f"- Package: `{control.package}` (`policies/{control.path}`)"
    yield f"- Remediation: {control.remediation}"
    if control.judges:
        yield f"- Judges: {', '.join(control.judges)}"
    if control.application:
        yield f"- Application: {control.application}"
    if control.generative_ai:
        yield f"- Fine-tuned (generative) LLMs: {control.generative_ai}"
    if control.legacy_citation:
        legacy = control.legacy_citation
        yield (
            f"- Legacy citation, only when `{legacy.get('switch', '')}`: "
            f"[{legacy.get('citation', '')}]({legacy.get('ref', '')}), effective "
            f"{legacy.get('effective_from', '')}, superseded by {legacy.get('superseded_by', '')}"
        )
    yield ""


#: Crosswalk columns: framework key in METADATA -> heading.
FRAMEWORKS = {"nist_ai_rmf": "NIST AI RMF 1.0", "iso_42001": "ISO/IEC 42001:2023 Annex A"}


def _crosswalk(controls: Sequence[Control]) -> Iterable[str]:
    yield "## Crosswalk: NIST AI RMF and ISO/IEC 42001"
    yield ""
    yield (
        "Gatehouse's own mapping (`custom.frameworks` in each control's METADATA), reviewed "
        "with the controls; not an official crosswalk. An empty cell means no subcategory or "
        "Annex A control is served directly."
    )
    yield ""
    yield "| id | " + " | ".join(FRAMEWORKS.values()) + " |"
    yield "| --- | " + " | ".join("---" for _ in FRAMEWORKS) + " |"
    for control in controls:
        cells = [", ".join(control.frameworks.get(key, ())) for key in FRAMEWORKS]
        yield f"| `{control.id}` | " + " | ".join(cells) + " |"
    yield ""
    for key, heading in FRAMEWORKS.items():
        served: dict[str, list[str]] = {}
        for control in controls:
            for entry in control.frameworks.get(key, ()):
                served.setdefault(entry, []).append(control.id)
        yield f"### By {heading}"
        yield ""
        yield from (
            f"- {entry}: {', '.join(f'`{cid}`' for cid in ids)}"
            for entry, ids in sorted(served.items())
        )
        yield ""


def render_controls_doc(controls: Sequence[Control], manual: Sequence[ManualControl] = ()) -> str:
    """The Markdown catalogue: per regulation a summary table, then each control's details."""
    lines = [
        "# Controls",
        "",
        "Generated from the policies' METADATA blocks and `policies/frameworks/*.yaml` by",
        "`gatehouse policy catalogue --markdown > docs/controls.md`; do not edit by hand",
        "(`tests/policy/test_controls_doc.py` fails when this file is stale).",
        "",
        "A control id is a stable key, not a citation: ids stay the same when the cited",
        "source changes, so decisions already in the ledger keep naming the control that",
        "made them. The citation column is what the control cites today.",
        "",
    ]
    for regulation in sorted({control.regulation for control in controls}):
        members = [control for control in controls if control.regulation == regulation]
        lines += [f"## {regulation}", "", *_summary_rows(members), ""]
        for control in members:
            lines += list(_details(control))
    lines += list(_crosswalk(controls))
    if manual:
        lines += [
            "## Manual controls",
            "",
            "Checked by a person with evidence; Gatehouse does not decide them.",
            "",
            "| id | regulation | citation | procedure |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{entry.id}` | {entry.regulation} | {_cell(entry.citation)} | {_cell(entry.procedure)} |"
            for entry in manual
        ]
        lines.append("")
    return "\n".join(lines)
