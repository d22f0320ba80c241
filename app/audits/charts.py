"""Audit charts as inline SVG strings, for the portal and the signed audit report.

Every function takes what a stored result document holds (a fairness
:class:`~app.audits.fairness.GroupTable`, rebuilt with ``FairnessResult.from_dict``, or
the importance mappings of an explainability result), so a report can redraw the charts
from the audit record without re-running the audit.

Only what is audit-specific lives here: which figures of a fairness or explainability
result go on which chart. The drawing itself is the shared primitives of
:mod:`app.charts` (deterministic matplotlib SVG), so an audit chart re-rendered from
stored figures is byte-identical to the one in a signed report.

Thresholds (the four-fifths line, say) are policy data: a caller that has them passes
them in; these functions never assume one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.audits.fairness_result import GroupTable
from app.charts import bar_chart_svg, grouped_bar_chart_svg

__all__ = [
    "CONFUSION_RATES",
    "GROUP_CHART_FEATURES",
    "adverse_impact_chart_svg",
    "confusion_rates_chart_svg",
    "group_importance_chart_svg",
    "group_importance_figures",
    "group_metric_chart_svg",
    "importance_chart_svg",
]

#: Error rates drawn per group on the confusion-rates chart, with their legend names.
CONFUSION_RATES: dict[str, str] = {
    "true_positive_rate": "TPR",
    "false_positive_rate": "FPR",
    "false_negative_rate": "FNR",
}


def _readable(name: str) -> str:
    """A metric name as a chart label: ``selection_rate`` -> ``selection rate``."""
    return name.replace("_", " ")


def group_metric_chart_svg(
    table: GroupTable, metric: str = "selection_rate", *, threshold: float | None = None
) -> str:
    """One bar per non-empty group with its bootstrap CI, e.g. selection rate per sex."""
    rows = [row for row in table.groups if not row.empty]
    intervals = [row.intervals.get(metric) for row in rows]
    return bar_chart_svg(
        [row.group for row in rows],
        [row.metrics[metric] for row in rows],
        title=f"{_readable(metric).capitalize()} by {table.name}",
        errors=None if None in intervals else intervals,  # type: ignore[arg-type]
        threshold=threshold,
        horizontal=True,
        axis_label=_readable(metric),
    )


def adverse_impact_chart_svg(table: GroupTable, *, threshold: float | None = None) -> str:
    """Each group's selection rate over the reference group's, with CIs (four-fifths rule)."""
    rows = [row for row in table.groups if not row.empty]
    intervals = [row.intervals.get("adverse_impact_ratio") for row in rows]
    return bar_chart_svg(
        [row.group for row in rows],
        [row.adverse_impact_ratio for row in rows],
        title=f"Adverse impact ratio by {table.name} (reference: {table.reference_group})",
        errors=None if None in intervals else intervals,  # type: ignore[arg-type]
        threshold=threshold,
        threshold_label=None if threshold is None else "policy threshold",
        horizontal=True,
        axis_label="selection rate / reference group's",
    )


def confusion_rates_chart_svg(table: GroupTable) -> str:
    """True positive, false positive and false negative rates per group, with CIs."""
    rows = [row for row in table.groups if not row.empty]
    have_intervals = all(name in row.intervals for row in rows for name in CONFUSION_RATES)
    return grouped_bar_chart_svg(
        [row.group for row in rows],
        {label: [row.metrics[name] for row in rows] for name, label in CONFUSION_RATES.items()},
        title=f"Error rates by {table.name}",
        errors=(
            {
                label: [row.intervals[name] for row in rows]
                for name, label in CONFUSION_RATES.items()
            }
            if have_intervals
            else None
        ),
        horizontal=True,
        axis_label="rate",
    )


def importance_chart_svg(
    global_importance: Mapping[str, float], *, output: str, max_features: int = 15
) -> str:
    """Global SHAP importance (mean |SHAP value|), the most important features first.

    Takes the ``global_importance`` and ``output`` of an explainability result (or of
    its stored document), which are already sorted, highest first.
    """
    names = list(global_importance)[:max_features]
    return bar_chart_svg(
        names,
        [global_importance[name] for name in names],
        title=f"Feature importance (mean |SHAP|, {output.replace('_', ' ')})",
        horizontal=True,
        value_format="{:.3f}",
        axis_label="mean |SHAP value|",
    )


def group_importance_chart_svg(
    group_importance: Mapping[str, Mapping[str, float]],
    *,
    column: str,
    features: Sequence[str],
) -> str:
    """Mean |SHAP| of ``features`` side by side for each group of the sensitive ``column``.

    ``group_importance`` is one column's entry of the result's ``group_importance``;
    pass the first few names of ``global_importance`` as ``features``.
    """
    return grouped_bar_chart_svg(
        list(features),
        {group: [values[name] for name in features] for group, values in group_importance.items()},
        title=f"Feature importance by {column}",
        horizontal=True,
        value_format="{:.3f}",
        axis_label="mean |SHAP value|",
    )


#: Features drawn on each per-group importance chart: the most important overall.
GROUP_CHART_FEATURES = 5


def group_importance_figures(
    global_importance: Mapping[str, float],
    group_importance: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> list[dict[str, str]]:
    """One per-group importance chart (title, caption, SVG) per sensitive column.

    The audit service stores these with the results and the audit report prints them, so
    both show the same :data:`GROUP_CHART_FEATURES` features.
    """
    top = list(global_importance)[:GROUP_CHART_FEATURES]
    return [
        {
            "title": f"Feature importance by {column}",
            "svg": group_importance_chart_svg(groups, column=column, features=top),
            "caption": "mean |SHAP value| of the most important features in each group; "
            "a feature that matters much more for one group deserves a closer look",
        }
        for column, groups in group_importance.items()
        if groups and top
    ]
