"""Warms the report fork server: importing this module renders one small report page.

Only :func:`app.reports.rendering._worker_context` imports it, as a preload of the fork
server that starts every render worker, so the work happens once per fork server and
never in the web process or the CLI. Each worker is a fresh fork of that server: a
server that has never rendered hands every worker cold caches (the packaged fonts
parsed and measured, the stylesheet and user-agent styles parsed, the PDF/A and
font-subsetting modules WeasyPrint imports on first use), and every report paid for them
again — about a third of a second on a nine-page evidence pack, the part of the
time-limited render a bare in-process render does not pay. Rendering a page here that
uses what reports use (the stylesheet, every packaged face, a table, an SVG chart, the
PDF/A-3a variant and the PDF/UA finisher) leaves those caches warm in the server, and
every worker inherits them.
"""

from __future__ import annotations

import contextlib

from weasyprint import HTML

from app.reports.accessibility import declare_pdf_ua
from app.reports.rendering import ASSET_DIR, PackagedAssetFetcher, RenderOptions

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Warm-up</title>
<link rel="stylesheet" href="report.css"></head>
<body><h1>Warm-up</h1>
<p>Regular <strong>bold</strong> <em>italic</em> <span class="hash">0123abcdef</span></p>
<table><thead><tr><th scope="col">Control</th><th scope="col" class="num">Value</th></tr></thead>
<tbody><tr><td>GDPR-ART22</td><td class="num">0.800</td></tr></tbody></table>
<figure><svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" role="img">
<title>bar</title><rect width="30" height="10" fill="#0072B2"/></svg>
<figcaption>Warm-up chart</figcaption></figure>
</body></html>"""


def _warm_up() -> None:
    """Render and write :data:`_PAGE` as reports are written; the PDF is discarded."""
    options = RenderOptions()
    document = HTML(
        string=_PAGE, base_url=ASSET_DIR.as_uri() + "/", url_fetcher=PackagedAssetFetcher()
    ).render(pdf_variant=options.pdf_variant)
    document.write_pdf(pdf_variant=options.pdf_variant, finisher=declare_pdf_ua)


# The fork server must start whatever happens here (cold caches are slower, not wrong):
# a real render reports its own error.
with contextlib.suppress(Exception):
    _warm_up()
