"""The result of a fairness audit: per-group rows, tables, headline figures and flags.

Every figure survives a JSON round trip (:meth:`FairnessResult.to_dict` and ``from_dict``):
the audit service stores it, the reports print it and the fair-lending control reads its
headline through the gate input. NaN is stored as ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "HEADLINE_METRICS",
    "INTERSECTION_SEPARATOR",
    "MISSING_GROUP",
    "RATE_METRICS",
    "SCORE_METRICS",
    "FairnessFlag",
    "FairnessResult",
    "GroupRow",
    "GroupTable",
    "HeadlineFigure",
]

#: Per-group rates computed from the confusion counts, in report order.
RATE_METRICS: tuple[str, ...] = (
    "selection_rate",
    "accuracy",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
)
#: Per-group figures added when a score column is given.
SCORE_METRICS: tuple[str, ...] = ("mean_score", "roc_auc")
#: Table-level figures the fair-lending control reads, with the direction that is worse.
HEADLINE_METRICS: dict[str, str] = {
    "adverse_impact_ratio": "min",
    "adverse_impact_ratio_excluding_small_groups": "min",
    "demographic_parity_difference": "max",
    "demographic_parity_ratio": "min",
    "equalized_odds_difference": "max",
}
#: Label of the group holding missing sensitive values.
MISSING_GROUP = "(missing)"
#: Joins feature names and values in intersection tables ("sex & race", "Female & Black").
INTERSECTION_SEPARATOR = " & "


@dataclass(frozen=True)
class GroupRow:
    """One group's figures in a table."""

    #: Group label; intersections join the values with :data:`INTERSECTION_SEPARATOR`.
    group: str
    #: The group's value of each feature of the table.
    values: Mapping[str, str]
    #: Number of rows (unweighted).
    count: int
    #: Sum of sample weights (equals ``count`` without weights).
    weight: float
    #: Metric name to value: :data:`RATE_METRICS`, plus :data:`SCORE_METRICS` with a score.
    metrics: Mapping[str, float]
    #: Metric name to bootstrap percentile interval (lower, upper) for the rates.
    intervals: Mapping[str, tuple[float, float]]
    #: Selection rate divided by the reference group's selection rate.
    adverse_impact_ratio: float
    #: Fewer rows than the audit's ``min_group_size``.
    small: bool
    #: No rows at all (only in intersections).
    empty: bool
    #: Rates reported as 0 because their denominator is 0 (e.g. TPR without positives).
    undefined: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-able data (NaN becomes None)."""
        return {
            "group": self.group,
            "values": dict(self.values),
            "count": self.count,
            "weight": _json_float(self.weight),
            "metrics": {name: _json_float(value) for name, value in self.metrics.items()},
            "intervals": {name: _json_interval(ci) for name, ci in self.intervals.items()},
            "adverse_impact_ratio": _json_float(self.adverse_impact_ratio),
            "small": self.small,
            "empty": self.empty,
            "undefined": list(self.undefined),
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> GroupRow:
        """Rebuild a row from :meth:`to_dict` output (None becomes NaN)."""
        return cls(
            group=document["group"],
            values=dict(document["values"]),
            count=int(document["count"]),
            weight=_from_json(document["weight"]),
            metrics={name: _from_json(value) for name, value in document["metrics"].items()},
            intervals={name: _interval_from_json(ci) for name, ci in document["intervals"].items()},
            adverse_impact_ratio=_from_json(document["adverse_impact_ratio"]),
            small=bool(document["small"]),
            empty=bool(document["empty"]),
            undefined=tuple(document["undefined"]),
        )


@dataclass(frozen=True)
class GroupTable:
    """Figures of one sensitive feature, or of the intersection of several."""

    #: Table name: the feature name, or the names joined by :data:`INTERSECTION_SEPARATOR`.
    name: str
    #: Sensitive feature columns the groups are built from.
    columns: tuple[str, ...]
    #: The groups in sort order (missing values last).
    groups: tuple[GroupRow, ...]
    #: Metric name to ``max - min`` over the non-empty groups.
    differences: Mapping[str, float]
    #: Metric name to ``min / max`` over the non-empty groups.
    ratios: Mapping[str, float]
    #: Group with the highest selection rate: the four-fifths rule's reference.
    reference_group: str | None
    #: Group with the lowest adverse impact ratio.
    lowest_group: str | None
    #: Smallest adverse impact ratio (equals ``demographic_parity_ratio``).
    adverse_impact_ratio: float
    #: Adverse impact ratio over the groups that are not small (NaN when fewer than two).
    adverse_impact_ratio_excluding_small_groups: float
    #: Difference between the highest and lowest selection rates.
    demographic_parity_difference: float
    #: Lowest selection rate over the highest.
    demographic_parity_ratio: float
    #: Larger of the TPR and FPR differences.
    equalized_odds_difference: float
    #: Headline metric name to bootstrap percentile interval.
    intervals: Mapping[str, tuple[float, float]]

    def group(self, label: str) -> GroupRow:
        """Return the row of the group labelled ``label``."""
        for row in self.groups:
            if row.group == label:
                return row
        raise KeyError(label)

    def to_frame(self) -> pd.DataFrame:
        """Return the per-group figures as a DataFrame indexed by group label."""
        records = [{"count": row.count, "weight": row.weight, **row.metrics} for row in self.groups]
        return pd.DataFrame.from_records(records, index=[row.group for row in self.groups])

    def to_dict(self) -> dict[str, Any]:
        """Return the table as JSON-able data (NaN becomes None)."""
        return {
            "name": self.name,
            "columns": list(self.columns),
            "groups": [row.to_dict() for row in self.groups],
            "differences": {name: _json_float(value) for name, value in self.differences.items()},
            "ratios": {name: _json_float(value) for name, value in self.ratios.items()},
            "reference_group": self.reference_group,
            "lowest_group": self.lowest_group,
            "adverse_impact_ratio": _json_float(self.adverse_impact_ratio),
            "adverse_impact_ratio_excluding_small_groups": _json_float(
                self.adverse_impact_ratio_excluding_small_groups
            ),
            "demographic_parity_difference": _json_float(self.demographic_parity_difference),
            "demographic_parity_ratio": _json_float(self.demographic_parity_ratio),
            "equalized_odds_difference": _json_float(self.equalized_odds_difference),
            "intervals": {name: _json_interval(ci) for name, ci in self.intervals.items()},
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> GroupTable:
        """Rebuild a table from :meth:`to_dict` output (None becomes NaN)."""
        return cls(
            name=document["name"],
            columns=tuple(document["columns"]),
            groups=tuple(GroupRow.from_dict(row) for row in document["groups"]),
            differences={k: _from_json(v) for k, v in document["differences"].items()},
            ratios={k: _from_json(v) for k, v in document["ratios"].items()},
            reference_group=document["reference_group"],
            lowest_group=document["lowest_group"],
            adverse_impact_ratio=_from_json(document["adverse_impact_ratio"]),
            adverse_impact_ratio_excluding_small_groups=_from_json(
                document["adverse_impact_ratio_excluding_small_groups"]
            ),
            demographic_parity_difference=_from_json(document["demographic_parity_difference"]),
            demographic_parity_ratio=_from_json(document["demographic_parity_ratio"]),
            equalized_odds_difference=_from_json(document["equalized_odds_difference"]),
            intervals={k: _interval_from_json(v) for k, v in document["intervals"].items()},
        )


@dataclass(frozen=True)
class HeadlineFigure:
    """The worst value of a headline metric over all tables, and where it comes from."""

    #: The figure (smallest ratio or largest difference over the tables).
    value: float
    #: Name of the table it comes from.
    table: str | None
    #: Its bootstrap percentile interval.
    interval: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """Return the figure as JSON-able data."""
        return {
            "value": _json_float(self.value),
            "table": self.table,
            "interval": _json_interval(self.interval),
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> HeadlineFigure:
        """Rebuild a figure from :meth:`to_dict` output."""
        return cls(
            value=_from_json(document["value"]),
            table=document["table"],
            interval=_interval_from_json(document["interval"]),
        )


@dataclass(frozen=True)
class FairnessFlag:
    """Something a reader of the figures must know (small group, undefined rate...)."""

    #: ``small_group``, ``empty_group``, ``undefined_rate`` or ``missing_sensitive_values``.
    code: str
    #: Table the flag is about.
    table: str
    #: Group the flag is about, when it is about one.
    group: str | None
    #: One readable sentence.
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return the flag as JSON-able data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> FairnessFlag:
        """Rebuild a flag from :meth:`to_dict` output."""
        return cls(document["code"], document["table"], document["group"], document["message"])


@dataclass(frozen=True)
class FairnessResult:
    """Everything a fairness audit measured; the policy reads :meth:`to_dict`."""

    #: Number of rows audited.
    rows: int
    #: Whether sample weights were applied.
    weighted: bool
    #: The prediction/label value treated as the favourable outcome ("selected").
    positive_label: Any
    #: Per-group metric names, in order.
    metrics: tuple[str, ...]
    #: The metrics over all rows.
    overall: Mapping[str, float]
    #: One table per sensitive feature, then the intersection (if asked for).
    tables: tuple[GroupTable, ...]
    #: Worst value of each :data:`HEADLINE_METRICS` entry over the tables.
    headline: Mapping[str, HeadlineFigure]
    #: Small and empty groups, undefined rates, missing sensitive values.
    flags: tuple[FairnessFlag, ...]
    #: Settings the figures were computed with (min_group_size, bootstrap, seed...).
    settings: Mapping[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> GroupTable:
        """Return the table called ``name`` (a feature, or an intersection name)."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-able data: the audit record and the policy input."""
        return {
            "kind": "fairness",
            "rows": self.rows,
            "weighted": self.weighted,
            "positive_label": _json_scalar(self.positive_label),
            "metrics": list(self.metrics),
            "overall": {name: _json_float(value) for name, value in self.overall.items()},
            "tables": [table.to_dict() for table in self.tables],
            "headline": {name: figure.to_dict() for name, figure in self.headline.items()},
            "flags": [flag.to_dict() for flag in self.flags],
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> FairnessResult:
        """Rebuild a result from stored :meth:`to_dict` output, e.g. to redraw its charts."""
        return cls(
            rows=int(document["rows"]),
            weighted=bool(document["weighted"]),
            positive_label=document["positive_label"],
            metrics=tuple(document["metrics"]),
            overall={name: _from_json(value) for name, value in document["overall"].items()},
            tables=tuple(GroupTable.from_dict(table) for table in document["tables"]),
            headline={
                name: HeadlineFigure.from_dict(figure)
                for name, figure in document["headline"].items()
            },
            flags=tuple(FairnessFlag.from_dict(flag) for flag in document["flags"]),
            settings=dict(document["settings"]),
        )


def _json_float(value: float) -> float | None:
    """NaN and infinities are not JSON: report them as None."""
    return float(value) if value is not None and math.isfinite(value) else None


def _json_interval(interval: tuple[float, float]) -> list[float | None]:
    """An interval as a JSON list with None for NaN bounds."""
    return [_json_float(interval[0]), _json_float(interval[1])]


def _from_json(value: float | None) -> float:
    """A stored figure back as a float (None, i.e. NaN, back to NaN)."""
    return math.nan if value is None else float(value)


def _interval_from_json(interval: Sequence[float | None]) -> tuple[float, float]:
    """A stored interval back as a pair of floats."""
    return (_from_json(interval[0]), _from_json(interval[1]))


def _json_scalar(value: Any) -> Any:
    """Turn numpy scalars into Python ones for JSON."""
    return value.item() if isinstance(value, np.generic) else value
