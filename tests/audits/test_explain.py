"""The explainability audit: SHAP additivity, ordered principal reasons, surrogate fidelity."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shap
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.audits.errors import AuditInputError
from app.audits.explain import run_explainability_audit
from app.audits.inputs import predict_decisions


def test_tree_explainer_values_add_up_to_the_model_output(adult_decisions) -> None:  # type: ignore[no-untyped-def]
    """Base value plus the SHAP values of each decision equals the model's log-odds."""
    frame = adult_decisions.frame.iloc[:2000]
    features = frame[adult_decisions.features]
    result = run_explainability_audit(
        adult_decisions.model, features, decision_ids=frame["decision_id"].tolist()
    )
    assert result.method == "tree"
    assert result.output == "log_odds"
    log_odds = adult_decisions.model.decision_function(features)
    reconstructed = result.expected_value + result.shap_values.sum(axis=1)
    np.testing.assert_allclose(reconstructed, log_odds, rtol=0, atol=1e-9)
    assert result.additivity_max_error is not None and result.additivity_max_error < 1e-9
    # Same values as calling SHAP directly.
    direct = shap.TreeExplainer(adult_decisions.model)(features).values
    np.testing.assert_allclose(result.shap_values, direct, rtol=0, atol=1e-12)


def test_global_importance_is_mean_absolute_shap_sorted(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """Global importance is mean |SHAP| per feature, highest first."""
    features = german_decisions.frame[german_decisions.features]
    result = run_explainability_audit(german_decisions.model, features, decision_ids=None)
    expected = np.abs(result.shap_values).mean(axis=0)
    importances = list(result.global_importance.values())
    assert importances == sorted(importances, reverse=True)
    for index, name in enumerate(result.features):
        assert result.global_importance[name] == pytest.approx(expected[index], abs=1e-15)


def test_principal_reasons_are_the_most_negative_contributions_in_order(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """Each decision's reasons are its top-k negative SHAP values, most negative first."""
    frame = german_decisions.frame
    features = frame[german_decisions.features]
    result = run_explainability_audit(
        german_decisions.model,
        features,
        decision_ids=frame["decision_id"].tolist(),
        top_k=3,
    )
    for row in range(0, len(frame), 37):
        explanation = result.reasons_for(frame["decision_id"].iat[row])
        contributions = [reason.contribution for reason in explanation.reasons]
        assert contributions == sorted(contributions)
        assert all(value < 0 for value in contributions)
        negatives = sorted(value for value in result.shap_values[row] if value < 0)
        assert contributions == negatives[:3]
        for reason in explanation.reasons:
            assert reason.value == features[reason.feature].iat[row]
    denied = frame.index[frame["y_pred"] == 0][0]
    assert result.explain_row(int(denied)).reasons, "a denial must come with reasons"
    with pytest.raises(KeyError):
        result.reasons_for("no-such-decision")


def test_per_group_importance(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """Per-group importance is mean |SHAP| over each group's rows."""
    frame = german_decisions.frame
    result = run_explainability_audit(
        german_decisions.model,
        frame[german_decisions.features],
        decision_ids=None,
        sensitive=frame[["sex", "age_band"]],
    )
    female = (frame["sex"] == "female").to_numpy()
    expected = np.abs(result.shap_values[female]).mean(axis=0)
    for index, name in enumerate(result.features):
        assert result.group_importance["sex"]["female"][name] == pytest.approx(expected[index])
    assert set(result.group_importance["age_band"]) == {"<25", "25-39", "40-59", "60+"}


def test_forest_values_add_up_to_the_probability(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """For a random forest the explained output is the favourable-class probability."""
    frame = german_decisions.frame
    features = frame[german_decisions.features]
    forest = RandomForestClassifier(n_estimators=30, max_depth=5, random_state=0)
    forest.fit(features, frame["good_credit"])
    result = run_explainability_audit(forest, features, decision_ids=None)
    assert (result.method, result.output) == ("tree", "probability")
    np.testing.assert_allclose(
        result.expected_value + result.shap_values.sum(axis=1),
        forest.predict_proba(features)[:, 1],
        atol=1e-9,
    )


def test_black_box_gets_a_surrogate_with_its_fidelity(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """A non-tree model is explained through a surrogate whose fidelity is measured and reported."""
    frame = german_decisions.frame
    features = frame[german_decisions.features]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(features, frame["good_credit"])
    result = run_explainability_audit(model, features, decision_ids=None, seed=3)
    assert result.method == "surrogate"
    assert result.output == "probability"
    fidelity = result.fidelity
    assert fidelity is not None
    assert fidelity["sample"] == "held_out" and fidelity["rows"] == 250
    assert 0.9 < fidelity["r2"] <= 1.0
    assert 0.9 < fidelity["agreement"] <= 1.0
    # The surrogate's values add up to the surrogate's output, which tracks the model's.
    probability = model.predict_proba(features)[:, 1]
    assert np.corrcoef(result.outputs, probability)[0, 1] > 0.95
    again = run_explainability_audit(model, features, decision_ids=None, seed=3)
    assert again.fidelity == fidelity


def test_result_document_is_json_with_reasons_by_decision_id(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """to_dict() is strict JSON; decisions carry their id and ordered reasons."""
    frame = german_decisions.frame
    result = run_explainability_audit(
        german_decisions.model,
        frame[german_decisions.features],
        decision_ids=frame["decision_id"].tolist(),
        sensitive=frame[["sex"]],
    )
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["method"] == "tree" and document["rows"] == len(frame)
    first = document["decisions"][0]
    assert first["decision_id"] == "d000000"
    assert len(first["reasons"]) <= 4
    assert "decisions" not in result.to_dict(include_decisions=False)


def test_bad_input_is_refused(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """Mismatched ids and impossible arguments raise AuditInputError."""
    features = german_decisions.frame[german_decisions.features]
    with pytest.raises(AuditInputError, match="decision ids"):
        run_explainability_audit(german_decisions.model, features, decision_ids=["a", "b"])
    with pytest.raises(AuditInputError, match="not unique"):
        run_explainability_audit(german_decisions.model, features, decision_ids=["a"] * 1000)
    with pytest.raises(AuditInputError, match="favourable label"):
        run_explainability_audit(
            german_decisions.model, features, decision_ids=None, favourable_label="yes"
        )


def test_model_artefact_plus_dataset_gives_the_decisions_table(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """predict_decisions adds the model's decisions and scores, ready for the fairness audit."""
    frame = german_decisions.frame.drop(columns=["y_pred", "score"])
    decided = predict_decisions(german_decisions.model, frame)
    assert (decided["y_pred"] == german_decisions.frame["y_pred"]).all()
    np.testing.assert_array_equal(decided["score"], german_decisions.frame["score"])
    with pytest.raises(AuditInputError, match="feature column 'Duration' not found"):
        predict_decisions(german_decisions.model, frame.drop(columns=["Duration"]))
