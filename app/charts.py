"""Server-side SVG charts for reports and portal pages.

Reports are signed, so a chart must come out byte-identical for the same data:
a re-rendered report can then be compared with the one on file, and the portal can
cache it. Every function here draws with matplotlib (no pyplot, no GUI backend),
writes SVG with glyphs as paths (so WeasyPrint and every browser show the same
letters without needing the font), a fixed id salt and no date, and returns the
``<svg>`` element as a string ready to be embedded inline in HTML.

Element ids inside each SVG are prefixed with a digest of the chart, so several
charts can sit in one HTML document without their ids colliding.

Values may be ``nan`` (a metric undefined for a group, e.g. a true-positive rate
with no positives): no bar is drawn and the label reads ``n/a``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypedDict, Unpack

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from app.errors import ValidationError

__all__ = ["PALETTE", "bar_chart_svg", "grouped_bar_chart_svg", "stacked_bar_chart_svg"]

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies
#: and when printed in greyscale.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
_THRESHOLD_COLOUR = "#B22222"
_ERROR_COLOUR = "#333333"

# rcParams are process-global and matplotlib is not thread-safe: the scheduler and
# the web process may draw charts from several threads, so drawing is serialised.
_DRAWING_LOCK = threading.Lock()

_STYLE: dict[Any, Any] = {
    "svg.hashsalt": "gatehouse",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "legend.frameon": False,
    "legend.fontsize": 8.0,
    "path.simplify": False,
}

_ID_PATTERN = re.compile(r'\bid="([^"]+)"')


@contextmanager
def _chart_style() -> Iterator[None]:
    """Hold the drawing lock with Gatehouse's deterministic SVG settings applied."""
    with _DRAWING_LOCK, matplotlib.rc_context(_STYLE):
        yield


def _to_svg(figure: Figure, *, title: str, alt: str) -> str:
    """Serialise ``figure`` to a self-contained, id-prefixed inline ``<svg>`` string.

    ``alt`` becomes the SVG's ``<title>``: browsers show it, and WeasyPrint writes it as
    the tagged PDF's ``/Alt`` of the figure (PDF/UA needs one on every figure).
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    document = buffer.getvalue()
    svg = document[document.index("<svg") :]
    prefix = "c" + hashlib.sha256(svg.encode("utf-8")).hexdigest()[:10] + "-"
    for element_id in set(_ID_PATTERN.findall(svg)):
        escaped = re.escape(element_id)
        svg = re.sub(rf'\bid="{escaped}"', f'id="{prefix}{element_id}"', svg)
        svg = re.sub(rf"#{escaped}([\")])", rf"#{prefix}{element_id}\1", svg)
    opening_end = svg.index(">") + 1
    svg = f"{svg[:opening_end]}<title>{html.escape(alt)}</title>{svg[opening_end:]}"
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(title)}" ', 1)


def _alt_text(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], Sequence[tuple[float, float]] | None]],
    *,
    value_format: str,
    reference: str | None = None,
) -> str:
    """A chart in words: its title and every value it draws, i.e. the data table behind it.

    Screen readers read this instead of the picture, so nothing the chart shows is lost
    to someone who cannot see it: each series names every label with its value (and
    interval), then the reference line.
    """
    sentences = [title.rstrip(".") + "."]
    for name, values, intervals in series:
        items = []
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            item = f"{label} {_format_value(float(value), value_format)}"
            if intervals is not None and not math.isnan(float(value)):
                low, high = intervals[index]
                item += f" (interval {value_format.format(low)} to {value_format.format(high)})"
            items.append(item)
        sentences.append((f"{name}: " if name else "") + ", ".join(items) + ".")
    if reference is not None:
        sentences.append(f"Dashed line: {reference}.")
    return " ".join(sentences)


def _require_same_length(name: str, expected: int, actual: int) -> None:
    """Reject a series whose length does not match the labels (a silent misalignment)."""
    if actual != expected:
        raise ValidationError(f"{name} has {actual} values for {expected} labels")


def _require_series(
    chart: str, axis: str, labels: Sequence[str], series: Mapping[str, Sequence[float]]
) -> None:
    """The checks every multi-series chart makes: ``labels`` (named ``axis``) and
    ``series`` exist, each series has a colour of its own and one value per label."""
    if not labels:
        raise ValidationError(f"a {chart} needs at least one {axis}")
    if not series:
        raise ValidationError(f"a {chart} needs at least one series")
    if len(series) > len(PALETTE):
        raise ValidationError(f"at most {len(PALETTE)} series can be told apart by colour")
    for name, values in series.items():
        _require_same_length(f"series {name!r}", len(labels), len(values))


def _format_value(value: float, value_format: str) -> str:
    """Label text for a bar; ``n/a`` for undefined values."""
    return "n/a" if math.isnan(value) else value_format.format(value)


def _vertical_alignment(*, negative: bool, upright: bool) -> dict[str, Any]:
    """Text placement for a value label above (or, if negative, below) a vertical bar."""
    if upright:
        return {
            "rotation": 90,
            "rotation_mode": "anchor",
            "ha": "right" if negative else "left",
            "va": "center",
        }
    return {"ha": "center", "va": "top" if negative else "bottom"}


def _label_bars(
    axes: Axes,
    positions: Sequence[float],
    values: Sequence[float],
    *,
    texts: Sequence[str],
    intervals: Sequence[tuple[float, float]] | None,
    horizontal: bool,
    fontsize: float,
    upright: bool = False,
) -> None:
    """Write each bar's value just beyond the bar end or its interval, whichever is further.

    Placing the text past the interval keeps it legible instead of crossed by the whisker;
    undefined values get their ``n/a`` at zero. ``upright`` turns the text of vertical bars
    a quarter turn, so a label is no wider than the bar slot it sits on and neighbouring
    labels (two zero bars side by side read "0.000.00" otherwise) never overlap.
    """
    for index, (position, value, text) in enumerate(zip(positions, values, texts, strict=True)):
        end = 0.0 if math.isnan(value) else value
        negative = end < 0
        if intervals is not None:
            low, high = intervals[index]
            end = min(end, low) if negative else max(end, high)
        direction = -3 if negative else 3
        if horizontal:
            axes.annotate(
                text,
                xy=(end, position),
                xytext=(direction, 0),
                textcoords="offset points",
                ha="right" if negative else "left",
                va="center",
                fontsize=fontsize,
            )
        else:
            axes.annotate(
                text,
                xy=(position, end),
                xytext=(0, direction),
                textcoords="offset points",
                fontsize=fontsize,
                **_vertical_alignment(negative=negative, upright=upright),
            )


def _new_axes(
    *, count: int, horizontal: bool, size: tuple[float, float] | None
) -> tuple[Figure, Axes]:
    """A figure with one axes sized for ``count`` bar positions."""
    if size is None:
        # Each bar gets at least ~11 pt of width, room for an upright 7 pt value label.
        size = (
            (6.4, max(1.6, 0.34 * count + 1.0))
            if horizontal
            else (max(6.4, 0.15 * count + 1.2), 3.2)
        )
    figure = Figure(figsize=size, dpi=72, layout="constrained")
    return figure, figure.add_subplot()


def _draw_intervals(
    axes: Axes,
    positions: Sequence[float],
    intervals: Sequence[tuple[float, float]],
    *,
    horizontal: bool,
) -> None:
    """Draw each (lower, upper) interval as given, independent of the bar height.

    Bootstrap percentile intervals need not contain the point estimate, so the
    interval is drawn from its own bounds rather than as +/- offsets from the value.
    """
    centres = [(low + high) / 2 for low, high in intervals]
    half_widths = [(high - low) / 2 for low, high in intervals]
    if any(width < 0 for width in half_widths):
        raise ValidationError("a confidence interval has its lower bound above its upper bound")
    if horizontal:
        axes.errorbar(
            centres, positions, xerr=half_widths, fmt="none", ecolor=_ERROR_COLOUR, capsize=3
        )
    else:
        axes.errorbar(
            positions, centres, yerr=half_widths, fmt="none", ecolor=_ERROR_COLOUR, capsize=3
        )


def _threshold_text(threshold: float, *, label: str | None, value_format: str) -> str:
    """The reference line's legend entry: its label, or ``threshold <value>``."""
    return label if label is not None else f"threshold {value_format.format(threshold)}"


def _draw_threshold(
    axes: Axes, threshold: float, *, horizontal: bool, label: str | None, value_format: str
) -> None:
    """A dashed reference line (e.g. the four-fifths bound) with a legend entry."""
    text = _threshold_text(threshold, label=label, value_format=value_format)
    line = axes.axvline if horizontal else axes.axhline
    line(threshold, color=_THRESHOLD_COLOUR, linestyle="--", linewidth=1.2, label=text)


def _finish_axes(
    axes: Axes,
    labels: Sequence[str],
    *,
    title: str,
    horizontal: bool,
    axis_label: str | None,
    legend: bool,
) -> None:
    """Ticks, title, axis label and legend shared by every chart kind."""
    positions = range(len(labels))
    if horizontal:
        axes.set_yticks(list(positions), labels=list(labels))
        axes.invert_yaxis()  # first label on top, as read in a table
        if axis_label:
            axes.set_xlabel(axis_label)
        axes.axvline(0, color="#666666", linewidth=0.8)
    else:
        rotate = max((len(label) for label in labels), default=0) * len(labels) > 60
        axes.set_xticks(
            list(positions),
            labels=list(labels),
            rotation=30 if rotate else 0,
            ha="right" if rotate else "center",
        )
        if axis_label:
            axes.set_ylabel(axis_label)
        axes.axhline(0, color="#666666", linewidth=0.8)
    axes.set_title(title, loc="left")
    if legend:
        # Outside the plot area, so it never hides a bar or a label.
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.margins(x=0.12 if horizontal else 0.04, y=0.04 if horizontal else 0.12)


def _whole_number_ticks(axes: Axes, *, horizontal: bool) -> None:
    """Ticks of the value axis on integers only, for counts (2 runs have no 0.25 step)."""
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))


class BarStyle(TypedDict, total=False):
    """How a plain or grouped bar chart is drawn; each option is described on
    :func:`bar_chart_svg`, and one left out takes :func:`_bar_chart`'s default."""

    threshold: float | None
    threshold_label: str | None
    horizontal: bool
    value_format: str
    axis_label: str | None
    size: tuple[float, float] | None
    whole_numbers: bool


def _bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], Sequence[tuple[float, float]] | None]],
    *,
    grouped: bool,
    title: str,
    threshold: float | None = None,
    threshold_label: str | None = None,
    horizontal: bool = False,
    value_format: str = "{:.2f}",
    axis_label: str | None = None,
    size: tuple[float, float] | None = None,
    whole_numbers: bool = False,
) -> str:
    """Bars per label for each ``(name, values, intervals)`` series: one full-width bar per
    label, or (``grouped``) the series side by side with a legend entry each."""
    with _chart_style():
        figure, axes = _new_axes(count=len(labels) * len(series), horizontal=horizontal, size=size)
        width = 0.8 / len(series)
        for index, (name, values, intervals) in enumerate(series):
            offset = (index - (len(series) - 1) / 2) * width
            positions = [label + offset for label in range(len(labels))]
            plotted = [float(value) for value in values]
            draw = axes.barh if horizontal else axes.bar
            if grouped:
                draw(positions, plotted, width * 0.95, color=PALETTE[index], label=name, zorder=2)
            else:
                draw(list(range(len(labels))), plotted, color=PALETTE[index], zorder=2)
            if intervals is not None:
                _draw_intervals(axes, positions, intervals, horizontal=horizontal)
            _label_bars(
                axes,
                positions,
                plotted,
                texts=[_format_value(value, value_format) for value in plotted],
                intervals=intervals,
                horizontal=horizontal,
                fontsize=7 if grouped else 8,
                upright=grouped and not horizontal,
            )
        if threshold is not None:
            _draw_threshold(
                axes,
                threshold,
                horizontal=horizontal,
                label=threshold_label,
                value_format=value_format,
            )
        _finish_axes(
            axes,
            labels,
            title=title,
            horizontal=horizontal,
            axis_label=axis_label,
            legend=grouped or threshold is not None,
        )
        if whole_numbers:
            _whole_number_ticks(axes, horizontal=horizontal)
        reference = None
        if threshold is not None:
            reference = (
                f"{_threshold_text(threshold, label=threshold_label, value_format=value_format)}"
                f" at {value_format.format(threshold)}"
            )
        alt = _alt_text(title, labels, series, value_format=value_format, reference=reference)
        return _to_svg(figure, title=title, alt=alt)


def bar_chart_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    errors: Sequence[tuple[float, float]] | None = None,
    **style: Unpack[BarStyle],
) -> str:
    """One bar per label, e.g. selection rate per group or SHAP importance per feature.

    ``errors`` are confidence intervals as absolute ``(lower, upper)`` bounds, one per
    label. ``threshold`` draws a dashed reference line (legend text ``threshold_label``).
    Horizontal charts list the labels top to bottom in the given order. ``size`` is in
    inches; by default it fits the number of labels.
    """
    if not labels:
        raise ValidationError("a bar chart needs at least one label")
    _require_same_length("values", len(labels), len(values))
    if errors is not None:
        _require_same_length("errors", len(labels), len(errors))
    return _bar_chart(labels, [("", values, errors)], grouped=False, title=title, **style)


def grouped_bar_chart_svg(
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    errors: Mapping[str, Sequence[tuple[float, float]]] | None = None,
    **style: Unpack[BarStyle],
) -> str:
    """Several metrics side by side per group, e.g. TPR, FPR and accuracy per sex.

    ``series`` maps each metric name (legend entry) to one value per group, in the
    order of ``groups``. ``errors`` optionally maps a metric name to one absolute
    ``(lower, upper)`` interval per group.
    """
    _require_series("grouped bar chart", "group", groups, series)
    for name, bounds in (errors or {}).items():
        if name not in series:
            raise ValidationError(f"errors given for unknown series {name!r}")
        _require_same_length(f"errors of {name!r}", len(groups), len(bounds))
    return _bar_chart(
        groups,
        [(name, values, (errors or {}).get(name)) for name, values in series.items()],
        grouped=True,
        title=title,
        **style,
    )


def stacked_bar_chart_svg(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    horizontal: bool = False,
    value_format: str = "{:.0f}",
    axis_label: str | None = None,
    size: tuple[float, float] | None = None,
) -> str:
    """Counts of parts of a whole per label, e.g. findings by severity per dataset (the
    value axis ticks whole numbers).

    ``series`` maps each part (legend entry) to one non-negative value per label; the
    total is printed at the end of each bar. ``nan`` counts as zero in the stack.
    """
    _require_series("stacked bar chart", "label", labels, series)
    for name, values in series.items():
        if any(float(value) < 0 for value in values):
            raise ValidationError(f"series {name!r} has a negative value; stacks need parts >= 0")
    with _chart_style():
        figure, axes = _new_axes(count=len(labels), horizontal=horizontal, size=size)
        positions = list(range(len(labels)))
        base = [0.0] * len(labels)
        for index, (name, values) in enumerate(series.items()):
            parts = [0.0 if math.isnan(float(value)) else float(value) for value in values]
            if horizontal:
                axes.barh(positions, parts, left=base, color=PALETTE[index], label=name, zorder=2)
            else:
                axes.bar(positions, parts, bottom=base, color=PALETTE[index], label=name, zorder=2)
            base = [total + part for total, part in zip(base, parts, strict=True)]
        _label_bars(
            axes,
            positions,
            base,
            texts=[value_format.format(total) for total in base],
            intervals=None,
            horizontal=horizontal,
            fontsize=8,
            upright=not horizontal,
        )
        _finish_axes(
            axes, labels, title=title, horizontal=horizontal, axis_label=axis_label, legend=True
        )
        _whole_number_ticks(axes, horizontal=horizontal)
        stacks = [(name, values, None) for name, values in series.items()]
        alt = _alt_text(title, labels, [("total", base, None), *stacks], value_format=value_format)
        return _to_svg(figure, title=title, alt=alt)


@functools.lru_cache(maxsize=64)
def count_chart_svg(title: str, counts: tuple[tuple[str, int], ...]) -> str:
    """Horizontal bars of whole-number counts (runs per state), drawn once per distinct
    set of counts: pages show the same counts on load after load, and matplotlib costs
    around a hundred milliseconds a chart."""
    return bar_chart_svg(
        [label for label, _ in counts],
        [float(count) for _, count in counts],
        title=title,
        value_format="{:.0f}",
        horizontal=True,
        whole_numbers=True,
    )


@functools.lru_cache(maxsize=64)
def cached_stacked_chart_svg(
    title: str, labels: tuple[str, ...], series: tuple[tuple[str, tuple[float, ...]], ...]
) -> str:
    """:func:`stacked_bar_chart_svg` (horizontal), drawn once per distinct data."""
    return stacked_bar_chart_svg(
        list(labels), {name: list(values) for name, values in series}, title=title, horizontal=True
    )
