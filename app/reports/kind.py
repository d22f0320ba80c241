"""The report-kind registry: one :class:`ReportKind` per module under ``app/reports/kinds/``.

A kind says everything the rest of Gatehouse needs to know about a report: what it is
called, which registry object it is about, how its context is read from the registry,
which template prints it, which charts it draws and which evidence it embeds. Each module in
:mod:`app.reports.kinds` registers its kind once with :func:`register_kind`; the modules
are imported the first time anyone asks for a kind (never at application import, so the
CLI starts quickly), and an import error there is raised, never skipped. Every door —
portal, API, CLI — lists and generates kinds through this registry only.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from app.models.vocabulary import LedgerSubject
from app.reports.errors import ReportContextError, UnknownReportKindError

if TYPE_CHECKING:  # the registry stays light to import: kinds load on first use
    from app.reports.attachments import EvidenceFile
    from app.reports.reader import Reader

__all__ = [
    "PERIOD_SUBJECT",
    "ReportKind",
    "no_evidence",
    "no_figures",
    "register_kind",
    "report_kind",
    "report_kinds",
    "svg",
    "unregister_kind",
]

#: The ``subject_type`` of kinds about a reporting period rather than one registry object.
PERIOD_SUBJECT = LedgerSubject.PERIOD


def no_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """For kinds whose content is tables and text only."""
    return {}


def no_evidence(reader: Reader, context: Mapping[str, Any]) -> Sequence[EvidenceFile]:
    """For kinds that embed no evidence beyond the ledger reference every report has."""
    return ()


@dataclass(frozen=True)
class ReportKind:
    """A kind of report: its name, subject, context builder and figures; its template is named
    after it."""

    name: str
    """Stable identifier stored with each report (``model_card``, ...)."""

    label: str
    """What people call it."""

    subject_type: LedgerSubject
    """The registry object it is about (``model_version``, ...) or :data:`PERIOD_SUBJECT`."""

    build: Callable[..., Mapping[str, Any]]
    """Reads the template's context from the registry: called as
    ``build(reader, subject_id=..., actor=..., generated_at=...)``, or with ``period=``
    instead of ``subject_id`` for a kind about a period."""

    figures: Callable[[Mapping[str, Any]], dict[str, Any]] = no_figures
    """Draws the kind's charts from the context; returns extra template variables."""

    evidence: Callable[[Reader, Mapping[str, Any]], Sequence[EvidenceFile]] = no_evidence
    """The machine-readable evidence the report embeds (:mod:`app.reports.attachments`):
    called with the reader and the built context, in the same unit of work. The one
    place a kind says what it attaches; every door's report carries the same files."""

    template_dirs: tuple[Path, ...] = ()
    """Folders searched for ``template`` before ``templates/reports`` (for a kind kept
    elsewhere, such as a test's fixture kind); its template still extends ``base.html``."""

    @property
    def template(self) -> str:
        """Its template file, ``<name>.html`` under ``templates/reports/`` (or a
        ``template_dirs`` folder): named after the kind, so no registration restates it."""
        return f"{self.name}.html"

    @property
    def about_a_period(self) -> bool:
        """Whether the report covers a period instead of one registry object."""
        return self.subject_type == PERIOD_SUBJECT


_kinds: dict[str, ReportKind] = {}
_discovered = False
_lock = threading.Lock()


def register_kind(kind: ReportKind) -> ReportKind:
    """Make ``kind`` known to every door; a second kind with the same name is refused."""
    existing = _kinds.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"report kind {kind.name!r} is registered twice")
    _kinds[kind.name] = kind
    return kind


def unregister_kind(name: str) -> None:
    """Forget a kind (tests that register a fixture kind clean up with this)."""
    _kinds.pop(name, None)


def _discover() -> None:
    """Import every module of :mod:`app.reports.kinds` once; each registers its kind."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        package = importlib.import_module("app.reports.kinds")
        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _discovered = True


def report_kinds() -> Mapping[str, ReportKind]:
    """Every registered kind by name, built-in kinds in module order."""
    _discover()
    return dict(_kinds)


def report_kind(name: str) -> ReportKind:
    """The kind called ``name``, or :class:`UnknownReportKindError` naming the known ones."""
    kinds = report_kinds()
    try:
        return kinds[name]
    except KeyError:
        known = ", ".join(kinds)
        raise UnknownReportKindError(f"unknown report kind {name!r} (known: {known})") from None


def svg(markup: str) -> Markup:
    """Mark chart SVG from :mod:`app.charts` as safe to embed inline."""
    if not markup.startswith("<svg"):
        raise ReportContextError("a figure must be an <svg> element drawn by app.charts")
    return Markup(markup)
