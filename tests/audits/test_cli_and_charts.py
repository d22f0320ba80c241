"""``gatehouse audit`` through click's CliRunner, the input loaders, and the audit charts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import joblib
import pytest
from click.testing import CliRunner

from app.audits import charts
from app.audits.datasets import DATA_DIR
from app.audits.errors import AuditInputError, UnsupportedModelError
from app.audits.explain import run_explainability_audit
from app.audits.fairness import run_fairness_audit
from app.audits.fairness_result import FairnessResult
from app.audits.inputs import load_decisions, load_model
from app.cli.audits import cli_group


@pytest.fixture(scope="module")
def files(german_decisions, tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """The German credit decisions as CSV and Parquet, and the model as a joblib file."""
    folder = tmp_path_factory.mktemp("audit-cli")
    frame = german_decisions.frame
    paths = {
        "csv": folder / "decisions.csv",
        "parquet": folder / "decisions.parquet",
        "model": folder / "model.joblib",
    }
    frame.to_csv(paths["csv"], index=False)
    frame.astype({"age_band": "str"}).to_parquet(paths["parquet"], index=False)
    joblib.dump(german_decisions.model, paths["model"])
    return paths


def _fairness_arguments(data: Path, *extra: str) -> list[str]:
    return [
        "fairness",
        "--data",
        str(data),
        "--y-true",
        "good_credit",
        "--y-pred",
        "y_pred",
        "--sensitive",
        "sex,age_band",
        "--bootstrap",
        "30",
        *extra,
    ]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_fairness_json_equals_the_library_result(files, german_decisions, kind) -> None:  # type: ignore[no-untyped-def]
    """--json prints the same document the Python API returns for the same table."""
    outcome = CliRunner().invoke(cli_group, [*_fairness_arguments(files[kind]), "--json"])
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    expected = run_fairness_audit(
        load_decisions(files[kind]),
        y_true="good_credit",
        y_pred="y_pred",
        sensitive=["sex", "age_band"],
        bootstrap=30,
    ).to_dict()
    assert document == json.loads(json.dumps(expected))
    assert [t["name"] for t in document["tables"]] == ["sex", "age_band", "sex & age_band"]


def test_fairness_text_summary(files) -> None:  # type: ignore[no-untyped-def]
    """Without --json the figures are printed as a table per feature."""
    outcome = CliRunner().invoke(cli_group, _fairness_arguments(files["csv"]))
    assert outcome.exit_code == 0, outcome.output
    assert "reference group:" in outcome.stdout
    assert "adverse_impact_ratio:" in outcome.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--sensitive", "sex,nope"), "sensitive column 'nope' not found"),
        (("--y-true", "missing_label"), "y_true column 'missing_label' not found"),
        (("--data", "/nonexistent/decisions.csv"), "data file not found"),
        (("--y-pred", "Duration"), "column 'Duration' is not binary"),
    ],
)
def test_fairness_input_errors_exit_2_with_one_line(files, change, message) -> None:  # type: ignore[no-untyped-def]
    """An unusable input exits 2 with one line on stderr naming the problem."""
    arguments = _fairness_arguments(files["csv"])
    arguments[arguments.index(change[0]) + 1] = change[1]
    outcome = CliRunner().invoke(cli_group, arguments)
    assert outcome.exit_code == 2
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in outcome.output


def test_missing_required_option_is_a_usage_error(files) -> None:  # type: ignore[no-untyped-def]
    """Click's own usage errors use the same exit status."""
    outcome = CliRunner().invoke(cli_group, ["fairness", "--data", str(files["csv"])])
    assert outcome.exit_code == 2


def test_explain_json_with_reasons_by_id(files) -> None:  # type: ignore[no-untyped-def]
    """explain reads the model's feature names, keys reasons by the id column."""
    outcome = CliRunner().invoke(
        cli_group,
        [
            "explain",
            "--model",
            str(files["model"]),
            "--data",
            str(files["csv"]),
            "--id-column",
            "decision_id",
            "--sensitive",
            "sex",
            "--top-k",
            "2",
            "--json",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    assert document["method"] == "tree"
    assert document["decisions"][5]["decision_id"] == "d000005"
    assert all(len(d["reasons"]) <= 2 for d in document["decisions"])
    assert set(document["group_importance"]["sex"]) == {"female", "male"}


def test_explain_text_and_errors(files) -> None:  # type: ignore[no-untyped-def]
    """Text summary; a wrong sha256 or missing column exits 2 with one line."""
    base = ["explain", "--model", str(files["model"]), "--data", str(files["csv"])]
    outcome = CliRunner().invoke(cli_group, base)
    assert outcome.exit_code == 0, outcome.output
    assert "global importance" in outcome.stdout
    outcome = CliRunner().invoke(cli_group, [*base, "--model-sha256", "0" * 64])
    assert outcome.exit_code == 2 and "sha256" in outcome.stderr
    outcome = CliRunner().invoke(cli_group, [*base, "--features", "Duration,nope"])
    assert outcome.exit_code == 2 and "feature column 'nope' not found" in outcome.stderr


def test_load_model_checks_the_recorded_digest(files) -> None:  # type: ignore[no-untyped-def]
    """The model is unpickled only when its sha256 matches the one given."""
    digest = hashlib.sha256(files["model"].read_bytes()).hexdigest()
    assert hasattr(load_model(files["model"], expected_sha256=digest), "predict")
    with pytest.raises(UnsupportedModelError):
        load_model(files["model"], expected_sha256="f" * 64)
    with pytest.raises(AuditInputError):
        load_decisions(files["model"])


def test_shipped_data_matches_its_readme() -> None:
    """The data files are the ones whose sha256 the data README records."""
    readme = (DATA_DIR / "README.md").read_text()
    for name in ("adult.data", "german.data", "german.doc"):
        digest = hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest()
        assert digest in readme, name
    assert "CC BY 4.0" in readme


def test_charts_are_deterministic_svg(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """Each audit chart is an inline SVG, identical when drawn twice from the same result."""
    frame = german_decisions.frame
    fairness = run_fairness_audit(
        frame, y_true="good_credit", y_pred="y_pred", sensitive=["sex", "age_band"], bootstrap=20
    )
    explanation = run_explainability_audit(
        german_decisions.model,
        frame[german_decisions.features],
        decision_ids=None,
        sensitive=frame[["sex"]],
    )
    drawings = [
        lambda: charts.group_metric_chart_svg(fairness.table("age_band")),
        lambda: charts.adverse_impact_chart_svg(fairness.table("sex & age_band"), threshold=0.8),
        lambda: charts.confusion_rates_chart_svg(fairness.table("sex")),
        lambda: charts.importance_chart_svg(
            explanation.global_importance, output=explanation.output
        ),
        lambda: charts.group_importance_chart_svg(
            explanation.group_importance["sex"],
            column="sex",
            features=list(explanation.global_importance)[:4],
        ),
    ]
    for draw in drawings:
        svg = draw()
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
        assert draw() == svg


def test_stored_fairness_result_redraws_the_same_charts(german_decisions) -> None:  # type: ignore[no-untyped-def]
    """A result rebuilt from its JSON document equals the original and draws the same charts."""
    result = run_fairness_audit(
        german_decisions.frame,
        y_true="good_credit",
        y_pred="y_pred",
        sensitive=["sex", "age_band"],
        bootstrap=20,
    )
    stored = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    rebuilt = FairnessResult.from_dict(stored)
    assert rebuilt.to_dict() == stored
    for name in ("sex", "sex & age_band"):
        assert charts.group_metric_chart_svg(rebuilt.table(name)) == charts.group_metric_chart_svg(
            result.table(name)
        )
        assert charts.confusion_rates_chart_svg(
            rebuilt.table(name)
        ) == charts.confusion_rates_chart_svg(result.table(name))
