"""Score drift between the audit baseline and a production batch.

Population stability index (PSI) over the baseline's deciles: bin edges are the
baseline's 10th..90th percentiles (duplicates merged) with open ends, each bin's share
floored at 1e-4 so an empty bin counts as rare rather than infinitely surprising;
``PSI = sum((current - baseline) * ln(current / baseline))``. The two-sample
Kolmogorov-Smirnov statistic is the largest gap between the two empirical CDFs; its
p-value is Smirnov's asymptotic two-sided distribution (``kstwo`` with
``n = round(m*n/(m+n))``), the form that holds for the batch sizes monitoring sees.

Per group: computed for each group label present in both samples with at least
:data:`MIN_GROUP_SIZE` scores on each side (smaller groups say too little to judge).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import kstwo

__all__ = [
    "MIN_GROUP_SIZE",
    "DriftFigures",
    "drift_by_group",
    "ks_two_sample",
    "population_stability_index",
]

#: Fewest scores a group needs on each side to be compared.
MIN_GROUP_SIZE = 30
#: Smallest share a bin may have (avoids log(0) for an empty bin).
SHARE_FLOOR = 1e-4
_DECILES = np.linspace(0.1, 0.9, 9)


@dataclass(frozen=True)
class DriftFigures:
    """Drift of one group (``None``: all scores) between baseline and batch."""

    group: str | None
    psi: float
    ks_statistic: float
    ks_p_value: float
    baseline_count: int
    current_count: int


def bin_edges(baseline: np.ndarray) -> np.ndarray:
    """Inner bin edges: the baseline's deciles, without duplicates."""
    return np.unique(np.quantile(baseline, _DECILES))


def population_stability_index(baseline: np.ndarray, current: np.ndarray) -> float:
    """PSI of ``current`` against ``baseline`` over the baseline's decile bins."""
    edges = bin_edges(baseline)
    expected = np.bincount(np.searchsorted(edges, baseline, side="right"), minlength=len(edges) + 1)
    actual = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    expected_share = np.maximum(expected / len(baseline), SHARE_FLOOR)
    actual_share = np.maximum(actual / len(current), SHARE_FLOOR)
    return float(np.sum((actual_share - expected_share) * np.log(actual_share / expected_share)))


def ks_two_sample(baseline: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(statistic, asymptotic two-sided p-value) of the two-sample KS test."""
    first, second = np.sort(baseline), np.sort(current)
    points = np.concatenate([first, second])
    gap = np.abs(
        np.searchsorted(first, points, side="right") / len(first)
        - np.searchsorted(second, points, side="right") / len(second)
    )
    statistic = float(gap.max())
    larger, smaller = max(len(first), len(second)), min(len(first), len(second))
    effective = round(larger * smaller / (larger + smaller))
    return statistic, float(np.clip(kstwo.sf(statistic, effective), 0.0, 1.0))


def _figures(group: str | None, baseline: np.ndarray, current: np.ndarray) -> DriftFigures:
    statistic, p_value = ks_two_sample(baseline, current)
    return DriftFigures(
        group=group,
        psi=population_stability_index(baseline, current),
        ks_statistic=statistic,
        ks_p_value=p_value,
        baseline_count=len(baseline),
        current_count=len(current),
    )


def drift_by_group(
    *,
    baseline_scores: list[float],
    baseline_groups: list[str],
    scores: list[float],
    groups: list[str],
) -> list[dict[str, Any]]:
    """Drift of all scores, then of each group both sides label well enough."""
    if not baseline_scores or not scores:
        return []
    base, current = np.asarray(baseline_scores, dtype=float), np.asarray(scores, dtype=float)
    figures = [_figures(None, base, current)]
    if baseline_groups and groups:
        base_labels, labels = np.asarray(baseline_groups), np.asarray(groups)
        for group in sorted(set(baseline_groups) & set(groups)):
            base_part, part = base[base_labels == group], current[labels == group]
            if len(base_part) >= MIN_GROUP_SIZE and len(part) >= MIN_GROUP_SIZE:
                figures.append(_figures(group, base_part, part))
    return [asdict(figure) for figure in figures]
