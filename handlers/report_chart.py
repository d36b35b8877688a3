"""The report chart as PNG bytes: tickets by grid, and officers' rates.

Drawn on a bare Figure with the Agg canvas, so no pyplot state is shared between calls.
"""

from __future__ import annotations

import io
import warnings

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from handlers.report_font import cjk_font
from handlers.report_period import Period
from handlers.report_text import heading
from handlers.texts import Texts
from storage.reports import Report, Row

WIDTH = 0.27


def render_chart(report: Report, period: Period, t: Texts, *, current: bool = False) -> bytes:
    fig = Figure(figsize=(11, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    font = cjk_font()
    fig.suptitle(
        heading("report.title", report, period, t, current=current), fontproperties=cjk_font(14)
    )
    left, right = fig.subplots(1, 2)
    _grids(left, [r for r in report.grids if r.key is not None or r.counts.new], t, font)
    _officers(right, [r for r in report.officers if r.key is not None], t, font)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Without a CJK font (logged once) labels degrade to boxes rather than failing.
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _labels(ax: Axes, labels: list[str], font: FontProperties | None) -> None:
    ax.set_xticks(range(len(labels)), labels, fontproperties=font, rotation=20, ha="right")


def _empty(ax: Axes, t: Texts, font: FontProperties | None) -> None:
    ax.text(
        0.5,
        0.5,
        t("report.chart_empty"),
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontproperties=font,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _grids(ax: Axes, rows: list[Row], t: Texts, font: FontProperties | None) -> None:
    ax.set_title(t("report.chart_grids"), fontproperties=font)
    if not rows:
        _empty(ax, t, font)
        return
    series = (
        ("label_new", [r.counts.new for r in rows]),
        ("label_resolved", [r.counts.resolved for r in rows]),
        ("label_open", [r.counts.open for r in rows]),
    )
    for i, (key, values) in enumerate(series):
        ax.bar(
            [x + (i - 1) * WIDTH for x in range(len(rows))],
            values,
            WIDTH,
            label=t(f"report.{key}"),
        )
    _labels(ax, [r.label or t("report.unassigned") for r in rows], font)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(prop=font)


def _officers(ax: Axes, rows: list[Row], t: Texts, font: FontProperties | None) -> None:
    ax.set_title(t("report.chart_officers"), fontproperties=font)
    if not rows:
        _empty(ax, t, font)
        return
    series = (
        ("label_resolution", [100 * (r.counts.resolution_rate or 0) for r in rows]),
        ("label_satisfaction", [100 * (r.counts.satisfaction or 0) for r in rows]),
    )
    for i, (key, values) in enumerate(series):
        ax.bar(
            [x + (i - 0.5) * WIDTH for x in range(len(rows))],
            values,
            WIDTH,
            label=t(f"report.{key}"),
        )
    _labels(ax, [r.label for r in rows], font)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.legend(prop=font)
