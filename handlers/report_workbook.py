"""The report as an Excel workbook: summary, by grid, by officer, and the board."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from handlers.report_period import Period
from handlers.report_text import numbers, period_name
from handlers.texts import Texts
from storage.reports import Counts, Report, Row

PERCENT = "0%"
COUNT_COLUMNS = ("new", "taken", "resolved", "reopened", "open", "overdue", "resolved_of_new")
RATING_COLUMNS = ("satisfied", "basically", "dissatisfied")


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def render_workbook(report: Report, period: Period, t: Texts, *, current: bool = False) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = t("report.sheet_summary")
    _summary(summary, report, period, t, current)
    _table(book.create_sheet(t("report.sheet_grids")), t("report.label_grid"), report.grids, t)
    _table(
        book.create_sheet(t("report.sheet_officers")),
        t("report.label_officer"),
        report.officers,
        t,
    )
    _board(book.create_sheet(t("report.sheet_board")), report, t)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header(sheet: Worksheet, names: list[str]) -> None:
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, name in enumerate(names):
        sheet.column_dimensions[chr(ord("A") + i)].width = max(10, 2 * len(name) + 2)


def _summary(sheet: Worksheet, report: Report, period: Period, t: Texts, current: bool) -> None:
    c, d = report.totals, report.durations
    _header(sheet, [t("report.label_metric"), t("report.label_value")])
    rows: list[tuple[str, Any]] = [
        ("label_station", report.station_name),
        (
            "label_period",
            f"{period_name(period, t, current=current)} "
            f"{period.first_day.isoformat()} ~ {period.last_day.isoformat()}",
        ),
        *((f"label_{name}", getattr(c, name)) for name in COUNT_COLUMNS),
        ("label_resolution", c.resolution_rate),
        ("label_take_p50", _minutes(d.take_p50)),
        ("label_take_p90", _minutes(d.take_p90)),
        ("label_resolve_p50", _minutes(d.resolve_p50)),
        ("label_resolve_p90", _minutes(d.resolve_p90)),
        ("label_rated", c.rated),
        *((f"label_{name}", getattr(c, name)) for name in RATING_COLUMNS),
        ("label_satisfaction", c.satisfaction),
    ]
    for key, value in rows:
        sheet.append([t(f"report.{key}"), value])
        if key in ("label_resolution", "label_satisfaction"):
            sheet.cell(sheet.max_row, 2).number_format = PERCENT
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 36


def _counts_row(counts: Counts) -> list[Any]:
    return [
        *(getattr(counts, n) for n in COUNT_COLUMNS),
        counts.resolution_rate,
        counts.rated,
        *(getattr(counts, n) for n in RATING_COLUMNS),
        counts.satisfaction,
    ]


def _counts_header(t: Texts) -> list[str]:
    return [
        *(t(f"report.label_{n}") for n in COUNT_COLUMNS),
        t("report.label_resolution"),
        t("report.label_rated"),
        *(t(f"report.label_{n}") for n in RATING_COLUMNS),
        t("report.label_satisfaction"),
    ]


def _table(sheet: Worksheet, first: str, rows: list[Row], t: Texts) -> None:
    _header(sheet, [first, *_counts_header(t)])
    rate_col = 2 + len(COUNT_COLUMNS)
    for row in rows:
        sheet.append([row.label or t("report.unassigned"), *_counts_row(row.counts)])
        sheet.cell(sheet.max_row, rate_col).number_format = PERCENT
        sheet.cell(sheet.max_row, sheet.max_column).number_format = PERCENT
    sheet.column_dimensions["A"].width = 24


def _board(sheet: Worksheet, report: Report, t: Texts) -> None:
    _header(
        sheet,
        [
            t("report.label_list"),
            t("report.label_officer"),
            t("report.label_resolution"),
            t("report.label_satisfaction"),
            t("report.label_resolved"),
            t("report.label_overdue"),
            t("report.label_dissatisfied"),
        ],
    )
    for key, entries in (("list_red", report.red), ("list_black", report.black)):
        for e in entries:
            sheet.append(
                [
                    t(f"report.{key}"),
                    e.name,
                    e.counts.resolution_rate,
                    e.counts.satisfaction,
                    e.counts.resolved,
                    numbers(e.overdue_numbers, t) or None,
                    numbers(e.dissatisfied_numbers, t) or None,
                ]
            )
            for col in (3, 4):
                sheet.cell(sheet.max_row, col).number_format = PERCENT
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["F"].width = 24
    sheet.column_dimensions["G"].width = 24
