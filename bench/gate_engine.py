"""Bare policy-engine evaluation time of the production_promotion gate.

Prints p50/p99 (milliseconds) of one decision on:

- embedded: ``EmbeddedEngine.decide`` (regopy, compiled once per thread, plus the
  hop to the worker thread that enforces the deadline);
- opa: ``OpaServerEngine.decide`` against a real ``opa run --server`` started here
  on a loopback port (HTTP round trip included);
- baseline: regopy interpreting the same modules for every decision
  (``Interpreter.query``, no build reuse),

and the ratio of each to the baseline. The document is the credit promotion from
``app.policy.input_document.example_inputs`` (every pack applies: 22 controls).

Run: ``.venv/bin/python bench/gate_engine.py [--iterations N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from regopy import Input, Interpreter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.policy.bundle import PolicyBundle, load_bundle  # noqa: E402
from app.policy.embedded import EmbeddedEngine  # noqa: E402
from app.policy.input_document import example_inputs  # noqa: E402
from app.policy.opa_checks import find_opa_binary  # noqa: E402
from app.policy.opa_process import start_opa_server  # noqa: E402
from app.policy.opa_server import OpaServerEngine  # noqa: E402

GATE = "production_promotion"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of the samples, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def measure(call: Callable[[], object], iterations: int, warmup: int = 3) -> list[float]:
    """Wall time of each call after a few warm-up calls, in milliseconds."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def baseline_call(bundle: PolicyBundle, document: dict) -> Callable[[], object]:
    """Interpret the modules for every decision (what building once saves)."""
    interpreter = Interpreter()
    for path, source in bundle.modules:
        interpreter.add_module(path, source)
    interpreter.add_data(bundle.data)
    interpreter.set_input(Input(document))
    return lambda: interpreter.query(f"x = data.gates.{GATE}.decision")


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--baseline-iterations", type=int, default=30)
    arguments = parser.parse_args()

    bundle = load_bundle(policy_dir=ROOT / "policies")
    document = example_inputs()["credit_promotion_ready"].document()
    embedded = EmbeddedEngine(bundle=bundle, timeout_s=60, workers=1)
    assert embedded.decide(GATE, document).allow
    figures = {
        "embedded": measure(lambda: embedded.decide(GATE, document), arguments.iterations),
        "baseline": measure(
            baseline_call(bundle, document), arguments.baseline_iterations, warmup=1
        ),
    }
    embedded.close()

    binary = find_opa_binary()
    if binary is None:
        print("opa: no OPA binary, OPA server not measured")
    else:
        server = start_opa_server(binary)
        served = OpaServerEngine(bundle=bundle, url=server.url, timeout_s=60, workers=1)
        try:
            assert served.decide(GATE, document).allow
            figures["opa"] = measure(lambda: served.decide(GATE, document), arguments.iterations)
        finally:
            served.close()
            server.kill()

    baseline_p50, baseline_p99 = percentiles(figures["baseline"])
    print(f"gate {GATE}, {len(bundle.modules)} modules, bundle {bundle.hash[:12]}")
    print(f"{'engine':<10} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'p50/base':>9} {'p99/base':>9}")
    for name in ("embedded", "opa", "baseline"):
        if name not in figures:
            continue
        p50, p99 = percentiles(figures[name])
        print(
            f"{name:<10} {len(figures[name]):>5} {p50:>9.2f} {p99:>9.2f} "
            f"{p50 / baseline_p50:>9.3f} {p99 / baseline_p99:>9.3f}"
        )


if __name__ == "__main__":
    main()
