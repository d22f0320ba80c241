"""Loaders for the public data sets shipped in ``data/`` (UCI Adult, Statlog German Credit).

The demo, the tests and the benchmarks audit models trained on these; the loaders give
them named columns, a 0/1 label and the sensitive features the audits group by, so no
caller has to re-learn the file layouts or the German credit attribute codes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ADULT_COLUMNS",
    "AGE_BAND_EDGES",
    "AGE_BAND_LABELS",
    "DATA_DIR",
    "GERMAN_SEX_CODES",
    "age_band",
    "load_adult",
    "load_german",
]

#: The project's copy of the public data sets (see ``data/README.md`` for the licence).
DATA_DIR: Path = Path(__file__).resolve().parents[2] / "data"

#: Column names of ``adult.data`` in file order (the file has no header), in snake case.
ADULT_COLUMNS: tuple[str, ...] = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
)

#: ``Status/sex`` codes of german.data (Attribute 9 of german.doc) mapped to sex.
GERMAN_SEX_CODES: dict[str, str] = {
    "A91": "male",  # divorced/separated
    "A92": "female",  # divorced/separated/married
    "A93": "male",  # single
    "A94": "male",  # married/widowed
    "A95": "female",  # single
}

#: Left-closed age band edges in years; 25 is the cut the German credit literature uses.
AGE_BAND_EDGES: tuple[float, ...] = (0, 25, 40, 60, np.inf)
#: Labels of the bands between consecutive :data:`AGE_BAND_EDGES`.
AGE_BAND_LABELS: tuple[str, ...] = ("<25", "25-39", "40-59", "60+")


def age_band(age: pd.Series) -> pd.Series:
    """Return the age band (``<25``, ``25-39``, ``40-59``, ``60+``) of each age in years.

    The bands are an ordered categorical, so tables and charts list them youngest first.

    One banding for every data set keeps intersections (sex by age band) comparable
    between the demo, the tests and the benchmark.
    """
    bands = pd.cut(age, bins=list(AGE_BAND_EDGES), labels=list(AGE_BAND_LABELS), right=False)
    return bands.rename("age_band")


def load_adult(path: Path | None = None) -> pd.DataFrame:
    """Load UCI Adult with snake-case columns, ``?`` as missing, and derived columns.

    Adds ``income_over_50k`` (1 when ``income`` is ``>50K``, else 0) as the label and
    ``age_band``. Categorical columns are strings with surrounding spaces removed.
    """
    frame = pd.read_csv(
        path or DATA_DIR / "adult.data",
        header=None,
        names=list(ADULT_COLUMNS),
        sep=",",
        skipinitialspace=True,
        na_values=["?"],
        skip_blank_lines=True,
    )
    frame["income_over_50k"] = (frame["income"] == ">50K").astype(np.int64)
    frame["age_band"] = age_band(frame["age"])
    return frame


def load_german(path: Path | None = None) -> pd.DataFrame:
    """Load Statlog German Credit with its header's column names and derived columns.

    Adds ``sex`` from ``Status/sex`` (A91/A93/A94 male, A92/A95 female, per german.doc),
    ``age_band`` from ``Age`` and ``good_credit`` (1 when ``target`` is 1 = good credit,
    0 when 2 = bad credit) as the favourable outcome the audits treat as "selected".
    """
    frame = pd.read_csv(path or DATA_DIR / "german.data", sep=r"\s+")
    frame["sex"] = frame["Status/sex"].map(GERMAN_SEX_CODES).astype("str")
    frame["age_band"] = age_band(frame["Age"])
    frame["good_credit"] = (frame["target"] == 1).astype(np.int64)
    return frame
