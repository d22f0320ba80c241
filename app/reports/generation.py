"""One call from plain data to a signed report: the entry point the registry uses.

``generate_report`` picks the kind's template, draws the kind's charts from the
context, renders the PDF in the time-limited worker and signs it. It reads no database
and knows no web framework: the registry's report service gathers the context (see
:mod:`app.reports.contexts`), calls this, then records and ledgers the result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from app.charts import bar_chart_svg, grouped_bar_chart_svg, stacked_bar_chart_svg
from app.ledger.anchors import ATTACHMENT_NAME, LedgerReference
from app.reports.errors import ReportContextError, UnknownReportKindError
from app.reports.identity import SigningIdentity
from app.reports.rendering import PdfAttachment, RenderOptions, render_html, render_pdf
from app.reports.signing import SignatureLevel, SigningOptions, sign_pdf

__all__ = ["REPORT_KINDS", "GeneratedReport", "ReportKind", "generate_report", "report_html"]

_SEVERITIES = ("critical", "high", "medium", "low", "info")
_MAX_IMPORTANCE_BARS = 15


@dataclass(frozen=True)
class ReportKind:
    """A kind of report: its template and the figures drawn from its context."""

    name: str
    """Stable identifier stored with each report (``model_card``, ...)."""

    label: str
    """What people call it."""

    template: str
    """Template file under ``templates/reports/``."""

    figures: Callable[[Mapping[str, Any]], dict[str, Any]]
    """Draws the kind's charts from the context; returns extra template variables."""


@dataclass(frozen=True)
class GeneratedReport:
    """A signed report, with what the registry records about it."""

    kind: str
    pdf: bytes
    sha256: str
    """SHA-256 of ``pdf`` (hex): what ``verify_pdf(expected_sha256=...)`` compares."""
    signer_subject: str
    signer_fingerprint_sha256: str
    signer_certificate_pem: str
    self_signed: bool
    signature_level: SignatureLevel
    page_count: int
    render_seconds: float
    sign_seconds: float


def _no_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Kinds whose content is tables and text only."""
    return {}


def _svg(markup: str) -> Markup:
    """Mark chart SVG from :mod:`app.charts` as safe to embed inline."""
    if not markup.startswith("<svg"):
        raise ReportContextError("a figure must be an <svg> element drawn by app.charts")
    return Markup(markup)


def _dataset_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Scan findings per entity type."""
    findings = context["scan"]["findings"]
    if not findings:
        return {"findings_chart": None}
    chart = bar_chart_svg(
        [finding["entity_type"] for finding in findings],
        [finding["count"] for finding in findings],
        title="PII/PHI findings per entity type",
        horizontal=True,
        value_format="{:,.0f}",
        axis_label="rows with a finding",
    )
    return {"findings_chart": _svg(chart)}


def _audit_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Selection rates with intervals and the four-fifths line; error rates; SHAP importance."""
    fairness_charts = []
    for table in context["fairness"]:
        groups = table["groups"]
        labels = [group["group"] for group in groups]
        rates = [group["selection_rate"] for group in groups]
        intervals = [group["selection_rate_ci"] for group in groups]
        highest = max((rate for rate in rates if rate == rate), default=0.0)
        selection = bar_chart_svg(
            labels,
            rates,
            title=f"Selection rate by {table['sensitive_feature']}",
            errors=intervals if all(interval is not None for interval in intervals) else None,
            threshold=table["four_fifths_threshold"] * highest,
            threshold_label=f"{table['four_fifths_threshold']:g} of the highest rate",
            value_format="{:.3f}",
        )
        error_rates = grouped_bar_chart_svg(
            labels,
            {
                "TPR": [group["true_positive_rate"] for group in groups],
                "FPR": [group["false_positive_rate"] for group in groups],
                "FNR": [group["false_negative_rate"] for group in groups],
                "accuracy": [group["accuracy"] for group in groups],
            },
            title=f"Error rates by {table['sensitive_feature']}",
        )
        fairness_charts.append({"selection": _svg(selection), "rates": _svg(error_rates)})
    explainability = context["explainability"]
    importance_chart = None
    if explainability is not None and explainability["global_importance"]:
        top = explainability["global_importance"][:_MAX_IMPORTANCE_BARS]
        importance_chart = _svg(
            bar_chart_svg(
                [item["feature"] for item in top],
                [item["importance"] for item in top],
                title="Global feature importance",
                horizontal=True,
                value_format="{:.3f}",
                axis_label="mean |SHAP value|",
            )
        )
    figures = [{**figure, "svg": _svg(figure["svg"])} for figure in context.get("figures", ())]
    return {
        "fairness_charts": fairness_charts,
        "importance_chart": importance_chart,
        "figures": figures,
    }


def _periodic_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Decisions per gate (allowed/denied) and open findings per severity."""
    decisions = context["decisions"]
    decisions_chart = None
    if decisions:
        gates = sorted({decision["gate"] for decision in decisions})
        allowed = Counter(decision["gate"] for decision in decisions if decision["allow"])
        denied = Counter(decision["gate"] for decision in decisions if not decision["allow"])
        decisions_chart = _svg(
            stacked_bar_chart_svg(
                gates,
                {
                    "allowed": [allowed[gate] for gate in gates],
                    "denied": [denied[gate] for gate in gates],
                },
                title="Gate decisions",
                horizontal=True,
            )
        )
    findings = context["open_findings"]
    findings_chart = None
    if findings:
        by_severity = Counter(finding["severity"] for finding in findings)
        present = [severity for severity in _SEVERITIES if by_severity[severity]]
        findings_chart = _svg(
            bar_chart_svg(
                present,
                [by_severity[severity] for severity in present],
                title="Open findings by severity",
                value_format="{:.0f}",
            )
        )
    return {"decisions_chart": decisions_chart, "findings_chart": findings_chart}


REPORT_KINDS: Mapping[str, ReportKind] = {
    kind.name: kind
    for kind in (
        ReportKind("model_card", "Model card", "model_card.html", _no_figures),
        ReportKind(
            "dataset_sheet", "Dataset compliance sheet", "dataset_sheet.html", _dataset_figures
        ),
        ReportKind("audit_report", "Audit report", "audit_report.html", _audit_figures),
        ReportKind(
            "promotion_evidence",
            "Promotion evidence pack",
            "promotion_evidence.html",
            _no_figures,
        ),
        ReportKind(
            "periodic_compliance",
            "Periodic compliance report",
            "periodic_compliance.html",
            _periodic_figures,
        ),
    )
}


def report_html(
    *,
    kind: str,
    context: Mapping[str, Any],
    identity: SigningIdentity,
    tsa_url: str | None = None,
    ledger_reference: LedgerReference | None = None,
) -> str:
    """The HTML a report is rendered from (the PDF's content before WeasyPrint)."""
    try:
        report_kind = REPORT_KINDS[kind]
    except KeyError:
        known = ", ".join(REPORT_KINDS)
        raise UnknownReportKindError(f"unknown report kind {kind!r} (known: {known})") from None
    try:
        figures = report_kind.figures(context)
    except KeyError as error:
        raise ReportContextError(f"{kind}: the context lacks {error.args[0]!r}") from error
    signing = {
        "subject": identity.subject,
        "fingerprint_sha256": identity.fingerprint_sha256,
        "self_signed": identity.self_signed,
        "timestamped": tsa_url is not None,
        "tsa_url": tsa_url,
    }
    return render_html(
        report_kind.template,
        {
            **context,
            **figures,
            "signing": signing,
            "kind_label": report_kind.label,
            "ledger_reference": None if ledger_reference is None else ledger_reference.as_context(),
        },
    )


def generate_report(
    *,
    kind: str,
    context: Mapping[str, Any],
    identity: SigningIdentity,
    tsa_url: str | None = None,
    render_options: RenderOptions | None = None,
    signing_options: SigningOptions | None = None,
    ledger_reference: LedgerReference | None = None,
) -> GeneratedReport:
    """Render the ``kind`` report from ``context`` and sign it with ``identity``.

    With ``tsa_url`` (or ``signing_options.tsa_url``) the signature is timestamped (PAdES
    B-T, B-LT when the chain can be validated offline); without, it is PAdES B-B. A
    ``ledger_reference`` (the ledger head and latest checkpoint) is printed on the cover
    and embedded as an attachment under the signature, so verification can check it.
    """
    render_options = render_options or RenderOptions()
    signing_options = signing_options or SigningOptions()
    if tsa_url is not None:
        signing_options = dataclasses.replace(signing_options, tsa_url=tsa_url)
    html = report_html(
        kind=kind,
        context=context,
        identity=identity,
        tsa_url=signing_options.tsa_url,
        ledger_reference=ledger_reference,
    )
    attachments = (
        ()
        if ledger_reference is None
        else (
            PdfAttachment(
                name=ATTACHMENT_NAME,
                data=ledger_reference.to_json().encode(),
                description="Gatehouse ledger head and latest signed checkpoint",
                created=context["meta"]["generated_at"],
            ),
        )
    )
    started = time.perf_counter()
    rendered = render_pdf(html, options=render_options, attachments=attachments)
    rendered_at = time.perf_counter()
    signed = sign_pdf(rendered.data, identity=identity, options=signing_options)
    signed_at = time.perf_counter()
    return GeneratedReport(
        kind=kind,
        pdf=signed.data,
        sha256=hashlib.sha256(signed.data).hexdigest(),
        signer_subject=identity.subject,
        signer_fingerprint_sha256=identity.fingerprint_sha256,
        signer_certificate_pem=identity.certificate_pem,
        self_signed=identity.self_signed,
        signature_level=signed.level,
        page_count=rendered.page_count,
        render_seconds=rendered_at - started,
        sign_seconds=signed_at - rendered_at,
    )
