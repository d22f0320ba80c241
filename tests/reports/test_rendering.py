"""Rendering: only packaged assets are fetched, and a render cannot run forever."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from pathlib import Path

import pytest

from app.reports.errors import AssetRefusedError, RenderTimeoutError, ReportContextError
from app.reports.generation import report_html
from app.reports.identity import SigningIdentity
from app.reports.rendering import ASSET_DIR, PackagedAssetFetcher, RenderOptions, render_pdf
from tests.reports.contexts import periodic_context


def test_fetcher_serves_packaged_assets() -> None:
    fetcher = PackagedAssetFetcher()
    response = fetcher.fetch((ASSET_DIR / "report.css").as_uri())
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    font = fetcher.fetch((ASSET_DIR / "fonts" / "DejaVuSans.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"  # a TrueType file


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/report.css",
        "ftp://example.com/x",
        "data:text/css,body{}",
        "file:///etc/passwd",
        (ASSET_DIR / ".." / "base.html").as_uri(),
        ASSET_DIR.as_uri() + "/../../../app/reports/identity.py",
        ASSET_DIR.as_uri() + "/fonts/",
        "file://evil.example.com" + str(ASSET_DIR / "report.css"),
    ],
)
def test_fetcher_refuses_everything_else(url: str) -> None:
    with pytest.raises(AssetRefusedError):
        PackagedAssetFetcher().resolve(url)


def test_symlink_out_of_the_assets_is_refused(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (assets / "innocent.css").symlink_to(secret)
    with pytest.raises(AssetRefusedError):
        PackagedAssetFetcher(assets).resolve((assets / "innocent.css").as_uri())


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="http://127.0.0.1:9/tracker.png">',
        '<link rel="stylesheet" href="https://fonts.example.com/css">',
        '<link rel="stylesheet" href="file:///etc/hosts">',
        "<style>@import url(http://example.com/x.css);</style>",
        '<p style="background: url(file:///etc/passwd)">x</p>',
    ],
)
def test_render_stops_at_a_refused_url(markup: str) -> None:
    with pytest.raises(AssetRefusedError):
        render_pdf(f"<html><body><p>report</p>{markup}</body></html>")


def test_render_past_its_deadline_is_stopped_and_the_worker_killed() -> None:
    rows = "".join(f"<tr><td>{n}</td><td>{'word ' * 40}</td></tr>" for n in range(20_000))
    html = f"<table>{rows}</table>"
    started = time.perf_counter()
    with pytest.raises(RenderTimeoutError):
        render_pdf(html, options=RenderOptions(timeout_seconds=1.0))
    assert time.perf_counter() - started < 10
    assert not [
        child
        for child in multiprocessing.active_children()
        if child.name == "gatehouse-report-render"
    ]


def test_naive_datetimes_are_refused(identity: SigningIdentity) -> None:
    context = periodic_context()
    context["meta"]["generated_at"] = dt.datetime(2026, 11, 26, 7, 30)
    with pytest.raises(ReportContextError, match="naive"):
        report_html(kind="periodic_compliance", context=context, identity=identity)
