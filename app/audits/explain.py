"""Explainability audit with SHAP: global importance, per-group importance, per-decision reasons.

A model that decides about people must be able to say why. Credit law (ECOA/Regulation B,
FCRA) asks for the *principal reasons* of an adverse action; model risk guidance asks
which features drive the model overall and whether that differs between groups. This
module answers all three from SHAP values.

Which explainer:

- **Tree models** (scikit-learn gradient boosting, histogram gradient boosting, random
  forests, extra trees, decision trees; XGBoost and LightGBM when installed):
  ``shap.TreeExplainer`` on the model itself. Its values are exact and additive: for each
  decision the base value plus the sum of the values equals the model's output. The
  output explained is what the tree ensemble computes: log-odds of the favourable class
  for boosting models, its probability for forests (``output`` in the result says which).
  The result reports the largest additivity error measured against the model.
- **Any other model** (linear models, neural networks, pipelines with preprocessing):
  a *surrogate*. A gradient boosting regressor (100 trees, depth 3, seeded) is fitted to
  the model's favourable-class probability (or decision function, or prediction) on the
  audited features, and explained with ``TreeExplainer``. Chosen over KernelExplainer
  because it is deterministic, explains every decision (KernelExplainer costs seconds per
  row and must sample), and its faithfulness is measurable: the result reports the
  surrogate's fidelity on a held-out quarter of the rows (R² against the model's output
  and agreement with the model's decisions). The explanations describe the surrogate;
  a low fidelity means they must not be relied on. Text columns are ordinal-coded for the
  surrogate.

Principal reasons: for each decision, up to ``top_k`` features with the most negative
contribution to the favourable outcome, most negative first; features that pushed
towards approval are never given as reasons for a denial.

Nothing here decides whether the explanations are good enough: the adverse-action
control reads the fidelity and the reasons.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import shap
from sklearn.base import is_classifier
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import r2_score

from app.audits.errors import AuditInputError, UnsupportedModelError
from app.audits.fairness_result import MISSING_GROUP

__all__ = [
    "DecisionExplanation",
    "ExplainabilityResult",
    "Reason",
    "run_explainability_audit",
]

# Rows held out to measure a surrogate's fidelity, and the minimum table size to hold out.
_HOLDOUT_SHARE = 0.25
_HOLDOUT_MIN_ROWS = 100
# Where a surrogate's output becomes a favourable decision, by output kind.
_DECISION_CUT = {"probability": 0.5, "decision_function": 0.0}


@dataclass(frozen=True)
class Reason:
    """One principal reason: a feature, its value in the decision, its contribution."""

    #: Model feature name.
    feature: str
    #: The feature's value in this decision.
    value: Any
    #: SHAP value: how much this feature moved the favourable-outcome output (negative).
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        """Return the reason as JSON-able data."""
        return {
            "feature": self.feature,
            "value": _json_value(self.value),
            "contribution": self.contribution,
        }


@dataclass(frozen=True)
class DecisionExplanation:
    """A decision's model output and its principal reasons, most important first."""

    decision_id: str
    #: Model output explained (see :attr:`ExplainabilityResult.output`).
    output: float
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the explanation as JSON-able data."""
        return {
            "decision_id": self.decision_id,
            "output": self.output,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


@dataclass(frozen=True, eq=False)
class ExplainabilityResult:
    """SHAP explanations of a model's decisions; the policy reads :meth:`to_dict`."""

    #: ``tree`` (TreeExplainer on the model) or ``surrogate`` (on a fitted surrogate).
    method: str
    #: Class name of the audited model.
    model_type: str
    #: What the SHAP values add up to: ``log_odds``, ``probability``, ``decision_function``
    #: or ``prediction`` (of the favourable class).
    output: str
    #: Model feature names, in column order.
    features: tuple[str, ...]
    #: SHAP base value (expected output).
    expected_value: float
    #: Mean absolute SHAP value per feature, highest first.
    global_importance: Mapping[str, float]
    #: Sensitive column -> group -> feature -> mean absolute SHAP value.
    group_importance: Mapping[str, Mapping[str, Mapping[str, float]]]
    #: Largest |base + sum of SHAP values - model output| over the rows (tree method).
    additivity_max_error: float | None
    #: Surrogate fidelity (``r2``, ``agreement``, ``rows``, ``sample``); None for trees.
    fidelity: Mapping[str, Any] | None
    #: Number of reasons asked for per decision.
    top_k: int
    #: Decision ids, one per row.
    decision_ids: tuple[str, ...]
    #: SHAP values, rows by features (for charts; not in :meth:`to_dict`).
    shap_values: np.ndarray = field(repr=False)
    #: Model output per row (what the SHAP values add up to).
    outputs: np.ndarray = field(repr=False)
    #: The audited feature values, for reporting reasons with the original values.
    feature_values: pd.DataFrame = field(repr=False)
    #: Per row, feature indices of the reasons, most negative contribution first (-1: none).
    reason_features: np.ndarray = field(repr=False)

    @property
    def rows(self) -> int:
        """Number of decisions explained."""
        return len(self.decision_ids)

    def explain_row(self, row: int) -> DecisionExplanation:
        """Return the principal reasons of the decision in position ``row``."""
        reasons = tuple(
            Reason(
                feature=self.features[index],
                value=self.feature_values.iat[row, index],
                contribution=float(self.shap_values[row, index]),
            )
            for index in self.reason_features[row]
            if index >= 0
        )
        return DecisionExplanation(self.decision_ids[row], float(self.outputs[row]), reasons)

    def reasons_for(self, decision_id: str) -> DecisionExplanation:
        """Return the principal reasons of the decision ``decision_id`` (KeyError if unknown)."""
        return self.explain_row(self._row_of_decision[str(decision_id)])

    @cached_property
    def _row_of_decision(self) -> dict[str, int]:
        """Row position of each decision id, built on first lookup (ids are unique)."""
        return {decision_id: row for row, decision_id in enumerate(self.decision_ids)}

    def decisions(self) -> list[DecisionExplanation]:
        """Return every decision's explanation, in row order (for storage by decision id)."""
        return [self.explain_row(row) for row in range(self.rows)]

    def to_dict(self, *, include_decisions: bool = True) -> dict[str, Any]:
        """Return the result as JSON-able data; decisions can be left out for a summary."""
        document: dict[str, Any] = {
            "kind": "explainability",
            "method": self.method,
            "explainer": "shap.TreeExplainer",
            "model_type": self.model_type,
            "output": self.output,
            "rows": self.rows,
            "features": list(self.features),
            "expected_value": self.expected_value,
            "global_importance": dict(self.global_importance),
            "group_importance": {
                column: {group: dict(values) for group, values in groups.items()}
                for column, groups in self.group_importance.items()
            },
            "additivity_max_error": self.additivity_max_error,
            "fidelity": dict(self.fidelity) if self.fidelity is not None else None,
            "top_k": self.top_k,
        }
        if include_decisions:
            document["decisions"] = [decision.to_dict() for decision in self.decisions()]
        return document


def run_explainability_audit(
    model: Any,
    features: pd.DataFrame,
    *,
    decision_ids: Sequence[Any] | None,
    top_k: int = 4,
    sensitive: pd.DataFrame | None = None,
    favourable_label: Any = 1,
    seed: int = 0,
) -> ExplainabilityResult:
    """Explain ``model``'s decisions on ``features`` with SHAP.

    ``decision_ids`` (one per row; the row index when None) key the per-decision reasons;
    ``top_k`` is how many principal reasons to give; ``sensitive`` (same rows) adds mean
    |SHAP| per group of each of its columns; ``favourable_label`` is the class whose output
    is explained (approval); ``seed`` fixes the surrogate and its hold-out. Tree models
    are explained directly, others through a surrogate (see the module docstring).
    """
    if features.empty or features.shape[1] == 0:
        raise AuditInputError("no rows or no feature columns to explain")
    if top_k < 1:
        raise AuditInputError("top_k must be at least 1")
    ids = _decision_ids(features, decision_ids)
    if sensitive is not None and len(sensitive) != len(features):
        raise AuditInputError("sensitive must have one row per decision")
    favourable = _favourable_index(model, favourable_label)

    explainer = _tree_explainer(model)
    if explainer is not None:
        method, fidelity = "tree", None
        values, base = _shap_values(explainer, features, favourable)
        outputs, output_name = _model_output(model, features, favourable, values.per_class)
        additivity = float(np.max(np.abs(base + values.array.sum(axis=1) - outputs)))
    else:
        method = "surrogate"
        matrix = _numeric(features)
        target = _surrogate_target(model, features, favourable)
        output_name = target[1]
        surrogate, fidelity = _fit_surrogate(
            model, features, matrix, target, favourable_label, seed
        )
        values, base = _shap_values(shap.TreeExplainer(surrogate), matrix, favourable=None)
        outputs = base + values.array.sum(axis=1)
        additivity = None

    shap_values = values.array
    feature_names = tuple(str(column) for column in features.columns)
    importance = np.abs(shap_values).mean(axis=0)
    order = np.argsort(-importance, kind="stable")
    return ExplainabilityResult(
        method=method,
        model_type=type(model).__name__,
        output=output_name,
        features=feature_names,
        expected_value=float(base),
        global_importance={feature_names[i]: float(importance[i]) for i in order},
        group_importance=_group_importance(shap_values, feature_names, sensitive),
        additivity_max_error=additivity,
        fidelity=fidelity,
        top_k=top_k,
        decision_ids=ids,
        shap_values=shap_values,
        outputs=np.asarray(outputs, dtype=np.float64),
        feature_values=features.reset_index(drop=True),
        reason_features=_principal_reasons(shap_values, top_k),
    )


@dataclass(frozen=True, eq=False)
class _Values:
    """SHAP values of the favourable output, rows by features."""

    array: np.ndarray
    #: Whether the explainer returned one set of values per class (forests).
    per_class: bool


def _decision_ids(features: pd.DataFrame, decision_ids: Sequence[Any] | None) -> tuple[str, ...]:
    """Decision ids as strings, one per row and unique, so reasons can be looked up."""
    ids = tuple(str(i) for i in (features.index if decision_ids is None else decision_ids))
    if len(ids) != len(features):
        raise AuditInputError(f"{len(ids)} decision ids for {len(features)} rows")
    if len(set(ids)) != len(ids):
        raise AuditInputError("decision ids are not unique")
    return ids


def _favourable_index(model: Any, favourable_label: Any) -> int | None:
    """Index of the favourable class in ``model.classes_`` (None for regressors)."""
    classes = getattr(model, "classes_", None)
    if classes is None or not is_classifier(model):
        return None
    matches = np.flatnonzero(np.asarray(classes) == favourable_label)
    if len(matches) == 0:
        raise AuditInputError(
            f"favourable label {favourable_label!r} is not one of the model's classes "
            f"{list(classes)}"
        )
    if len(classes) != 2:
        raise UnsupportedModelError("only binary classifiers and regressors can be explained")
    return int(matches[0])


def _tree_explainer(model: Any) -> shap.TreeExplainer | None:
    """A TreeExplainer for ``model``, or None when SHAP does not support it as a tree model."""
    try:
        return shap.TreeExplainer(model)
    except shap.utils._exceptions.InvalidModelError:
        return None


def _shap_values(
    explainer: shap.TreeExplainer, matrix: pd.DataFrame, favourable: int | None
) -> tuple[_Values, float]:
    """SHAP values and base value of the favourable output (the positive one if None)."""
    explanation = explainer(matrix)
    values = np.asarray(explanation.values, dtype=np.float64)
    base = np.asarray(explanation.base_values, dtype=np.float64)
    per_class = values.ndim == 3
    if per_class:
        index = 1 if favourable is None else favourable
        values, base = values[:, :, index], base[:, index]
    elif favourable == 0:
        # A binary booster's single output is the log-odds of classes_[1]: flip it.
        values, base = -values, -base
    return _Values(values, per_class), float(np.ravel(base)[0])


def _model_output(
    model: Any, features: pd.DataFrame, favourable: int | None, per_class: bool
) -> tuple[np.ndarray, str]:
    """The model output TreeExplainer's values add up to, and its name."""
    if favourable is None:
        return np.asarray(model.predict(features), dtype=np.float64), "prediction"
    if per_class:
        return model.predict_proba(features)[:, favourable], "probability"
    sign = 1.0 if favourable == 1 else -1.0
    if hasattr(model, "decision_function"):
        return sign * np.asarray(model.decision_function(features)), "log_odds"
    module = type(model).__module__
    if module.startswith("xgboost"):
        return sign * np.asarray(model.predict(features, output_margin=True)), "log_odds"
    if module.startswith("lightgbm"):
        return sign * np.asarray(model.predict(features, raw_score=True)), "log_odds"
    raise UnsupportedModelError(f"cannot read the raw output of {type(model).__name__}")


def _numeric(features: pd.DataFrame) -> pd.DataFrame:
    """Features with text and categorical columns ordinal-coded (missing as -1)."""
    coded = {}
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            coded[column] = values.astype(np.float64)
        else:
            coded[column] = pd.Series(pd.factorize(values, sort=True)[0], index=values.index)
    return pd.DataFrame(coded, index=features.index)


def _surrogate_target(
    model: Any, features: pd.DataFrame, favourable: int | None
) -> tuple[np.ndarray, str]:
    """What the surrogate learns: favourable-class probability, else decision, else output."""
    if favourable is not None and hasattr(model, "predict_proba"):
        return model.predict_proba(features)[:, favourable], "probability"
    if favourable is not None and hasattr(model, "decision_function"):
        sign = 1.0 if favourable == 1 else -1.0
        return sign * np.asarray(model.decision_function(features)), "decision_function"
    return np.asarray(model.predict(features), dtype=np.float64), "prediction"


def _fit_surrogate(
    model: Any,
    features: pd.DataFrame,
    matrix: pd.DataFrame,
    target: tuple[np.ndarray, str],
    favourable_label: Any,
    seed: int,
) -> tuple[GradientBoostingRegressor, dict[str, Any]]:
    """Fit the surrogate and measure its fidelity on held-out rows when there are enough.

    Agreement compares the surrogate's output, cut at 0.5 for a probability or 0 for a
    decision function, with the model's own decisions.
    """
    values, output = target
    generator = np.random.default_rng(seed)
    held_out = np.zeros(len(matrix), dtype=bool)
    if len(matrix) >= _HOLDOUT_MIN_ROWS:
        chosen = generator.choice(len(matrix), int(len(matrix) * _HOLDOUT_SHARE), replace=False)
        held_out[chosen] = True
    fit_rows = np.flatnonzero(~held_out if held_out.any() else np.ones(len(matrix), dtype=bool))
    measure_rows = np.flatnonzero(held_out) if held_out.any() else fit_rows
    surrogate = GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=seed)
    surrogate.fit(matrix.iloc[fit_rows], values[fit_rows])
    predicted = surrogate.predict(matrix.iloc[measure_rows])
    fidelity: dict[str, Any] = {
        "r2": float(r2_score(values[measure_rows], predicted)) if len(measure_rows) > 1 else None,
        "agreement": None,
        "rows": len(measure_rows),
        "sample": "held_out" if held_out.any() else "in_sample",
    }
    if output in _DECISION_CUT:
        decided = np.asarray(model.predict(features.iloc[measure_rows])) == favourable_label
        agreement = (predicted >= _DECISION_CUT[output]) == decided
        fidelity["agreement"] = float(np.mean(agreement))
    return surrogate, fidelity


def _principal_reasons(shap_values: np.ndarray, top_k: int) -> np.ndarray:
    """Per row, up to ``top_k`` feature indices with negative SHAP values, most negative first."""
    k = min(top_k, shap_values.shape[1])
    order = np.argsort(shap_values, axis=1, kind="stable")[:, :k]
    negative = np.take_along_axis(shap_values, order, axis=1) < 0
    return np.where(negative, order, -1)


def _group_importance(
    shap_values: np.ndarray, features: tuple[str, ...], sensitive: pd.DataFrame | None
) -> dict[str, dict[str, dict[str, float]]]:
    """Mean |SHAP| per feature within each group of each sensitive column."""
    if sensitive is None:
        return {}
    magnitude = np.abs(shap_values)
    result: dict[str, dict[str, dict[str, float]]] = {}
    for column in sensitive.columns:
        codes, uniques = pd.factorize(sensitive[column], sort=True, use_na_sentinel=True)
        labels = [str(value) for value in uniques]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(labels), codes)
            labels.append(MISSING_GROUP)
        result[str(column)] = {
            label: dict(
                zip(features, map(float, magnitude[codes == index].mean(axis=0)), strict=True)
            )
            for index, label in enumerate(labels)
        }
    return result


def _json_value(value: Any) -> Any:
    """A feature value as JSON: numpy scalars unwrapped, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
