"""The SVG chart primitives: deterministic, embeddable side by side, strict about input."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable

import pytest

from app.charts import (
    bar_chart_svg,
    count_chart_svg,
    grouped_bar_chart_svg,
    stacked_bar_chart_svg,
)
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


def test_alt_text_is_the_data_behind_the_chart() -> None:
    """The <title> (the PDF figure's /Alt) names every value, interval and the reference line."""
    title = ElementTree.fromstring(_selection_rate_chart()).find(f"{SVG}title")
    assert title is not None
    assert title.text == (
        "Selection rate by sex. female 0.41 (interval 0.38 to 0.44), "
        "male 0.52 (interval 0.49 to 0.55), unknown n/a. "
        "Dashed line: four-fifths of the highest rate at 0.42."
    )
    stacked = stacked_bar_chart_svg(
        ["training_launch", "promotion"],
        {"allow": [3, 1], "deny": [2, 4]},
        title="Gate decisions <by gate>",
    )
    stacked_title = ElementTree.fromstring(stacked).find(f"{SVG}title")
    assert stacked_title is not None
    assert stacked_title.text == (
        "Gate decisions <by gate>. total: training_launch 5, promotion 5. "
        "allow: training_launch 3, promotion 1. deny: training_launch 2, promotion 4."
    )


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


#: Digits in DejaVu Sans: 63.6 units of advance and about 73 units of height per 100-unit em.
_DIGIT_ADVANCE = 63.6
_GLYPH_HEIGHT = 73.0
_TEXT = re.compile(
    r"<!-- (?P<text>[^<]*?) -->\s*<g transform=\"translate\((?P<x>[-\d.]+) (?P<y>[-\d.]+)\)"
    r"(?: rotate\((?P<angle>[-\d.]+)\))? scale\((?P<scale>[\d.]+) [-\d.]+\)\">"
    r"(?P<glyphs>.*?)</g>",
    re.S,
)


def _value_label_boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """``(text, left, top, right, bottom)`` of every value label (``0.25``, ``n/a``) drawn
    in the SVG, read from the glyph runs matplotlib writes for each text."""
    boxes = []
    for match in _TEXT.finditer(svg):
        text = match["text"]
        if not re.fullmatch(r"-?[\d.]+|n/a", text):
            continue
        offsets = [float(v) for v in re.findall(r"translate\(([\d.]+) 0\)", match["glyphs"])]
        scale = float(match["scale"])
        length = (max(offsets, default=0.0) + _DIGIT_ADVANCE) * scale
        height = _GLYPH_HEIGHT * scale
        x, y = float(match["x"]), float(match["y"])
        if match["angle"] is None:
            boxes.append((text, x, y - height, x + length, y))
        else:  # a quarter turn: the text runs upwards from its anchor
            boxes.append((text, x - height, y - length, x, y))
    return boxes


def _overlapping(boxes: list[tuple[str, float, float, float, float]]) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for index, a in enumerate(boxes)
        for b in boxes[index + 1 :]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


def test_value_labels_never_overlap_even_with_extreme_values() -> None:
    """Zero-height bars side by side once printed "0.000.00"; many intersection groups,
    zeros, ones, undefined and tiny values must still give separate labels."""
    groups = [f"group {index} × region {index % 3}" for index in range(14)]
    extreme = grouped_bar_chart_svg(
        groups,
        {
            "TPR": [0.0] * 13 + [1.0],
            "FPR": [0.0] * 7 + [math.nan] * 7,
            "FNR": [1.0, 0.0001] * 7,
            "accuracy": [0.999] * 14,
        },
        title="Error rates by sex × age band",
    )
    two_groups = grouped_bar_chart_svg(
        ["female", "male"],
        {"TPR": [0.0, 0.0], "FPR": [0.0, 0.0], "FNR": [0.0, 1.0], "accuracy": [1.0, 0.0]},
        title="Error rates by sex",
    )
    single = bar_chart_svg(["a", "b", "c"], [0.0, 0.0, 1.0], title="zeros")
    for svg in (extreme, two_groups, single):
        boxes = _value_label_boxes(svg)
        assert boxes, "the chart must label its bars"
        assert _overlapping(boxes) == []
    values = [box for box in _value_label_boxes(extreme) if re.fullmatch(r"\d\.\d\d|n/a", box[0])]
    assert len(values) == 14 * 4  # every bar keeps its label (axis ticks read 0.0, 0.2, ...)


def test_stacked_totals_never_overlap_even_with_many_bars_and_large_counts() -> None:
    """Three years of months with four- and five-digit totals, and a zero month, upright;
    many horizontal gate rows keep one total each."""
    months = [f"{2024 + index // 12}-{index % 12 + 1:02d}" for index in range(36)]
    monthly = stacked_bar_chart_svg(
        months,
        {
            "allowed": [0.0 if index == 5 else 9000.0 + index for index in range(36)],
            "denied": [0.0 if index == 5 else 1234.0 for index in range(36)],
            "indeterminate": [0.0 if index == 5 else 7.0 for index in range(36)],
        },
        title="Gate decisions by month",
    )
    gates = stacked_bar_chart_svg(
        [f"gate {index}" for index in range(20)],
        {"allowed": [10_000.0] * 20, "denied": [0.0] * 19 + [99_999.0]},
        title="Gate decisions",
        horizontal=True,
    )
    for svg, bars in ((monthly, 36), (gates, 20)):
        boxes = _value_label_boxes(svg)
        totals = [box for box in boxes if len(box[0]) > 1 or box[0] == "0"]
        assert _overlapping(boxes) == []
        assert len(totals) >= bars


@pytest.mark.parametrize(
    "draw",
    [
        lambda: count_chart_svg("Runs by state", (("draft", 2), ("submitted", 1))),
        lambda: stacked_bar_chart_svg(
            ["training_launch"], {"allowed": [1.0], "denied": [2.0]}, title="Gate decisions"
        ),
    ],
)
def test_counts_are_read_on_whole_number_ticks(draw: Callable[[], str]) -> None:
    """Two runs in draft once read against ticks 0.00, 0.25, 0.50, ... 2.00."""
    texts = [match["text"] for match in _TEXT.finditer(draw())]
    numbers = [text for text in texts if re.fullmatch(r"-?[\d.]+", text)]
    assert {"0", "1", "2"} <= set(numbers), texts
    assert not [text for text in numbers if "." in text], texts
