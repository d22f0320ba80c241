"""Reading audit inputs: the decisions table and the model artefact.

An audit starts from a decisions table (CSV or Parquet: true label, prediction, optional
score, sensitive features, model features) or from a model artefact plus a data set.
This module turns a file into a DataFrame or a fitted model and turns every problem
into an :class:`~app.audits.errors.AuditInputError` whose message names the file or
column, so the doors can print it as one line.

Trust: a joblib/pickle model artefact is executable code. Unpickling runs whatever the
file's author put in it, with the rights of the Gatehouse process. Load only artefacts
that come from the registry (whose sha256 was recorded when they were registered) or
from people who could already run code on this machine; never an upload from an
untrusted party. :func:`load_model` can check an expected sha256 before unpickling.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from app.audits.errors import AuditInputError, UnsupportedModelError

__all__ = [
    "DECISION_TABLE_SUFFIXES",
    "load_decisions",
    "load_model",
    "predict_decisions",
    "require_columns",
]

#: File name endings :func:`load_decisions` understands.
DECISION_TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet", ".pq")


def load_decisions(path: str | Path) -> pd.DataFrame:
    """Read a decisions table from CSV (optionally gzipped) or Parquet.

    The format follows the file name, because a decisions log is registered as a
    ``tabular`` dataset version whose name carries its format.
    """
    file = Path(path)
    name = file.name.lower()
    if not file.is_file():
        raise AuditInputError(f"data file not found: {file}")
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(file)
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(file)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise AuditInputError(f"cannot read {file}: {error}") from error
    raise AuditInputError(
        f"unsupported data file {file.name}: expected one of {', '.join(DECISION_TABLE_SUFFIXES)}"
    )


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, role: str) -> None:
    """Raise :class:`AuditInputError` naming the first column of ``columns`` not in ``frame``.

    ``role`` says what the column was meant to be (``y_true``, ``sensitive`` ...), so the
    message tells the user which argument to fix.
    """
    for column in columns:
        if column not in frame.columns:
            available = ", ".join(map(str, frame.columns[:20]))
            raise AuditInputError(
                f"{role} column '{column}' not found in the data (columns: {available})"
            )


def load_model(path: str | Path, *, expected_sha256: str | None = None) -> Any:
    """Load a scikit-learn compatible model saved with joblib or pickle.

    Unpickling executes code from the file (see the module docstring): pass the sha256
    recorded in the registry as ``expected_sha256`` and the file is refused when its
    content differs, before anything is unpickled.
    """
    file = Path(path)
    if not file.is_file():
        raise AuditInputError(f"model file not found: {file}")
    if expected_sha256 is not None:
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if digest != expected_sha256.lower():
            raise UnsupportedModelError(
                f"model file {file.name} has sha256 {digest}, expected {expected_sha256}"
            )
    try:
        model = joblib.load(file)
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, ModuleNotFoundError) as error:
        raise UnsupportedModelError(f"cannot load model {file.name}: {error}") from error
    if not hasattr(model, "predict"):
        raise UnsupportedModelError(f"model {file.name} has no predict() method")
    return model


def predict_decisions(
    model: Any,
    frame: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    favourable_label: Any = 1,
    prediction_column: str = "y_pred",
    score_column: str = "score",
) -> pd.DataFrame:
    """Return ``frame`` with the model's decisions (and favourable-class score) added.

    For an audit of a registered model artefact on a dataset rather than of a decisions
    log: the result feeds ``run_fairness_audit(..., y_pred=prediction_column,
    score=score_column)``. ``features`` defaults to the names the model was fitted with.
    """
    names = list(features or getattr(model, "feature_names_in_", []))
    if not names:
        raise AuditInputError("the model does not record its feature names: name the features")
    require_columns(frame, names, role="feature")
    decided = frame.copy()
    decided[prediction_column] = model.predict(frame[names])
    classes = list(getattr(model, "classes_", []))
    if hasattr(model, "predict_proba") and favourable_label in classes:
        probabilities = model.predict_proba(frame[names])
        decided[score_column] = np.asarray(probabilities)[:, classes.index(favourable_label)]
    return decided
