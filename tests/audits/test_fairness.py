"""The fairness audit against independent computations and against fairlearn (the oracle).

Every per-group figure, difference and ratio is checked three ways: against a plain
pandas group-by on the same predictions (exactly), against fairlearn 0.15's
``MetricFrame`` and fairness functions (within 1e-12) on the real data sets, and against
fairlearn on property-generated tables with empty groups, single-class groups, missing
sensitive values and sample weights.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, precision_score, roc_auc_score

from app.audits.errors import AuditInputError
from app.audits.fairness import run_fairness_audit
from app.audits.fairness_result import (
    INTERSECTION_SEPARATOR,
    MISSING_GROUP,
    RATE_METRICS,
    FairnessResult,
    GroupTable,
)

TOLERANCE = 1e-12

FAIRLEARN_METRICS = {
    "count": count,
    "selection_rate": partial(selection_rate, pos_label=1),
    "accuracy": accuracy_score,
    "true_positive_rate": partial(true_positive_rate, pos_label=1),
    "false_positive_rate": partial(false_positive_rate, pos_label=1),
    "false_negative_rate": partial(false_negative_rate, pos_label=1),
    "precision": partial(precision_score, zero_division=0),
}


def _sensitive_frame(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Sensitive columns as fairlearn gets them: missing values filled with our label."""
    return pd.DataFrame(
        {c: frame[c].astype(object).where(frame[c].notna(), MISSING_GROUP) for c in columns}
    )


def _metric_frame(
    frame: pd.DataFrame, columns: Sequence[str], weights: str | None, y_true: str, y_pred: str
) -> MetricFrame:
    """fairlearn's MetricFrame over the same metrics, weights passed to all but count."""
    sample_params = (
        {
            name: {"sample_weight": frame[weights].to_numpy()}
            for name in FAIRLEARN_METRICS
            if name != "count"
        }
        if weights
        else None
    )
    return MetricFrame(
        metrics=FAIRLEARN_METRICS,
        y_true=frame[y_true].to_numpy(),
        y_pred=frame[y_pred].to_numpy(),
        sensitive_features=_sensitive_frame(frame, columns),
        sample_params=sample_params,
    )


def _label(key: object) -> str:
    """Our group label of a fairlearn by_group index entry."""
    if isinstance(key, tuple):
        return INTERSECTION_SEPARATOR.join(str(part) for part in key)
    return str(key)


def _close(ours: float, theirs: float) -> bool:
    """Equal within the tolerance, NaN equal to NaN."""
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    return abs(ours - theirs) <= TOLERANCE


def _assert_table_matches_fairlearn(
    table: GroupTable, frame: pd.DataFrame, weights: str | None, y_true: str, y_pred: str
) -> None:
    """Every group figure, difference and ratio of ``table`` equals fairlearn's."""
    mf = _metric_frame(frame, table.columns, weights, y_true, y_pred)
    by_group = mf.by_group
    # Same groups; ours lists the missing-value group last, fairlearn sorts it as text.
    assert sorted(row.group for row in table.groups) == sorted(_label(k) for k in by_group.index)
    for key, expected in by_group.iterrows():
        row = table.group(_label(key))
        if row.empty:
            # fairlearn lists an empty combination with NaN for every metric.
            assert expected.isna().all()
            continue
        assert row.count == expected["count"]
        for name in RATE_METRICS:
            assert _close(row.metrics[name], float(expected[name])), (row.group, name)
    differences, ratios = mf.difference(), mf.ratio()
    for name in RATE_METRICS:
        assert _close(table.differences[name], float(differences[name])), name
        assert _close(table.ratios[name], float(ratios[name])), name

    y, p = frame[y_true].to_numpy(), frame[y_pred].to_numpy()
    sensitive = _sensitive_frame(frame, table.columns)
    weight = frame[weights].to_numpy() if weights else None
    dpd = demographic_parity_difference(y, p, sensitive_features=sensitive, sample_weight=weight)
    dpr = demographic_parity_ratio(y, p, sensitive_features=sensitive, sample_weight=weight)
    eod = equalized_odds_difference(y, p, sensitive_features=sensitive, sample_weight=weight)
    assert _close(table.demographic_parity_difference, float(dpd))
    assert _close(table.demographic_parity_ratio, float(dpr))
    assert _close(table.equalized_odds_difference, float(eod))
    # The four-fifths figure is each group's rate over the highest one; its minimum is DPR.
    assert _close(table.adverse_impact_ratio, float(dpr))


def _audit(decisions, **options) -> FairnessResult:  # type: ignore[no-untyped-def]
    """Run the audit on a fixture's decisions."""
    return run_fairness_audit(
        decisions.frame,
        y_true=decisions.y_true,
        y_pred="y_pred",
        sensitive=list(decisions.sensitive),
        **options,
    )


@pytest.mark.parametrize("fixture", ["adult_decisions", "german_decisions"])
def test_rates_equal_an_independent_pandas_group_by(fixture: str, request) -> None:  # type: ignore[no-untyped-def]
    """Each per-group rate equals a plain pandas group-by on the same predictions, exactly."""
    decisions = request.getfixturevalue(fixture)
    frame = decisions.frame
    result = _audit(decisions, bootstrap=0)
    truth, predicted = frame[decisions.y_true] == 1, frame["y_pred"] == 1
    for feature in decisions.sensitive:
        group = frame[feature]
        expected = pd.DataFrame(
            {
                "count": group.value_counts(),
                "selection_rate": predicted.groupby(group).mean(),
                "accuracy": (predicted == truth).groupby(group).mean(),
                "true_positive_rate": predicted[truth].groupby(group[truth]).mean(),
                "false_positive_rate": predicted[~truth].groupby(group[~truth]).mean(),
                "false_negative_rate": (~predicted)[truth].groupby(group[truth]).mean(),
                "precision": truth[predicted].groupby(group[predicted]).mean(),
            }
        )
        table = result.table(feature)
        ours = table.to_frame()
        for name in expected.columns:
            for label, value in expected[name].items():
                assert ours.loc[str(label), name] == value, (feature, label, name)
        # The table's differences and ratios follow from those rates.
        for name in RATE_METRICS:
            assert table.differences[name] == expected[name].max() - expected[name].min()
            assert table.ratios[name] == expected[name].min() / expected[name].max()
        rates = expected["selection_rate"]
        assert table.reference_group == str(rates.idxmax())
        assert table.adverse_impact_ratio == rates.min() / rates.max()
        assert table.lowest_group == str(rates.idxmin())
        for label, rate in rates.items():
            assert table.group(str(label)).adverse_impact_ratio == rate / rates.max()


@pytest.mark.parametrize("fixture", ["adult_decisions", "german_decisions"])
def test_every_figure_equals_fairlearn_on_real_data(fixture: str, request) -> None:  # type: ignore[no-untyped-def]
    """Per feature and for the intersection, every figure equals fairlearn's MetricFrame."""
    decisions = request.getfixturevalue(fixture)
    result = _audit(decisions, bootstrap=0)
    assert [t.name for t in result.tables] == [
        *decisions.sensitive,
        INTERSECTION_SEPARATOR.join(decisions.sensitive),
    ]
    for table in result.tables:
        _assert_table_matches_fairlearn(table, decisions.frame, None, decisions.y_true, "y_pred")


def test_weighted_figures_equal_fairlearn_on_real_data(adult_decisions) -> None:  # type: ignore[no-untyped-def]
    """With sample weights (Adult's census fnlwgt), every figure equals fairlearn's."""
    result = _audit(adult_decisions, bootstrap=0, sample_weight="fnlwgt")
    assert result.weighted
    for table in result.tables:
        _assert_table_matches_fairlearn(
            table, adult_decisions.frame, "fnlwgt", adult_decisions.y_true, "y_pred"
        )


def test_score_figures_equal_scikit_learn(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """Per-group ROC AUC and mean score equal scikit-learn's on each group's rows."""
    frame = german_decisions.frame
    result = _audit(german_decisions, bootstrap=0, score="score")
    for label, rows in frame.groupby("age_band"):
        row = result.table("age_band").group(str(label))
        expected_auc = roc_auc_score(rows["good_credit"], rows["score"])
        assert abs(row.metrics["roc_auc"] - expected_auc) <= TOLERANCE
        assert abs(row.metrics["mean_score"] - rows["score"].mean()) <= TOLERANCE
    assert abs(result.overall["roc_auc"] - roc_auc_score(frame["good_credit"], frame["score"])) < (
        TOLERANCE
    )
    weighted = _audit(german_decisions, bootstrap=0, score="score", sample_weight="Duration")
    for label, rows in frame.groupby("sex"):
        row = weighted.table("sex").group(str(label))
        expected_auc = roc_auc_score(
            rows["good_credit"], rows["score"], sample_weight=rows["Duration"]
        )
        assert abs(row.metrics["roc_auc"] - expected_auc) <= TOLERANCE
        expected_mean = np.average(rows["score"], weights=rows["Duration"])
        assert abs(row.metrics["mean_score"] - expected_mean) <= TOLERANCE


labels = st.sampled_from(["a", "b", "c", None])
values = st.sampled_from(["x", "y", "z"])


@st.composite
def decision_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, bool]:
    """Small decision tables: single-class groups, missing values, empty intersections."""
    size = draw(st.integers(min_value=1, max_value=40))
    weighted = draw(st.booleans())
    frame = pd.DataFrame(
        {
            "y": draw(st.lists(st.integers(0, 1), min_size=size, max_size=size)),
            "p": draw(st.lists(st.integers(0, 1), min_size=size, max_size=size)),
            "first": draw(st.lists(labels, min_size=size, max_size=size)),
            "second": draw(st.lists(values, min_size=size, max_size=size)),
            "w": draw(
                st.lists(
                    st.floats(min_value=0.01, max_value=100.0, allow_nan=False),
                    min_size=size,
                    max_size=size,
                )
            ),
        }
    )
    return frame, weighted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decision_tables())
def test_every_figure_equals_fairlearn_on_generated_tables(
    table: tuple[pd.DataFrame, bool],
) -> None:
    """Generated tables (empty and single-class groups, NaN values, weights) agree with fairlearn."""
    frame, weighted = table
    result = run_fairness_audit(
        frame,
        y_true="y",
        y_pred="p",
        sensitive=["first", "second"],
        bootstrap=0,
        sample_weight="w" if weighted else None,
    )
    for group_table in result.tables:
        _assert_table_matches_fairlearn(group_table, frame, "w" if weighted else None, "y", "p")
    if frame["first"].isna().any():
        assert any(flag.code == "missing_sensitive_values" for flag in result.flags)
    json.dumps(result.to_dict(), allow_nan=False)


def test_missing_sensitive_values_form_their_own_group() -> None:
    """Missing values become the last group, named, flagged, and are not dropped."""
    frame = pd.DataFrame({"y": [1, 0, 1, 0], "p": [1, 1, 0, 0], "sex": ["f", None, "m", np.nan]})
    result = run_fairness_audit(frame, y_true="y", y_pred="p", sensitive=["sex"], bootstrap=0)
    table = result.table("sex")
    assert [row.group for row in table.groups] == ["f", "m", MISSING_GROUP]
    assert table.group(MISSING_GROUP).count == 2
    assert table.group(MISSING_GROUP).metrics["selection_rate"] == 0.5


def test_small_and_empty_groups_and_undefined_rates_are_flagged(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """Groups under min_group_size are marked and flagged; the AIR without them is reported."""
    result = _audit(german_decisions, bootstrap=0, min_group_size=60)
    age = result.table("age_band")
    small = {row.group for row in age.groups if row.small}
    assert small == {"60+"}  # 51 applicants aged 60 or more
    flagged = {(f.table, f.group) for f in result.flags if f.code == "small_group"}
    assert ("age_band", "60+") in flagged
    large = [row for row in age.groups if not row.small]
    rates = [row.metrics["selection_rate"] for row in large]
    assert age.adverse_impact_ratio_excluding_small_groups == min(rates) / max(rates)

    frame = pd.DataFrame({"y": [0, 0, 1], "p": [0, 1, 1], "g": ["a", "a", "b"], "h": list("xyx")})
    result = run_fairness_audit(frame, y_true="y", y_pred="p", sensitive=["g", "h"], bootstrap=0)
    codes = {(f.code, f.table, f.group) for f in result.flags}
    assert ("empty_group", "g & h", "b & y") in codes
    assert ("undefined_rate", "g", "a") in codes  # group a has no actual positives
    assert result.table("g").group("a").undefined == ("true_positive_rate", "false_negative_rate")


def test_bootstrap_is_seeded_and_its_intervals_contain_the_estimates(adult_decisions) -> None:  # type: ignore[no-untyped-def]
    """Same seed, same intervals; another seed, other intervals; each CI holds its estimate."""
    first = _audit(adult_decisions, bootstrap=100, seed=7)
    again = _audit(adult_decisions, bootstrap=100, seed=7)
    other = _audit(adult_decisions, bootstrap=100, seed=8)
    assert first.to_dict() == again.to_dict()
    assert first.to_dict() != other.to_dict()
    for table in first.tables:
        for name, (lower, upper) in table.intervals.items():
            assert lower <= getattr(table, name) <= upper, (table.name, name)
        for row in table.groups:
            if row.small or row.empty:
                continue
            for name in RATE_METRICS:
                lower, upper = row.intervals[name]
                assert lower <= row.metrics[name] <= upper, (table.name, row.group, name)
    for name, figure in first.headline.items():
        assert figure.interval[0] <= figure.value <= figure.interval[1], name


def test_weighted_bootstrap_matches_row_resampling_in_distribution(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """The multinomial draw over units gives the spread that resampling rows gives."""
    frame = german_decisions.frame.assign(w=lambda f: 1.0 + (f["Duration"] % 3))
    result = _audit(
        replace(german_decisions, frame=frame), bootstrap=400, seed=1, sample_weight="w"
    )
    generator = np.random.default_rng(2)
    female = frame["sex"] == "female"
    draws = []
    for _ in range(400):
        rows = frame.iloc[generator.integers(0, len(frame), len(frame))]
        mask = rows["sex"] == "female"
        selected = rows["y_pred"] == 1
        draws.append((rows["w"] * selected)[mask].sum() / rows["w"][mask].sum())
    lower, upper = result.table("sex").group("female").intervals["selection_rate"]
    expected_lower, expected_upper = np.quantile(draws, [0.025, 0.975])
    assert female.any()
    # Two independent 400-draw estimates of the same quantiles: close, not equal.
    assert abs(lower - expected_lower) < 0.02
    assert abs(upper - expected_upper) < 0.02


def test_progress_is_reported_until_all_resamples_are_done(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """The progress callback sees increasing counts ending at the number of resamples."""
    seen: list[tuple[int, int]] = []
    _audit(german_decisions, bootstrap=50, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (50, 50)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"y_true": "nope"}, "y_true column 'nope' not found"),
        ({"y_pred": "nope"}, "y_pred column 'nope' not found"),
        ({"sensitive": ["sex", "nope"]}, "sensitive column 'nope' not found"),
        ({"score": "nope"}, "score column 'nope' not found"),
        ({"y_pred": "Age"}, "column 'Age' is not binary"),
        ({"sensitive": []}, "sensitive must list at least one column"),
        ({"positive_label": "good"}, "positive label 'good' is not one of the outcomes"),
        ({"bootstrap": -1}, "bootstrap must be zero or more"),
    ],
)
def test_bad_input_is_one_readable_error(german_decisions, options, message) -> None:  # type: ignore[no-untyped-def]
    """Missing columns and impossible arguments raise AuditInputError naming the problem."""
    arguments = {
        "y_true": "good_credit",
        "y_pred": "y_pred",
        "sensitive": ["sex"],
        "bootstrap": 0,
        **options,
    }
    with pytest.raises(AuditInputError, match=message):
        run_fairness_audit(german_decisions.frame, **arguments)


def test_result_is_json_for_the_policy(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """to_dict() is strict JSON and carries the figures the fair-lending control reads."""
    document = json.loads(
        json.dumps(_audit(german_decisions, bootstrap=20).to_dict(), allow_nan=False)
    )
    assert set(document["headline"]) == {
        "adverse_impact_ratio",
        "adverse_impact_ratio_excluding_small_groups",
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equalized_odds_difference",
    }
    sex = next(t for t in document["tables"] if t["name"] == "sex")
    assert sex["reference_group"] in {"female", "male"}
    assert 0.0 <= sex["adverse_impact_ratio"] <= 1.0
    assert len(sex["intervals"]["adverse_impact_ratio"]) == 2
