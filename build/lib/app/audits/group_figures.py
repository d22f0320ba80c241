"""The confusion-count arithmetic behind the fairness figures, vectorised over groups.

Rows are reduced once to weighted confusion counts per group (``numpy.bincount``); every
rate, disparity, adverse impact ratio and bootstrap draw here is a function of those
counts, which is why an audit of a million rows takes a fraction of a second. The
definitions are fairlearn's (see :mod:`app.audits.fairness`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.audits.errors import AuditInputError
from app.audits.fairness_result import RATE_METRICS

# Confusion cells, indexed by 2 * y_true + y_pred.
_TN, _FP, _FN, _TP = range(4)
# Bootstrap count matrices are drawn in chunks of about this many entries.
_BOOTSTRAP_CHUNK_ENTRIES = 1 << 22

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TableLayout:
    """How the observed feature combinations map onto one table's groups."""

    name: str
    columns: tuple[str, ...]
    #: Group index of each observed combination.
    group_of_combination: np.ndarray
    labels: tuple[str, ...]
    values: tuple[Mapping[str, str], ...]


def aggregate(sums: np.ndarray, layout: TableLayout) -> np.ndarray:
    """Sum ``(..., combinations, 4)`` confusion sums into ``(..., groups, 4)`` for a table."""
    membership = np.zeros((len(layout.group_of_combination), len(layout.labels)))
    membership[np.arange(len(layout.group_of_combination)), layout.group_of_combination] = 1.0
    return np.einsum("...kq,kg->...gq", sums, membership)


def _share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Divide, giving 0 where the denominator is 0 (scikit-learn's confusion-matrix rule)."""
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def table_figures(sums: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Compute per-group rates and the table's differences/ratios from confusion sums.

    ``sums`` is ``(..., groups, 4)`` weighted counts (TN, FP, FN, TP), ``rows`` the same
    shape in rows; leading axes are bootstrap resamples. Empty groups give NaN rates and
    are left out of differences and ratios, like fairlearn's skip-NaN ``max``/``min``.
    """
    tn, fp, fn, tp = (sums[..., cell] for cell in (_TN, _FP, _FN, _TP))
    row_count = rows.sum(axis=-1)
    total = tn + fp + fn + tp
    empty = row_count == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        figures = {
            "selection_rate": (fp + tp) / total,
            "accuracy": (tn + tp) / total,
            "true_positive_rate": _share(tp, fn + tp),
            "false_positive_rate": _share(fp, tn + fp),
            "false_negative_rate": _share(fn, fn + tp),
            "precision": _share(tp, tp + fp),
        }
    for name in RATE_METRICS:
        figures[name] = np.where(empty, np.nan, figures[name])
    figures.update(disparities(figures, RATE_METRICS))
    figures["rows"] = row_count
    figures["weight"] = total
    figures["undefined:true_positive_rate"] = ~empty & (fn + tp == 0)
    figures["undefined:false_positive_rate"] = ~empty & (tn + fp == 0)
    figures["undefined:false_negative_rate"] = ~empty & (fn + tp == 0)
    figures["undefined:precision"] = ~empty & (tp + fp == 0)
    return figures


def disparities(figures: Mapping[str, np.ndarray], names: Sequence[str]) -> dict[str, np.ndarray]:
    """Differences (max - min) and ratios (min / max) over the non-empty groups (last axis)."""
    result: dict[str, np.ndarray] = {}
    with quiet_empty_groups():
        for name in names:
            highest = np.nanmax(figures[name], axis=-1)
            lowest = np.nanmin(figures[name], axis=-1)
            result[f"difference:{name}"] = highest - lowest
            result[f"ratio:{name}"] = lowest / highest
    result["demographic_parity_difference"] = result["difference:selection_rate"]
    result["demographic_parity_ratio"] = result["ratio:selection_rate"]
    result["equalized_odds_difference"] = np.fmax(
        result["difference:true_positive_rate"], result["difference:false_positive_rate"]
    )
    return result


@contextmanager
def quiet_empty_groups() -> Iterator[None]:
    """Silence numpy's warnings about all-NaN slices: empty groups have NaN figures."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def adverse_impact(selection: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the reference group index and each group's ratio to it, over eligible groups.

    ``selection`` is ``(..., groups)``; the reference is the eligible group with the
    highest selection rate (first on ties); ineligible or empty groups get NaN ratios.
    """
    masked = np.where(eligible & ~np.isnan(selection), selection, -np.inf)
    reference = np.argmax(masked, axis=-1)
    reference_rate = np.take_along_axis(selection, reference[..., None], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = selection / reference_rate
    ratios = np.where(np.isfinite(masked), ratios, np.nan)
    return reference, ratios


def bootstrap_draws(
    *,
    cell: np.ndarray,
    weights: np.ndarray | None,
    cell_count: int,
    layouts: list[TableLayout],
    small_masks: list[np.ndarray],
    resamples: int,
    seed: int,
    progress: Progress | None,
) -> list[dict[str, np.ndarray]]:
    """Evaluate every table's figures on ``resamples`` seeded bootstrap resamples.

    A unit is a (confusion cell, weight) pair; a resample is a multinomial draw of how
    many rows of each unit it holds, which has the same distribution as drawing rows
    with replacement and is all the figures depend on.
    """
    if resamples == 0:
        return [{} for _ in layouts]
    unit_cell, unit_weight, unit_size = _units(cell, weights, cell_count)
    probabilities = unit_size / len(cell)
    cell_starts = np.flatnonzero(np.r_[True, unit_cell[1:] != unit_cell[:-1]])
    present_cells = unit_cell[cell_starts]

    generator = np.random.default_rng(seed)
    chunk = max(1, min(max(1, resamples // 10), _BOOTSTRAP_CHUNK_ENTRIES // len(unit_cell)))
    collected: list[list[dict[str, np.ndarray]]] = [[] for _ in layouts]
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        counts = generator.multinomial(len(cell), probabilities, size=size)
        flat_rows = np.zeros((size, cell_count))
        flat_weights = np.zeros((size, cell_count))
        flat_rows[:, present_cells] = np.add.reduceat(counts, cell_starts, axis=1)
        flat_weights[:, present_cells] = np.add.reduceat(counts * unit_weight, cell_starts, axis=1)
        row_sums = flat_rows.reshape(size, -1, 4)
        weight_sums = flat_weights.reshape(size, -1, 4)
        for index, layout in enumerate(layouts):
            figures = table_figures(aggregate(weight_sums, layout), aggregate(row_sums, layout))
            figures.update(_headline_draws(figures, small_masks[index]))
            collected[index].append(figures)
        done += size
        if progress is not None:
            progress(done, resamples)
    return [
        {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
        for parts in collected
    ]


def _units(
    cell: np.ndarray, weights: np.ndarray | None, cell_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bootstrap units sorted by cell: each unit's cell, weight per row, and row count.

    Without weights a unit is a whole confusion cell (counted in linear time); with
    weights, rows of one cell with one weight form a unit (found by sorting).
    """
    if weights is None:
        sizes = np.bincount(cell, minlength=cell_count)
        present = np.flatnonzero(sizes)
        return present, np.ones(len(present)), sizes[present]
    order = np.lexsort((weights, cell))
    sorted_cell, sorted_weight = cell[order], weights[order]
    changed = (sorted_cell[1:] != sorted_cell[:-1]) | (sorted_weight[1:] != sorted_weight[:-1])
    starts = np.flatnonzero(np.r_[True, changed])
    return sorted_cell[starts], sorted_weight[starts], np.diff(np.r_[starts, len(cell)])


def _headline_draws(figures: Mapping[str, np.ndarray], small: np.ndarray) -> dict[str, np.ndarray]:
    """Adverse impact figures of bootstrap resamples (per group and for the table)."""
    selection = figures["selection_rate"]
    _, ratios = adverse_impact(selection, np.ones_like(small, dtype=bool))
    _, large_ratios = adverse_impact(selection, ~small)
    with quiet_empty_groups():
        return {
            "group_adverse_impact_ratio": ratios,
            "adverse_impact_ratio": np.nanmin(ratios, axis=-1),
            "adverse_impact_ratio_excluding_small_groups": np.nanmin(large_ratios, axis=-1),
        }


def score_figures(
    score: pd.Series,
    name: str,
    group: np.ndarray,
    groups: int,
    truth: np.ndarray,
    weights: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Per-group weighted mean score and ROC AUC (weighted Mann-Whitney, ties count half).

    The AUC equals scikit-learn's ``roc_auc_score`` (trapezoids under the weighted ROC
    curve); it is NaN for a group with only one class.
    """
    if not pd.api.types.is_numeric_dtype(score) or score.isna().any():
        raise AuditInputError(f"score column '{name}' must be numeric without missing values")
    values = score.to_numpy(dtype=np.float64)
    weight = np.ones(len(values)) if weights is None else weights
    total = np.bincount(group, weights=weight, minlength=groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_score = np.bincount(group, weights=weight * values, minlength=groups) / total
    # Blocks of equal (group, score), in ascending score within each group (one sort).
    order = np.lexsort((values, group))
    sorted_group, sorted_value = group[order], values[order]
    new_block = np.r_[
        True, (sorted_group[1:] != sorted_group[:-1]) | (sorted_value[1:] != sorted_value[:-1])
    ]
    block_index = np.cumsum(new_block) - 1
    block_group = sorted_group[new_block]
    blocks = len(block_group)
    sorted_weight, sorted_truth = weight[order], truth[order]
    positive = np.bincount(block_index, weights=sorted_weight * sorted_truth, minlength=blocks)
    negative = np.bincount(block_index, weights=sorted_weight * ~sorted_truth, minlength=blocks)
    negatives_before = np.cumsum(negative) - negative
    group_start = np.searchsorted(block_group, block_group, side="left")
    negatives_below = negatives_before - negatives_before[group_start]
    wins = np.bincount(
        block_group, weights=positive * (negatives_below + 0.5 * negative), minlength=groups
    )
    positives_total = np.bincount(block_group, weights=positive, minlength=groups)
    negatives_total = np.bincount(block_group, weights=negative, minlength=groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = wins / (positives_total * negatives_total)
    auc = np.where((positives_total > 0) & (negatives_total > 0), auc, np.nan)
    return {"mean_score": mean_score, "roc_auc": auc}


def percentile_interval(draws: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over the resample axis (first), ignoring NaN resamples."""
    with quiet_empty_groups():
        lower = np.nanquantile(draws, alpha, axis=0)
        upper = np.nanquantile(draws, 1.0 - alpha, axis=0)
    return lower, upper
