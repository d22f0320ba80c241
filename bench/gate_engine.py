"""Policy-engine evaluation time of the production_promotion gate, and of every control.

Seeds the whole demo registry (as ``bench/gate.py`` does), builds the production_promotion
input of each demo deployment and measures on the largest one. Prints p50/p99 in
milliseconds of:

- embedded: ``EmbeddedEngine.decide`` (the OPA-compiled wasm module in process,
  input serialisation and the result's shape check included);
- opa server: ``OpaServerEngine.decide`` against a real ``opa run --server`` on a
  loopback port, locked down as documented (HTTP round trip and the content check
  every allow makes included; ``bench/opa_check.py`` breaks that down);
- opa evaluator: OPA's own evaluator on the same input (``opa bench``), the baseline,

with each one's ratio to the baseline, then the same ``opa bench`` figure for every
control's ``outcome`` on its own, slowest first, so a heavy control is visible.

Run: ``.venv/bin/python bench/gate_engine.py [--iterations N] [--skip-controls]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.config import OPA_AUTHZ_POLICY, settings_for_tests  # noqa: E402
from app.policy.bundle import load_bundle  # noqa: E402
from app.policy.catalogue import load_catalogue  # noqa: E402
from app.policy.factory import build_engine  # noqa: E402
from app.policy.opa_checks import find_opa_binary  # noqa: E402
from app.policy.opa_process import start_opa_server  # noqa: E402
from app.policy.opa_server import OpaServerEngine  # noqa: E402
from bench.gate import largest_demo_input, seed  # noqa: E402

GATE = "production_promotion"
POLICY_DIR = ROOT / "policies"
#: The OPA token of the benchmark's own server.
BENCH_OPA_TOKEN = "gatehouse-bench-token"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of the samples, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def measure(call: Callable[[], object], iterations: int, warmup: int = 20) -> list[float]:
    """Wall time of each call after a few warm-up calls, in milliseconds."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def opa_bench(opa: Path, query: str, input_path: Path) -> tuple[float, float]:
    """OPA's own evaluator on ``query``: p50 and p99 (ms) of its query-eval timer."""
    done = subprocess.run(
        [
            str(opa),
            "bench",
            "--format",
            "json",
            "--benchmem=false",
            "--ignore",
            "*_test.rego",
            "--data",
            ".",
            "--input",
            str(input_path),
            query,
        ],
        cwd=POLICY_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    extra = json.loads(done.stdout)["Extra"]
    return (
        extra["histogram_timer_rego_query_eval_ns_median"] / 1e6,
        extra["histogram_timer_rego_query_eval_ns_99%"] / 1e6,
    )


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--skip-controls", action="store_true", help="no per-control figures")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        settings = settings_for_tests(work)
        seed(settings, work)
        _, document = largest_demo_input(settings)
        input_path = work / "input.json"
        input_path.write_bytes(orjson.dumps(document))
        bundle = load_bundle(policy_dir=POLICY_DIR)
        embedded = build_engine(kind="embedded", policy_dir=POLICY_DIR, timeout_s=60)
        expected = embedded.decide(GATE, document)
        assert expected.error is None, expected.error
        figures: dict[str, tuple[float, float]] = {
            "embedded": percentiles(
                measure(lambda: embedded.decide(GATE, document), arguments.iterations)
            )
        }
        embedded.close()

        binary = find_opa_binary()
        controls: list[tuple[str, float, float]] = []
        if binary is None:
            print("no OPA binary: OPA server and OPA evaluator not measured")
        else:
            # Locked down as documented; the allow below includes the module check it costs.
            server = start_opa_server(binary, token=BENCH_OPA_TOKEN)
            served = OpaServerEngine(
                bundle=bundle,
                url=server.url,
                token=BENCH_OPA_TOKEN,
                timeout_s=60,
                workers=1,
                system_sources=(OPA_AUTHZ_POLICY.read_text(encoding="utf-8"),),
            )
            try:
                assert served.decide(GATE, document).result() == expected.result()
                figures["opa server"] = percentiles(
                    measure(lambda: served.decide(GATE, document), arguments.iterations)
                )
            finally:
                served.close()
                server.kill()
            figures["opa evaluator"] = opa_bench(binary, f"data.gates.{GATE}.decision", input_path)
            if not arguments.skip_controls:
                for control in load_catalogue(policy_dir=POLICY_DIR):
                    p50, p99 = opa_bench(binary, f"data.{control.package}.outcome", input_path)
                    controls.append((control.id, p50, p99))

    size = len(orjson.dumps(document))
    print(
        f"gate {GATE}, {len(bundle.modules)} modules, bundle {bundle.hash[:12]}, "
        f"input {size} bytes ({len(document['datasets'])} datasets, "
        f"{len(document['evaluations'])} evaluations), {len(expected.controls)} controls "
        f"applied, allow={expected.allow}"
    )
    baseline = figures.get("opa evaluator")
    print(f"{'engine':<15} {'p50 ms':>9} {'p99 ms':>9} {'p50/opa eval':>13}")
    for name, (p50, p99) in figures.items():
        ratio = f"{p50 / baseline[0]:>13.3f}" if baseline else f"{'-':>13}"
        print(f"{name:<15} {p50:>9.3f} {p99:>9.3f} {ratio}")
    print("goal: embedded p50 <= 1 ms")
    if controls:
        print("\nOPA evaluator per control outcome (opa bench), slowest first")
        print(f"{'control':<24} {'p50 ms':>9} {'p99 ms':>9}")
        for control_id, p50, p99 in sorted(controls, key=lambda row: -row[1]):
            print(f"{control_id:<24} {p50:>9.3f} {p99:>9.3f}")


if __name__ == "__main__":
    main()
