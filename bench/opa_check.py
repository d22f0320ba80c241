"""What checking the OPA server by content costs a decision.

Against a real ``opa run --server`` started here locked down as documented (token
authentication, ``opa/system/authz.rego``), prints p50/p99 (milliseconds) of:

- baseline: the bare decision, ``POST /v1/data/gates/<gate>/decision`` (no check at all);
- decision+data: the ad-hoc query every decision makes (the decision and
  ``data.gatehouse`` from one evaluation), with the data compared in Python;
- modules check: every module's text (``GET /v1/policies``) compared with the bundle
  (made after every allow);
- full check: the modules, the data and the top-level names of ``data`` (made before
  the first decision and every ``recheck_s``);
- engine deny / engine allow: ``OpaServerEngine.decide`` end to end (a deny within the
  re-check interval makes one query; an allow adds the modules check),

and each one's ratio to the baseline. Documents: the credit promotion from
``app.policy.input_document.example_inputs`` (allowed, 22 controls) and the same without
its sign-offs (denied).

Run: ``.venv/bin/python bench/opa_check.py [--iterations N]``.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.config import OPA_AUTHZ_POLICY  # noqa: E402
from app.policy.bundle import load_bundle  # noqa: E402
from app.policy.input_document import example_inputs  # noqa: E402
from app.policy.opa_checks import find_opa_binary  # noqa: E402
from app.policy.opa_connection import GatehouseOpaClient  # noqa: E402
from app.policy.opa_content import expected_content, module_differences  # noqa: E402
from app.policy.opa_process import start_opa_server  # noqa: E402
from app.policy.opa_server import OpaServerEngine  # noqa: E402

GATE = "production_promotion"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of the samples, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def measure(calls: dict[str, Callable[[], object]], iterations: int) -> dict[str, list[float]]:
    """Wall time of each call, interleaved so that machine load hits all alike."""
    for call in calls.values():
        for _ in range(3):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(iterations):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    """Start a locked server, measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    arguments = parser.parse_args()
    binary = find_opa_binary()
    if binary is None:
        sys.exit("opa_check: no OPA binary (set GATEHOUSE_OPA_BINARY)")

    bundle = load_bundle(policy_dir=ROOT / "policies")
    allowed = example_inputs()["credit_promotion_ready"].document()
    denied = {**allowed, "approvals": []}
    token = secrets.token_urlsafe(32)
    server = start_opa_server(binary, token=token)
    engine = OpaServerEngine(
        bundle=bundle,
        url=server.url,
        token=token,
        timeout_s=60,
        workers=1,
        recheck_s=3600,
        system_sources=(OPA_AUTHZ_POLICY.read_text(encoding="utf-8"),),
    )
    expected = expected_content(bundle, (OPA_AUTHZ_POLICY.read_text(encoding="utf-8"),))
    engine_client = GatehouseOpaClient(url=server.url, token=token, timeout_s=60)
    try:
        engine.ensure_loaded()
        assert engine.decide(GATE, allowed).allow and not engine.decide(GATE, denied).allow
        # The bare decision needs the data API, which the shipped policy does not let
        # Gatehouse use: measure it on this benchmark's own, open, server.
        bare = start_opa_server(binary)
        bare_engine = OpaServerEngine(bundle=bundle, url=bare.url, timeout_s=60, workers=1)
        bare_engine.ensure_loaded()
        bare_client = GatehouseOpaClient(url=bare.url, token=None, timeout_s=60)
        held = '{m: v | some m in ["gatehouse"]; v := data[m]}'
        query = f"decision := data.gates.{GATE}.decision; held := {held}"
        figures = measure(
            {
                "baseline": lambda: bare_client.query_rule(allowed, f"gates.{GATE}", "decision"),
                "decision+data": lambda: engine_client.ad_hoc_query(query, input_data=allowed),
                "modules check": lambda: module_differences(
                    expected, engine_client.module_sources()
                ),
                "full check": engine.content_differences,
                "engine deny": lambda: engine.decide(GATE, denied),
                "engine allow": lambda: engine.decide(GATE, allowed),
            },
            arguments.iterations,
        )
        bare_client.close_connection()
        bare_engine.close()
        bare.kill()
    finally:
        engine_client.close_connection()
        engine.close()
        server.kill()

    base_p50, base_p99 = percentiles(figures["baseline"])
    print(
        f"gate {GATE}, {len(bundle.modules)} modules, locked OPA server, {arguments.iterations} rounds"
    )
    print(f"{'call':<14} {'p50 ms':>8} {'p99 ms':>8} {'p50/base':>9} {'p99/base':>9}")
    for name, samples in figures.items():
        p50, p99 = percentiles(samples)
        print(f"{name:<14} {p50:>8.2f} {p99:>8.2f} {p50 / base_p50:>9.2f} {p99 / base_p99:>9.2f}")


if __name__ == "__main__":
    main()
