"""The SVG chart primitives: deterministic, embeddable side by side, strict about input."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable

import pytest

from app.charts import bar_chart_svg, grouped_bar_chart_svg, stacked_bar_chart_svg
from app.errors import ValidationError

SVG = "{http://www.w3.org/2000/svg}"


def _selection_rate_chart() -> str:
    return bar_chart_svg(
        ["female", "male", "unknown"],
        [0.41, 0.52, math.nan],
        title="Selection rate by sex",
        errors=[(0.38, 0.44), (0.49, 0.55), (0.0, 0.0)],
        threshold=0.416,
        threshold_label="four-fifths of the highest rate",
    )


def test_same_data_gives_identical_svg() -> None:
    assert _selection_rate_chart() == _selection_rate_chart()


def test_svg_is_inline_ready_well_formed_and_undated() -> None:
    svg = _selection_rate_chart()
    assert svg.startswith("<svg ")
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("aria-label") == "Selection rate by sex"
    assert "<dc:date>" not in svg
    # Glyphs are drawn as paths: no <text> elements that would need the font.
    assert root.find(f".//{SVG}text") is None


def test_ids_differ_between_charts_and_every_reference_resolves() -> None:
    first = _selection_rate_chart()
    second = grouped_bar_chart_svg(
        ["female", "male"],
        {"TPR": [0.7, 0.75], "FPR": [0.1, 0.12]},
        title="Error rates",
        errors={"TPR": [(0.65, 0.74), (0.7, 0.8)]},
        threshold=0.8,
    )
    for svg in (first, second):
        ids = set(re.findall(r'\bid="([^"]+)"', svg))
        references = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
        assert references
        assert references <= ids
    first_ids = set(re.findall(r'\bid="([^"]+)"', first))
    second_ids = set(re.findall(r'\bid="([^"]+)"', second))
    assert not first_ids & second_ids


def test_horizontal_and_stacked_charts_render() -> None:
    importance = bar_chart_svg(
        ["age", "income", "debt"],
        [0.31, 0.22, -0.08],
        title="SHAP importance",
        horizontal=True,
        value_format="{:.3f}",
        axis_label="mean |SHAP value|",
    )
    findings = stacked_bar_chart_svg(
        ["notes-v3", "claims-v1"],
        {"high": [3, 0], "medium": [5, 2], "low": [10, 1]},
        title="Findings by severity",
        horizontal=True,
    )
    for svg in (importance, findings):
        ElementTree.fromstring(svg)


@pytest.mark.parametrize(
    "call",
    [
        lambda: bar_chart_svg([], [], title="empty"),
        lambda: bar_chart_svg(["a", "b"], [1.0], title="short"),
        lambda: bar_chart_svg(["a"], [1.0], title="bad interval", errors=[(2.0, 1.0)]),
        lambda: grouped_bar_chart_svg(["a"], {"x": [1.0]}, title="t", errors={"y": [(0, 1)]}),
        lambda: stacked_bar_chart_svg(["a"], {"x": [-1.0]}, title="negative part"),
    ],
)
def test_malformed_input_is_rejected(call: Callable[[], str]) -> None:
    with pytest.raises(ValidationError):
        call()
