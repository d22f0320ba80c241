"""Shared fixtures of the audit tests: real data sets and models trained on them.

The models are trained here (small gradient boosting models on a few features) so the
audits are checked on real decisions, not on hand-made numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier

from app.audits.datasets import load_adult, load_german

ADULT_FEATURES = ["age", "education_num", "hours_per_week", "capital_gain", "capital_loss"]
GERMAN_FEATURES = ["Duration", "Credit-amount", "Installment-rate", "Age", "Existing-credits"]


@dataclass(frozen=True)
class Decisions:
    """A decisions table with the model that made it and the names of its columns."""

    frame: pd.DataFrame
    model: GradientBoostingClassifier
    features: Sequence[str]
    y_true: str
    sensitive: Sequence[str]


def _decide(frame: pd.DataFrame, features: list[str], label: str, trees: int) -> Decisions:
    """Train a small gradient boosting model and add its predictions and scores."""
    model = GradientBoostingClassifier(n_estimators=trees, max_depth=3, random_state=0)
    model.fit(frame[features], frame[label])
    frame = frame.copy()
    frame["y_pred"] = model.predict(frame[features])
    frame["score"] = model.predict_proba(frame[features])[:, 1]
    frame["decision_id"] = [f"d{index:06d}" for index in range(len(frame))]
    return Decisions(frame, model, features, label, ())


@pytest.fixture(scope="session")
def adult_decisions() -> Decisions:
    """UCI Adult with a model's decisions (label: income over 50K); sensitive: sex, race."""
    decisions = _decide(load_adult(), ADULT_FEATURES, "income_over_50k", trees=40)
    return Decisions(
        decisions.frame, decisions.model, ADULT_FEATURES, "income_over_50k", ("sex", "race")
    )


@pytest.fixture(scope="session")
def german_decisions() -> Decisions:
    """German Credit with a model's decisions (label: good credit); sensitive: sex, age band."""
    decisions = _decide(load_german(), GERMAN_FEATURES, "good_credit", trees=60)
    return Decisions(
        decisions.frame, decisions.model, GERMAN_FEATURES, "good_credit", ("sex", "age_band")
    )
