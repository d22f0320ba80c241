"""``gatehouse audit``: run a fairness or explainability audit on files, from a shell or a pipeline.

Both commands read a decisions table (CSV or Parquet), print a readable summary or, with
``--json``, the full result document (the same one the policy reads), and exit 0 when the
audit ran, 2 with one line on stderr when an input is unusable (missing file or column,
non-binary label, model that cannot be loaded). They never judge the figures: the gate
does that. ``audit schedule`` records a recurring audit of a registered model that
``gatehouse scheduler`` runs; it exits 1 with one line for an unknown model or dataset.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click
import pandas as pd

from app.audits.errors import AuditError
from app.audits.fairness import run_fairness_audit
from app.audits.fairness_result import HEADLINE_METRICS, FairnessResult
from app.audits.inputs import load_decisions, load_model, require_columns
from app.audits.parameters import AuditParameters
from app.cli.base import shell_actor, with_app_context
from app.models.vocabulary import AuditKind

if TYPE_CHECKING:
    from app.audits.explain import ExplainabilityResult

__all__ = ["cli_group"]

#: Exit status for an unusable input (click uses the same for usage errors).
INPUT_ERROR_EXIT = 2

P = ParamSpec("P")
R = TypeVar("R")


def _default(name: str) -> Any:
    """The default :class:`AuditParameters` declares for ``name`` (the API's and the scheduler's)."""
    return AuditParameters.model_fields[name].default


_positive_label_option = click.option(
    "--positive-label", default="1", show_default=True, help="Favourable outcome."
)
_bootstrap_option = click.option(
    "--bootstrap", default=_default("bootstrap"), show_default=True, type=click.IntRange(min=0)
)
_seed_option = click.option("--seed", default=_default("seed"), show_default=True, type=int)
_top_k_option = click.option(
    "--top-k", default=_default("top_k"), show_default=True, type=click.IntRange(min=1)
)


def _fairness_figure_options(command: Callable[P, R]) -> Callable[P, R]:
    """How the fairness figures are computed, for every command that computes them (now or
    on a schedule): the favourable label and the bootstrap's resamples and seed."""
    return _positive_label_option(_bootstrap_option(_seed_option(command)))


@click.group(name="audit")
def cli_group() -> None:
    """Fairness (fairlearn definitions) and explainability (SHAP) audits of decisions."""


def _fail(message: str) -> NoReturn:
    """Print one line on stderr and exit with the input-error status."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(INPUT_ERROR_EXIT)


@contextmanager
def _input_errors() -> Iterator[None]:
    """Turn the audit's typed errors into one line and exit status 2."""
    try:
        yield
    except AuditError as error:
        _fail(str(error))


def _progress_bar(length: int, label: str) -> AbstractContextManager[Any]:
    """A progress bar on stderr, so ``--json`` output on stdout stays parseable."""
    return click.progressbar(length=length, label=label, file=sys.stderr)


def _columns(text: str | None) -> list[str]:
    """Split a ``COL[,COL]`` option into column names."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def _label_like(column: pd.Series, text: str) -> Any:
    """The positive label typed on the command line, as the column's type."""
    if pd.api.types.is_bool_dtype(column):
        return text.lower() in ("1", "true", "yes")
    if pd.api.types.is_numeric_dtype(column):
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            _fail(f"positive label {text!r} is not a number like column '{column.name}'")
    return text


def _figure(value: float | None) -> str:
    """A figure for the text summary."""
    return (
        "n/a"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.4f}"
    )


@cli_group.command("fairness")
@click.option(
    "--data", "data_path", required=True, help="Decisions table (.csv, .csv.gz, .parquet)."
)
@click.option("--y-true", required=True, help="Column with the true outcome.")
@click.option("--y-pred", required=True, help="Column with the model's decision.")
@click.option("--sensitive", required=True, help="Sensitive feature column(s), comma-separated.")
@click.option("--score", default=None, help="Column with the model's score (adds ROC AUC).")
@click.option("--weight", default=None, help="Column with sample weights.")
@_fairness_figure_options
@click.option(
    "--min-group-size",
    default=_default("min_group_size"),
    show_default=True,
    type=click.IntRange(min=0),
)
@click.option("--intersections/--no-intersections", default=True, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def fairness_command(
    data_path: str,
    y_true: str,
    y_pred: str,
    sensitive: str,
    score: str | None,
    weight: str | None,
    positive_label: str,
    bootstrap: int,
    seed: int,
    min_group_size: int,
    intersections: bool,
    as_json: bool,
) -> None:
    """Group fairness figures of a decisions table, with bootstrap confidence intervals."""
    with _input_errors():
        frame = load_decisions(data_path)
        require_columns(frame, [y_pred], role="y_pred")
        with _progress_bar(max(bootstrap, 1), "bootstrap") as bar:
            result = run_fairness_audit(
                frame,
                y_true=y_true,
                y_pred=y_pred,
                sensitive=_columns(sensitive),
                intersections=intersections,
                score=score,
                min_group_size=min_group_size,
                bootstrap=bootstrap,
                seed=seed,
                progress=lambda done, _total: bar.update(done - bar.pos),
                sample_weight=weight,
                positive_label=_label_like(frame[y_pred], positive_label),
            )
    if as_json:
        click.echo(json.dumps(result.to_dict(), allow_nan=False))
    else:
        _print_fairness(result)


def _print_fairness(result: FairnessResult) -> None:
    """The figures a reader looks at first, one table per feature."""
    click.echo(f"rows: {result.rows}   weighted: {result.weighted}")
    for table in result.tables:
        click.echo(f"\n{table.name}  (reference group: {table.reference_group})")
        click.echo(
            f"  {'group':<28} {'count':>8} {'selection':>10} {'TPR':>8} {'FPR':>8} {'AIR':>8}"
        )
        for row in table.groups:
            mark = " (small)" if row.small else " (empty)" if row.empty else ""
            click.echo(
                f"  {row.group[:28]:<28} {row.count:>8} "
                f"{_figure(row.metrics['selection_rate']):>10} "
                f"{_figure(row.metrics['true_positive_rate']):>8} "
                f"{_figure(row.metrics['false_positive_rate']):>8} "
                f"{_figure(row.adverse_impact_ratio):>8}{mark}"
            )
        for name in HEADLINE_METRICS:
            lower, upper = table.intervals.get(name, (math.nan, math.nan))
            click.echo(
                f"  {name}: {_figure(getattr(table, name))}  [{_figure(lower)}, {_figure(upper)}]"
            )
    if result.flags:
        click.echo(f"\nflags: {len(result.flags)}")
        for flag in result.flags:
            click.echo(f"  {flag.code}: {flag.message}")


@cli_group.command("explain")
@click.option("--model", "model_path", required=True, help="Model artefact (joblib/pickle).")
@click.option("--data", "data_path", required=True, help="Table with the model's features.")
@click.option("--features", default=None, help="Feature columns (default: the model's own).")
@click.option("--id-column", default=None, help="Column with decision ids (default: row number).")
@click.option("--sensitive", default=None, help="Columns for per-group importance.")
@_top_k_option
@click.option("--favourable-label", default="1", show_default=True)
@click.option("--model-sha256", default=None, help="Refuse the model unless its sha256 matches.")
@click.option(
    "--decisions/--no-decisions", default=True, help="Include per-decision reasons in JSON."
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def explain_command(
    model_path: str,
    data_path: str,
    features: str | None,
    id_column: str | None,
    sensitive: str | None,
    top_k: int,
    favourable_label: str,
    model_sha256: str | None,
    decisions: bool,
    as_json: bool,
) -> None:
    """SHAP explanations: global and per-group importance, principal reasons per decision.

    The model file is unpickled, which runs code from it: use only artefacts you trust
    (from the registry, with --model-sha256).
    """
    # SHAP takes seconds to import: only this command pays for it, not `gatehouse --help`.
    from app.audits.explain import run_explainability_audit

    with (
        _input_errors(),
        _progress_bar(3, "explain") as bar,
    ):
        model = load_model(model_path, expected_sha256=model_sha256)
        bar.update(1)
        frame = load_decisions(data_path)
        bar.update(1)
        names = _columns(features) or [str(n) for n in getattr(model, "feature_names_in_", [])]
        if not names:
            _fail("the model does not record its feature names: pass --features")
        require_columns(frame, names, role="feature")
        if id_column is not None:
            require_columns(frame, [id_column], role="id")
        groups = _columns(sensitive)
        require_columns(frame, groups, role="sensitive")
        classes = list(getattr(model, "classes_", []))
        label = (
            _label_like(pd.Series(classes, name="favourable"), favourable_label) if classes else 1
        )
        result = run_explainability_audit(
            model,
            frame[names],
            decision_ids=None if id_column is None else frame[id_column].tolist(),
            top_k=top_k,
            sensitive=frame[groups] if groups else None,
            favourable_label=label,
        )
        bar.update(1)
    if as_json:
        click.echo(json.dumps(result.to_dict(include_decisions=decisions), allow_nan=False))
    else:
        _print_explanation(result)


def _print_explanation(result: ExplainabilityResult) -> None:
    """Method, fidelity and global importance, plus the first decision's reasons."""
    click.echo(f"model: {result.model_type}   method: {result.method}   output: {result.output}")
    click.echo(f"rows explained: {result.rows}")
    if result.additivity_max_error is not None:
        click.echo(f"additivity max error: {result.additivity_max_error:.2e}")
    if result.fidelity is not None:
        click.echo(
            f"surrogate fidelity ({result.fidelity['sample']}, {result.fidelity['rows']} rows): "
            f"R2 {_figure(result.fidelity['r2'])}, agreement {_figure(result.fidelity['agreement'])}"
        )
    click.echo("global importance (mean |SHAP|):")
    for name, value in result.global_importance.items():
        click.echo(f"  {name:<30} {value:.4f}")
    first = result.explain_row(0)
    reasons = ", ".join(reason.feature for reason in first.reasons) or "none"
    click.echo(f"principal reasons of decision {first.decision_id}: {reasons}")


@cli_group.command("schedule")
@click.argument("model")
@click.option(
    "--dataset", "dataset_version_id", required=True, type=int, help="Tabular dataset version id."
)
@click.option("--kind", required=True, type=click.Choice([kind.value for kind in AuditKind]))
@click.option("--cron", required=True, help='Five-field cron in UTC, e.g. "0 2 * * *".')
@click.option("--y-true", default=None, help="Column with the true outcome (fairness).")
@click.option(
    "--y-pred", default=None, help="Decision column (default: the model artefact predicts)."
)
@click.option("--score", default=None, help="Score column.")
@click.option("--sensitive", default=None, help="Sensitive column(s), comma-separated.")
@click.option("--features", default=None, help="Model feature columns (default: the model's own).")
@click.option("--id-column", default=None, help="Column with decision ids (explainability).")
@_fairness_figure_options
@_top_k_option
@click.option("--disable", is_flag=True, help="Record the schedule switched off.")
@with_app_context
def schedule_command(
    model: str,
    dataset_version_id: int,
    kind: str,
    cron: str,
    y_true: str | None,
    y_pred: str | None,
    score: str | None,
    sensitive: str | None,
    features: str | None,
    id_column: str | None,
    positive_label: str,
    bootstrap: int,
    seed: int,
    top_k: int,
    disable: bool,
) -> None:
    """Schedule a recurring audit of MODEL (version id, or name@version; a bare name when it
    has one version).

    Creates the schedule, or updates the one for the same model, dataset and kind; the
    running scheduler's leader picks it up within its sync interval.
    """
    from app.audits.parameters import AuditParameters
    from app.audits.schedules import AuditScheduleCreate, upsert_schedule
    from app.db import unit_of_work
    from app.registry.model_versions import model_version_id_named

    label: int | str = (
        int(positive_label) if positive_label.lstrip("-").isdigit() else positive_label
    )
    with _input_errors(), unit_of_work() as session:
        parameters = AuditParameters(
            y_true=y_true,
            y_pred=y_pred,
            score=score,
            sensitive=tuple(_columns(sensitive)),
            features=tuple(_columns(features)) or None,
            id_column=id_column,
            positive_label=label,
            bootstrap=bootstrap,
            seed=seed,
            top_k=top_k,
        )
        schedule = upsert_schedule(
            session=session,
            data=AuditScheduleCreate(
                model_version_id=model_version_id_named(session=session, model=model),
                dataset_version_id=dataset_version_id,
                kind=AuditKind(kind),
                cron=cron,
                parameters=parameters,
                enabled=not disable,
            ),
            actor=shell_actor(),
        )
        click.echo(
            f"schedule {schedule.id}: {schedule.kind} audit of model version "
            f"{schedule.model_version_id} on dataset version {schedule.dataset_version_id}, "
            f"cron '{schedule.cron}' (UTC){'' if schedule.enabled else ', disabled'}"
        )
