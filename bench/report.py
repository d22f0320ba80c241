"""Benchmark: a signed promotion evidence pack, and a year's periodic report at scale.

1. A promotion evidence pack (100 controls, 350 ledger events): the render, sign and
   verify times of the production path (WeasyPrint in the time-limited fork-server
   worker, then pyHanko PAdES B-B with the visible signature) and their ratio to a bare
   in-process WeasyPrint render of the same HTML with the same options. Goal: <= 1.5x.
2. The periodic compliance report for 2026 on a registry seeded in bulk
   (``bench/seeding.py``) at the size that once failed: 100,000 ledger events, 12,698
   decisions, 5,834 pending approval requests, 10,000 runs, 1,000 models. Prints the
   time to gather the context, the HTML size, the render and sign times, the pages, the
   size of the embedded listings and the render worker's peak memory. Goal: the whole
   report within the 60 s render limit, with a page count a person reads.

Run: ``.venv/bin/python bench/report.py [--repeat N] [--skip-periodic]``. The data are
the realistic test contexts (tests/reports/contexts.py) scaled up and the bulk seeding;
nothing is fetched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weasyprint import HTML

from app.config import settings_for_tests
from app.db import build_engine, session_scope
from app.ledger.anchors import current_reference
from app.migrations import upgrade
from app.policy.catalogue import load_catalogue
from app.reports import ensure_self_signed_identity, verify_pdf
from app.reports.generation import report_html
from app.reports.identity import SigningIdentity
from app.reports.prepared import Period, ReportRequest
from app.reports.rendering import (
    ASSET_DIR,
    PackagedAssetFetcher,
    RenderOptions,
    render_pdf,
)
from app.reports.service import build_context, render_report
from app.reports.signing import SigningOptions, sign_pdf
from bench.ledger import seed as seed_ledger
from bench.seeding import Scale, seed_registry
from tests.reports.contexts import ORGANISATION, promotion_evidence_context

Result = TypeVar("Result")

#: The registry at the size whose periodic report once failed (issue 16).
PERIODIC_SCALE = Scale(
    runs=10_000,
    models=1_000,
    decisions=12_698,
    requests=11_668,
    datasets=100,
    start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    end=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
    indeterminate_every=97,
    audits=200,
    red_team=150,
    erasures=20,
)
LEDGER_EVENTS = 100_000
YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def timed(action: Callable[[], Result]) -> tuple[float, Result]:
    """Seconds taken by ``action`` and its result."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _descendants(root: int) -> list[int]:
    """Process ids below ``root`` (the fork server and the render workers it starts)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _high_water_kib(pid: int) -> int:
    """A process's peak resident memory so far (``VmHWM``), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def with_peak_worker_memory(action: Callable[[], Result]) -> tuple[int, Result]:
    """Run ``action`` and return the highest peak memory (KiB) any render worker reached,
    read from /proc every 20 ms (workers are children of the fork server, not of us)."""
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            for pid in _descendants(os.getpid()):
                peak = max(peak, _high_water_kib(pid))
            done.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = action()
    finally:
        done.set()
        watcher.join()
    return peak, result


def promotion_pack(identity: SigningIdentity, repeat: int) -> None:
    """Render, sign and verify the evidence pack; print its figures and the ratio."""
    options = RenderOptions()
    context = promotion_evidence_context(controls=100, ledger_events=350)
    html = report_html(kind="promotion_evidence", context=context, identity=identity)

    def bare() -> bytes:
        document = HTML(
            string=html, base_url=ASSET_DIR.as_uri() + "/", url_fetcher=PackagedAssetFetcher()
        )
        return document.write_pdf(pdf_variant=options.pdf_variant)

    cold_worker, first = timed(lambda: render_pdf(html, options=options))
    bare()  # warm-up: fonts and caches, as in a long-running server
    bare_times, render_times, sign_times, verify_times = [], [], [], []
    for _ in range(repeat):
        bare_times.append(timed(bare)[0])
        render_seconds, rendered = timed(lambda: render_pdf(html, options=options))
        render_times.append(render_seconds)
        sign_seconds, signed = timed(
            lambda rendered=rendered: sign_pdf(
                rendered.data,
                identity=identity,
                options=SigningOptions(),
                box=rendered.signature_box,
            )
        )
        sign_times.append(sign_seconds)
        verify_seconds, verdict = timed(lambda signed=signed: verify_pdf(signed.data))
        verify_times.append(verify_seconds)
        assert verdict.intact, verdict.problems

    bare_median = statistics.median(bare_times)
    render_median = statistics.median(render_times)
    sign_median = statistics.median(sign_times)
    verify_median = statistics.median(verify_times)
    ratio = (render_median + sign_median) / bare_median
    print(f"evidence pack: {first.page_count} pages, {len(signed.data) / 1024:.0f} KiB signed")
    print(f"bare WeasyPrint render (in process):  {bare_median:.3f} s")
    print(f"render in time-limited worker:        {render_median:.3f} s")
    print(f"  first render (starts fork server):  {cold_worker:.3f} s")
    print(f"sign (PAdES B-B, RSA-3072, visible):  {sign_median:.3f} s")
    print(f"verify:                               {verify_median:.3f} s")
    print(f"ratio signed total / bare render:     {ratio:.2f}x (goal <= 1.50x)")


def periodic_at_scale(identity: SigningIdentity, work: Path) -> None:
    """Seed the registry at :data:`PERIODIC_SCALE`, then gather, render and sign the year."""
    work.mkdir()
    settings = settings_for_tests(work)
    upgrade(settings.database_url)
    engine = build_engine(settings.database_url)
    controls = [control.id for control in load_catalogue(policy_dir=settings.policy_dir)]
    seeded, _ = timed(
        lambda: (
            seed_ledger(engine, LEDGER_EVENTS),
            seed_registry(engine, PERIODIC_SCALE, controls),
        )
    )
    with session_scope(engine) as session:
        gather_seconds, prepared = timed(
            lambda: build_context(
                session=session,
                settings=settings,
                request=ReportRequest("periodic_compliance", period=YEAR),
                actor="olivia",
            )
        )
        reference = current_reference(session=session)
    engine.dispose()
    html = report_html(
        kind="periodic_compliance",
        context=prepared.context,
        identity=identity,
        ledger_reference=reference,
    )
    peak_kib, (total_seconds, generated) = with_peak_worker_memory(
        lambda: timed(
            lambda: render_report(settings=settings, prepared=prepared, ledger_reference=reference)
        )
    )
    listings = prepared.context["listings"].values()
    rows = sum(len(listing["rows"]) for listing in listings)
    scale = PERIODIC_SCALE
    print(
        f"periodic report for {YEAR.label}: {LEDGER_EVENTS:,} ledger events, "
        f"{scale.decisions:,} decisions, {(scale.requests + 1) // 2:,} pending approval "
        f"requests, {scale.runs:,} runs, {scale.models:,} models (bulk seeding {seeded:.1f} s)"
    )
    print(f"gather the context:                   {gather_seconds:.2f} s")
    print(f"HTML:                                 {len(html) / 1024:.0f} KiB")
    print(f"embedded listings:                    {len(listings)} files, {rows:,} rows")
    print(f"render in time-limited worker:        {generated.render_seconds:.2f} s")
    print(f"sign:                                 {generated.sign_seconds:.2f} s")
    print(f"render + sign:                        {total_seconds:.2f} s (goal <= 60 s)")
    print(f"pages:                                {generated.page_count}")
    print(f"signed PDF:                           {len(generated.pdf) / 1024:.0f} KiB")
    print(f"render worker peak memory:            {peak_kib / 1024:.0f} MiB")


def main() -> None:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument(
        "--skip-periodic", action="store_true", help="only the evidence pack (seconds)"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        identity = ensure_self_signed_identity(work / "signing.p12", organisation=ORGANISATION)
        promotion_pack(identity, arguments.repeat)
        if not arguments.skip_periodic:
            periodic_at_scale(identity, work / "periodic")
    # Other work on the machine stretches every wall-clock figure above alike.
    print(
        f"load average (1 min) at the end:      {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
