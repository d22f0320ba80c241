"""Benchmark: the fairness audit against a bare fairlearn MetricFrame, plus bootstrap and SHAP.

Production decision logs are millions of rows audited nightly. This prints, on 1,000,000
rows resampled from UCI Adult (sensitive: sex, race, age band and their intersection;
six metrics: selection rate, accuracy, TPR, FPR, FNR, precision):

- the audit's metric time (``run_fairness_audit`` without bootstrap) and its peak memory,
- the bare ``MetricFrame`` time for the same metrics on the same data, and the ratio
  (goal: at least 50 times faster, peak memory at most 2 GB),
- the bootstrap time per 100 resamples (unweighted, and with per-row census weights),
- SHAP TreeExplainer time per 1,000 explained rows (100-tree depth-3 gradient boosting on
  one-hot Adult features).

``MetricFrame`` takes about a minute here; ``--quick`` measures it on a 100,000-row
subsample and scales the time linearly to the full size (its cost is a per-row loop), and
says so in the output. Run: ``.venv/bin/python bench/audit.py [--quick]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, precision_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audits.datasets import load_adult
from app.audits.explain import run_explainability_audit
from app.audits.fairness import run_fairness_audit

ROWS = 1_000_000
QUICK_ROWS = 100_000
SENSITIVE = ["sex", "race", "age_band"]
CATEGORICAL = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]
NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
METRICS = {
    "selection_rate": partial(selection_rate, pos_label=1),
    "accuracy": accuracy_score,
    "true_positive_rate": partial(true_positive_rate, pos_label=1),
    "false_positive_rate": partial(false_positive_rate, pos_label=1),
    "false_negative_rate": partial(false_negative_rate, pos_label=1),
    "precision": partial(precision_score, zero_division=0),
}


def _peak_resident_bytes() -> int:
    """This process's peak resident memory (VmHWM; ru_maxrss can carry a parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _model_and_decisions() -> tuple[GradientBoostingClassifier, pd.DataFrame, pd.DataFrame]:
    """Train the benchmark model on Adult and return it, its one-hot features and decisions."""
    adult = load_adult()
    features = pd.get_dummies(adult[NUMERIC + CATEGORICAL], columns=CATEGORICAL, dtype=float)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0)
    model.fit(features, adult["income_over_50k"])
    adult["y_pred"] = model.predict(features)
    adult["age_band"] = adult["age_band"].astype("str")
    return model, features, adult


def _resample(adult: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``rows`` decisions drawn with replacement from Adult (seeded)."""
    index = np.random.default_rng(0).integers(0, len(adult), rows)
    columns = ["income_over_50k", "y_pred", "fnlwgt", *SENSITIVE]
    return adult[columns].iloc[index].reset_index(drop=True)


def _audit_time(frame: pd.DataFrame, **options: Any) -> float:
    """Seconds for one fairness audit of ``frame`` (sex, race, age band, intersection)."""
    start = time.perf_counter()
    run_fairness_audit(
        frame, y_true="income_over_50k", y_pred="y_pred", sensitive=SENSITIVE, **options
    )
    return time.perf_counter() - start


def _metric_frame_time(frame: pd.DataFrame) -> float:
    """Seconds for bare MetricFrames with the same metrics, per feature and intersection."""
    y_true = frame["income_over_50k"].to_numpy()
    y_pred = frame["y_pred"].to_numpy()
    start = time.perf_counter()
    for sensitive in [*([frame[[name]] for name in SENSITIVE]), frame[SENSITIVE]]:
        MetricFrame(metrics=METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"time MetricFrame on {QUICK_ROWS:,} rows and scale linearly to {ROWS:,}",
    )
    arguments = parser.parse_args()

    model, features, adult = _model_and_decisions()
    frame = _resample(adult, ROWS)
    print(
        f"workload: {ROWS:,} rows resampled from adult.data; sensitive: {', '.join(SENSITIVE)} "
        f"and their intersection; {len(METRICS)} metrics"
    )

    _audit_time(frame.iloc[:1000], bootstrap=0)  # warm-up (imports, first allocations)
    audit_seconds = min(_audit_time(frame, bootstrap=0) for _ in range(3))
    # Memory is traced on a separate run: tracing every allocation slows the audit down.
    tracemalloc.start()
    _audit_time(frame, bootstrap=0)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    process_peak = _peak_resident_bytes()
    print(f"audit metric time: {audit_seconds:.3f} s (best of 3)")
    print(
        f"audit peak memory: {traced_peak / 2**20:.0f} MiB allocated during the audit; "
        f"process peak RSS so far {process_peak / 2**30:.2f} GiB (goal <= 2 GiB)"
    )

    if arguments.quick:
        measured = _metric_frame_time(frame.iloc[:QUICK_ROWS])
        baseline = measured * ROWS / QUICK_ROWS
        print(
            f"bare MetricFrame time: {baseline:.1f} s (QUICK: measured {measured:.2f} s on "
            f"{QUICK_ROWS:,} rows, scaled linearly to {ROWS:,})"
        )
    else:
        baseline = _metric_frame_time(frame)
        print(f"bare MetricFrame time: {baseline:.1f} s")
    print(f"ratio: {baseline / audit_seconds:.0f}x faster (goal >= 50x)")

    # Unweighted resamples cost microseconds each (multinomial over a few hundred cells):
    # use enough of them that their cost stands out of the timing noise of the metric part.
    resamples = 5000
    with_bootstrap = min(_audit_time(frame, bootstrap=resamples, seed=0) for _ in range(3))
    per_hundred = (with_bootstrap - audit_seconds) * 100 / resamples
    print(f"bootstrap: {per_hundred:.3f} s per 100 resamples (unweighted, {ROWS:,} rows)")
    weighted_resamples = 20
    weighted = _audit_time(frame, bootstrap=weighted_resamples, sample_weight="fnlwgt")
    weighted_base = _audit_time(frame, bootstrap=0, sample_weight="fnlwgt")
    weighted_per_hundred = (weighted - weighted_base) * 100 / weighted_resamples
    print(
        f"bootstrap: {weighted_per_hundred:.1f} s per 100 resamples (census weights: every row "
        f"its own unit; measured on {weighted_resamples} resamples)"
    )

    explained = features.iloc[:10_000]
    run_explainability_audit(model, explained.iloc[:100], decision_ids=None)  # warm-up
    start = time.perf_counter()
    run_explainability_audit(model, explained, decision_ids=None)
    shap_seconds = time.perf_counter() - start
    print(
        f"SHAP TreeExplainer: {shap_seconds / len(explained) * 1000 * 1000:.1f} ms per 1,000 "
        f"rows ({features.shape[1]} one-hot features, 100 trees of depth 3; includes reasons "
        "and importance)"
    )
    peak = _peak_resident_bytes()
    print(f"process peak RSS at the end: {peak / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
