"""Layout defects an auditor found in rendered reports, checked on the real output.

The text checks read the signed PDFs (pypdf); the page-break checks lay the report's HTML
out with WeasyPrint, the renderer reports go through, and look at which page boxes each
table row landed on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from weasyprint import HTML
from weasyprint.formatting_structure import boxes as wp_boxes

from app.reports import GeneratedReport, SigningIdentity, generate_report
from app.reports.generation import report_html
from app.reports.rendering import ASSET_DIR, PackagedAssetFetcher
from tests.reports.conftest import pdf_text
from tests.reports.contexts import periodic_context, promotion_evidence_context


def _promotion_pdf_text(identity: SigningIdentity, **changes: Any) -> tuple[str, GeneratedReport]:
    context = {**promotion_evidence_context(), **changes}
    report = generate_report(kind="promotion_evidence", context=context, identity=identity)
    return pdf_text(report.pdf), report


def test_a_promotion_without_an_approval_request_says_so(identity: SigningIdentity) -> None:
    text, _ = _promotion_pdf_text(identity, approval_request=None, approvals=[])
    assert "No approval request exists for this promotion" in text
    assert "1 × model_risk, 1 × compliance_officer) are outstanding" in text
    assert "No votes recorded" not in text and "has voted" not in text


def test_a_request_without_votes_is_named(identity: SigningIdentity) -> None:
    text, _ = _promotion_pdf_text(identity, approvals=[])
    assert "Approval request #311 by pipeline:release-bot" in text
    assert "No approver has voted on request #311 yet." in text
    assert "No approval request exists" not in text


def test_the_ledger_excerpt_is_summarised_not_listed(identity: SigningIdentity) -> None:
    """300 events about a promotion give one summary (the full excerpt is an attachment),
    not pages of hashes."""
    context = promotion_evidence_context(ledger_events=300)
    ledger = context["ledger"]
    text, report = _promotion_pdf_text(identity, ledger=ledger)
    _, short = _promotion_pdf_text(identity, ledger=ledger[:8])
    first, last = ledger[0], ledger[-1]
    assert "The ledger hash chain verified when this pack was assembled." in text
    assert f"Events about this promotion 300, sequence {first['sequence']}" in text
    assert f"to {last['sequence']} (2026-11-25 13:00:00 UTC)" in text
    assert last["hash"] in text
    hashes = {entry[key] for entry in ledger for key in ("hash", "previous_hash", "payload_hash")}
    assert sorted(value for value in hashes if value in text) == sorted(
        [first["hash"], last["hash"]]
    )
    assert "attached to this PDF as gatehouse-ledger-excerpt.json" in text
    assert "gatehouse ledger export" in text
    assert "GET /api/v1/ledger/events" in text.replace("/ ", "/")  # the URL wraps
    assert report.page_count == short.page_count


def test_an_unverified_chain_is_said_plainly(identity: SigningIdentity) -> None:
    text, _ = _promotion_pdf_text(identity, ledger_verified=False)
    assert "The ledger hash chain did NOT verify when this pack was assembled." in text


def _overview_period(identity: SigningIdentity, period: dict[str, Any]) -> str:
    context = {**periodic_context(), "period": period}
    html = report_html(kind="periodic_compliance", context=context, identity=identity)
    row = re.search(r"<tr><th scope=\"row\">Period</th><td>(.*?)</td></tr>", html)
    assert row is not None
    return row.group(1)


def test_the_periodic_report_states_its_period_once(identity: SigningIdentity) -> None:
    custom = _overview_period(
        identity,
        {
            "start": dt.date(2026, 11, 1),
            "end": dt.date(2026, 11, 15),
            "label": "2026-11-01 to 2026-11-15",
        },
    )
    assert custom == "2026-11-01 to 2026-11-15"
    quarter = _overview_period(
        identity, {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 12, 31), "label": "Q4 2026"}
    )
    assert quarter == "2026-10-01 to 2026-12-31 (Q4 2026)"
    report = generate_report(
        kind="periodic_compliance",
        context={
            **periodic_context(),
            "period": {
                "start": dt.date(2026, 11, 1),
                "end": dt.date(2026, 11, 15),
                "label": "2026-11-01 to 2026-11-15",
            },
        },
        identity=identity,
    )
    text = pdf_text(report.pdf)
    assert "Period 2026-11-01 to 2026-11-15 Model versions" in text


def test_the_adverse_impact_ratio_is_called_by_its_name(
    reports: dict[str, GeneratedReport],
) -> None:
    for kind, report in reports.items():
        text = pdf_text(report.pdf)
        assert "parity ratio" not in text.lower(), kind
    assert "Adverse impact ratio (lowest ÷ highest selection rate)" in pdf_text(
        reports["audit_report"].pdf
    )


def _rows_by_page(html: str) -> Iterator[tuple[int, Any, Any, bool]]:
    """``(page, table element, row element, row is in the table head)`` for every row box."""
    document = HTML(
        string=html, base_url=ASSET_DIR.as_uri() + "/", url_fetcher=PackagedAssetFetcher()
    ).render()

    def walk(box: Any, table: Any, head: bool) -> Iterator[tuple[Any, Any, bool]]:
        if isinstance(box, wp_boxes.TableBox):
            table = box.element
        if isinstance(box, wp_boxes.TableRowGroupBox):
            head = box.is_header
        if isinstance(box, wp_boxes.TableRowBox):
            yield table, box.element, head
        for child in getattr(box, "children", ()):
            yield from walk(child, table, head)

    for number, page in enumerate(document.pages):
        for table, row, head in walk(page._page_box, None, False):
            yield number, table, row, head


def test_tables_never_cut_a_row_and_repeat_their_header(identity: SigningIdentity) -> None:
    """A long controls table runs over pages: each page repeats its header, no row is cut,
    and the short tables (facts, approvals) stay on one page."""
    context = promotion_evidence_context(controls=60, ledger_events=300)
    html = report_html(kind="promotion_evidence", context=context, identity=identity)
    pages_of_row: dict[Any, set[int]] = defaultdict(set)
    pages_of_table: dict[Any, set[int]] = defaultdict(set)
    header_pages: dict[Any, set[int]] = defaultdict(set)
    for page, table, row, head in _rows_by_page(html):
        pages_of_table[table].add(page)
        if head:
            header_pages[table].add(page)
        else:
            pages_of_row[row].add(page)
    assert all(len(pages) == 1 for pages in pages_of_row.values())
    split = [table for table, pages in pages_of_table.items() if len(pages) > 1]
    assert split, "60 controls must run over a page"
    for table in split:
        assert header_pages[table] == pages_of_table[table]
        assert "facts" not in (table.get("class") or "")
        assert "keep" not in (table.get("class") or "")
