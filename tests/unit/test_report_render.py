"""Rendering a report: text through the catalogue, a PNG chart, an Excel workbook."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from openpyxl import load_workbook

from handlers.report_chart import render_chart
from handlers.report_font import cjk_font
from handlers.report_period import containing
from handlers.report_text import render_text
from handlers.report_workbook import render_workbook
from handlers.texts import catalogue
from storage.reports import BoardEntry, Counts, Durations, Report, Row

PERIOD = containing("week", date(2026, 3, 4), "Asia/Shanghai")
A = Counts(
    new=4,
    resolved_of_new=3,
    taken=5,
    resolved=5,
    reopened=1,
    open=1,
    satisfied=1,
    basically=2,
    dissatisfied=1,
)
B = Counts(new=2, taken=1, open=3, overdue=2)
TOTAL = Counts(
    new=6,
    resolved_of_new=3,
    taken=6,
    resolved=5,
    reopened=1,
    open=4,
    overdue=2,
    satisfied=1,
    basically=2,
    dissatisfied=1,
)


def sample() -> Report:
    return Report(
        station_id=1,
        station_name="新城派出所",
        start=PERIOD.start,
        end=PERIOD.end,
        totals=TOTAL,
        durations=Durations(900, 2100, 3600, 5760),
        grids=[Row(1, "NH-01 南湖社区一网格", A), Row(2, "NH-02 南湖社区二网格", B)],
        officers=[Row(2001, "王向阳", A), Row(2002, "李明", B)],
        red=[BoardEntry(2003, "赵强", Counts(new=1, resolved_of_new=1, resolved=1))],
        black=[BoardEntry(2002, "李明", B, (3, 7)), BoardEntry(2001, "王向阳", A, (), (6,))],
    )


def empty() -> Report:
    return Report(1, "新城派出所", PERIOD.start, PERIOD.end, Counts(), Durations())


def test_text_in_chinese_names_figures_and_board_tickets() -> None:
    text = render_text(sample(), PERIOD, catalogue("zh"))
    assert text.splitlines()[0] == "新城派出所 周报（2026-03-02 至 2026-03-08）"
    assert "化解率 50%（本期新增 6 件，期末已办结 3 件）" in text
    assert "满意率 75%（满意 1 · 基本满意 2 · 不满意 1）" in text
    assert "受理用时：中位 15分钟，90% 35分钟" in text
    assert "· 李明：超时 #3、#7" in text
    assert "· 王向阳：不满意 #6" in text
    assert "· 赵强：化解率 100%" in text


def test_text_in_english() -> None:
    text = render_text(sample(), PERIOD, catalogue("en"))
    assert "resolution rate 50% (3 of 6 new tickets resolved by period end)" in text
    assert "· 李明: overdue #3, #7" in text


def test_empty_report_text_has_dashes_and_empty_board() -> None:
    text = render_text(empty(), PERIOD, catalogue("zh"))
    assert "化解率 -" in text
    assert text.count("· 无") == 2


@pytest.mark.parametrize("report", [sample(), empty()])
def test_chart_is_a_png(report: Report) -> None:
    png = render_chart(report, PERIOD, catalogue("zh"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_chart_finds_a_cjk_font() -> None:
    assert cjk_font() is not None, "install fonts-noto-cjk"


def test_workbook_has_four_sheets_with_the_same_figures() -> None:
    book = load_workbook(io.BytesIO(render_workbook(sample(), PERIOD, catalogue("zh"))))
    assert book.sheetnames == ["汇总", "按网格", "按民警", "红黑榜"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["新增"] == 6
    assert summary["化解率"] == pytest.approx(0.5)
    assert summary["满意率"] == pytest.approx(0.75)
    assert summary["受理用时中位（分钟）"] == 15
    grids = list(book["按网格"].iter_rows(min_row=2, values_only=True))
    assert [g[0] for g in grids] == ["NH-01 南湖社区一网格", "NH-02 南湖社区二网格"]
    board = list(book["红黑榜"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[5], r[6]) for r in board] == [
        ("红榜", "赵强", None, None),
        ("黑榜", "李明", "#3、#7", None),
        ("黑榜", "王向阳", None, "#6"),
    ]


def test_rendering_twice_leaves_no_figure_behind() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    render_chart(sample(), PERIOD, catalogue("zh"))
    assert plt.get_fignums() == before


def test_long_ticket_lists_are_cut_in_chat_text() -> None:
    many = BoardEntry(2002, "李明", B, tuple(range(1, 31)))
    text = render_text(replace(sample(), black=[many]), PERIOD, catalogue("zh"))
    assert "· 李明：超时 #1、#2、#3、#4、#5、#6、#7、#8、#9、#10等20件" in text
