"""HTML → PDF for reports: Jinja templates, a closed asset fetcher, a time-limited worker.

Three guarantees, and how they are kept:

* **Nothing leaves the machine.** WeasyPrint fetches every stylesheet, font and image
  through :class:`PackagedAssetFetcher`, which serves files under
  ``templates/reports/assets/`` and refuses every other URL (http, https, ftp, data,
  files elsewhere) by stopping the render: a report that silently lost an image would
  still be signed, so a refused URL is an error, not a warning.
* **Rendering ends.** WeasyPrint has no time limit and a pathological document can lay
  out for minutes, so each render runs in a child process started from a
  ``forkserver`` that has WeasyPrint imported already (a fresh child costs tens of
  milliseconds, not the second an import takes). The parent waits up to
  ``RenderOptions.timeout_seconds`` for the result and kills the child after that.
  A thread could not be stopped, and forking the (possibly multi-threaded) web
  process directly is unsafe, hence the fork server.
* **The same data gives the same document.** Templates autoescape, fail on any
  missing field (``StrictUndefined``), and the PDF's dates come from the context's
  ``generated_at``, never from the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
import multiprocessing.connection
import re
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from markupsafe import Markup, escape
from weasyprint import HTML, Attachment, Document
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from app.reports.accessibility import declare_pdf_ua
from app.reports.errors import (
    AssetRefusedError,
    RenderFailedError,
    RenderTimeoutError,
    ReportContextError,
)

__all__ = [
    "ASSET_DIR",
    "SIGNATURE_ANCHOR",
    "TEMPLATE_DIR",
    "PackagedAssetFetcher",
    "PdfAttachment",
    "RenderOptions",
    "RenderedPdf",
    "SignatureBox",
    "render_html",
    "render_pdf",
]

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "reports"
ASSET_DIR = TEMPLATE_DIR / "assets"

SIGNATURE_ANCHOR = "signature-appearance"
"""Id of the element on the cover that reserves the visible signature's place."""

_POINTS_PER_CSS_PIXEL = 0.75

_MEDIA_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".icc": "application/vnd.iccprofile",
}


@dataclass(frozen=True)
class RenderOptions:
    """How HTML becomes a PDF."""

    timeout_seconds: float = 60.0
    """Wall-clock limit for one render; the worker is killed after it."""

    pdf_variant: str | None = "pdf/a-3a"
    """WeasyPrint PDF variant. PDF/A-3a keeps reports readable in archives and tags
    them (structure tree, language, alt text); ``None`` writes plain, untagged PDF."""

    pdf_ua: bool = True
    """Also declare PDF/UA-1 (:mod:`app.reports.accessibility`); needs a tagged variant
    that writes XMP metadata (``pdf/a-2a``, ``pdf/a-3a``)."""


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (PDF/A-3 associated file), covered by the signature."""

    name: str
    data: bytes
    description: str
    created: dt.datetime
    """Written as the file's dates, so the same data gives the same document."""


@dataclass(frozen=True)
class SignatureBox:
    """Where the cover reserved room for the visible signature."""

    page: int
    """Zero-based page index."""

    rect: tuple[float, float, float, float]
    """``(x1, y1, x2, y2)`` in PDF points from the page's lower-left corner."""

    @property
    def points(self) -> tuple[int, int, int, int]:
        """``rect`` rounded to whole points, as pyHanko's field spec takes it."""
        x1, y1, x2, y2 = (round(value) for value in self.rect)
        return (x1, y1, x2, y2)


@dataclass(frozen=True)
class RenderedPdf:
    """The unsigned PDF WeasyPrint produced."""

    data: bytes
    """The PDF file."""

    page_count: int
    """Number of pages laid out."""

    signature_box: SignatureBox | None = None
    """Where the template placed :data:`SIGNATURE_ANCHOR`; ``None`` if it has none."""


class _RefusedURL(FatalURLFetchingError):
    """Raised inside WeasyPrint to stop the render at the first refused URL."""


class PackagedAssetFetcher(URLFetcher):
    """URL fetcher that serves only files below the packaged asset directory."""

    def __init__(self, asset_dir: Path = ASSET_DIR) -> None:
        """Serve files from ``asset_dir`` and nothing else."""
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self._root = asset_dir.resolve()

    def resolve(self, url: str) -> Path:
        """The asset file ``url`` names, or :class:`AssetRefusedError` if it is not one."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise AssetRefusedError(f"report asset refused (only packaged assets): {url}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            raise AssetRefusedError(f"report asset refused (not a packaged asset): {url}")
        return path

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the packaged file for ``url``; stop the render for anything else."""
        try:
            path = self.resolve(url)
        except AssetRefusedError as error:
            raise _RefusedURL(str(error)) from None
        media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": media_type}
        )


def _paragraphs(text: str | None) -> Markup:
    """Plain text → ``<p>`` per blank-line-separated paragraph, escaped."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in block.split("\n")))
        for block in blocks
    )


def _when(value: dt.datetime | dt.date | str | None) -> str:
    """Dates and times as reports print them: ISO 8601, times in UTC with the zone."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ReportContextError(f"naive datetime {value.isoformat()} in report context")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _number(value: float | int | None, spec: str = ".3f") -> str:
    """Numbers with a fixed format; ``—`` for missing and ``n/a`` for undefined (nan)."""
    if value is None:
        return "—"
    if isinstance(value, float) and value != value:
        return "n/a"
    return format(value, spec)


def _percent(value: float | None, digits: int = 1) -> str:
    """A rate in [0, 1] as a percentage."""
    if value is None:
        return "—"
    if value != value:
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def _short_hash(value: str | None, length: int = 16) -> str:
    """The start of a hex digest, enough to recognise it in a table."""
    if not value:
        return "—"
    return value[:length] + ("…" if len(value) > length else "")


def _w3c(value: dt.datetime) -> str:
    """Date-time for ``<meta name=dcterms.created>`` (WeasyPrint writes it to the PDF)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.cache
def _environment(extra_dirs: tuple[Path, ...] = ()) -> jinja2.Environment:
    """The report template environment, built once per process and search path.

    ``extra_dirs`` are searched first: a report kind kept outside ``templates/reports``
    (an extension's, a test's fixture kind) still extends ``base.html``.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*extra_dirs, TEMPLATE_DIR]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        paragraphs=_paragraphs,
        when=_when,
        number=_number,
        percent=_percent,
        short_hash=_short_hash,
        w3c=_w3c,
    )
    return environment


def render_html(
    template_name: str, context: Mapping[str, Any], *, template_dirs: tuple[Path, ...] = ()
) -> str:
    """Fill a report template; a field the template needs but the context lacks is an error."""
    try:
        return _environment(template_dirs).get_template(template_name).render(context)
    except jinja2.UndefinedError as error:
        raise ReportContextError(f"{template_name}: {error.message}") from error


def _signature_box(document: Document) -> SignatureBox | None:
    """The laid-out rectangle of :data:`SIGNATURE_ANCHOR`, in PDF coordinates."""
    for index, page in enumerate(document.pages):
        if SIGNATURE_ANCHOR in page.anchors:
            x1, y1, x2, y2 = page.anchors[SIGNATURE_ANCHOR]
            height = page.height
            scale = _POINTS_PER_CSS_PIXEL
            return SignatureBox(
                page=index,
                rect=(x1 * scale, (height - y2) * scale, x2 * scale, (height - y1) * scale),
            )
    return None


def _render_in_worker(
    html: str,
    options: RenderOptions,
    attachments: tuple[PdfAttachment, ...],
    connection: multiprocessing.connection.Connection,
) -> None:
    """Child-process body: lay out and write the PDF, send back the outcome."""
    try:
        document = HTML(
            string=html, base_url=ASSET_DIR.as_uri() + "/", url_fetcher=PackagedAssetFetcher()
        ).render(pdf_variant=options.pdf_variant)
        embedded = [
            Attachment(
                string=item.data.decode("utf-8"),
                name=item.name,
                description=item.description,
                created=item.created,
                modified=item.created,
                relationship="Data",
                url_fetcher=PackagedAssetFetcher(),
            )
            for item in attachments
        ]
        data = document.write_pdf(
            pdf_variant=options.pdf_variant,
            attachments=embedded,
            finisher=declare_pdf_ua if options.pdf_ua else None,
        )
        connection.send(("ok", data, (len(document.pages), _signature_box(document))))
    except _RefusedURL as error:
        connection.send(("refused", str(error), None))
    except Exception as error:  # reported to the parent, which raises a typed error
        connection.send(("failed", f"{type(error).__name__}: {error}", None))
    finally:
        connection.close()


@functools.cache
def _worker_context() -> ForkServerContext:
    """A fork-server context whose server has WeasyPrint and this module imported, and
    has rendered once (:mod:`app.reports.render_warmup`) so workers start warm."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", __name__, "app.reports.render_warmup"])
    return context


def render_pdf(
    html: str,
    *,
    options: RenderOptions | None = None,
    attachments: tuple[PdfAttachment, ...] = (),
) -> RenderedPdf:
    """Render ``html`` to PDF in a child process, killed after ``options.timeout_seconds``."""
    options = options or RenderOptions()
    context = _worker_context()
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_render_in_worker,
        args=(html, options, attachments, sender),
        name="gatehouse-report-render",
        daemon=True,
    )
    worker.start()
    sender.close()
    finished = False
    try:
        finished = receiver.poll(options.timeout_seconds)
        if not finished:
            raise RenderTimeoutError(
                f"rendering took longer than {options.timeout_seconds:g} s and was stopped"
            )
        try:
            status, payload, layout = receiver.recv()
        except EOFError as error:
            raise RenderFailedError(
                f"the render worker died (exit code {worker.exitcode})"
            ) from error
    finally:
        receiver.close()
        worker.join(timeout=5 if finished else 0)
        if worker.is_alive():
            worker.kill()
            worker.join()
    if status == "refused":
        raise AssetRefusedError(payload)
    if status == "failed":
        raise RenderFailedError(f"WeasyPrint failed: {payload}")
    page_count, signature_box = layout
    return RenderedPdf(data=payload, page_count=page_count, signature_box=signature_box)
