"""The report as chat text: every string comes from the [report] catalogue section."""

from __future__ import annotations

from datetime import timedelta

from handlers.report_period import Period
from handlers.texts import Texts
from handlers.timefmt import age
from storage.reports import BoardEntry, Counts, Report

NUMBERS_SHOWN = 10


def percent(value: float | None, t: Texts) -> str:
    return t("report.none") if value is None else f"{value:.0%}"


def duration(seconds: float | None, t: Texts) -> str:
    return t("report.none") if seconds is None else age(timedelta(seconds=seconds), t.lang)


def period_name(period: Period, t: Texts, *, current: bool = False) -> str:
    return t(f"report.{'current' if current else 'name'}_{period.kind}")


def heading(key: str, report: Report, period: Period, t: Texts, *, current: bool = False) -> str:
    """Title-like lines (title, captions) naming station, period and its days."""
    return t(
        key,
        station=report.station_name,
        name=period_name(period, t, current=current),
        first=period.first_day.isoformat(),
        last=period.last_day.isoformat(),
    )


def render_text(report: Report, period: Period, t: Texts, *, current: bool = False) -> str:
    c, d = report.totals, report.durations
    lines = [
        heading("report.title", report, period, t, current=current),
        t("report.counts", new=c.new, taken=c.taken, resolved=c.resolved, reopened=c.reopened),
        t("report.backlog", open=c.open, overdue=c.overdue),
        t(
            "report.resolution",
            rate=percent(c.resolution_rate, t),
            new=c.new,
            done=c.resolved_of_new,
        ),
        t("report.take_time", p50=duration(d.take_p50, t), p90=duration(d.take_p90, t)),
        t("report.resolve_time", p50=duration(d.resolve_p50, t), p90=duration(d.resolve_p90, t)),
        satisfaction_line(c, t),
    ]
    if report.grids:
        lines += ["", t("report.grids_header")]
        lines += [
            t(
                "report.grid_line",
                grid=row.label or t("report.unassigned"),
                new=row.counts.new,
                resolved=row.counts.resolved,
                open=row.counts.open,
                overdue=row.counts.overdue,
                rate=percent(row.counts.resolution_rate, t),
            )
            for row in report.grids
        ]
    lines += ["", t("report.red_header")]
    lines += [red_line(e, t) for e in report.red] or [t("report.board_empty")]
    lines += [t("report.black_header")]
    lines += [
        t("report.black_line", name=e.name, reasons=black_reasons(e, t)) for e in report.black
    ] or [t("report.board_empty")]
    return "\n".join(lines)


def satisfaction_line(c: Counts, t: Texts) -> str:
    return t(
        "report.satisfaction",
        rate=percent(c.satisfaction, t),
        r1=c.satisfied,
        r2=c.basically,
        r3=c.dissatisfied,
    )


def red_line(e: BoardEntry, t: Texts) -> str:
    return t(
        "report.red_line",
        name=e.name,
        rate=percent(e.counts.resolution_rate, t),
        satisfaction=percent(e.counts.satisfaction, t),
        resolved=e.counts.resolved,
    )


def numbers(values: tuple[int, ...], t: Texts, *, limit: int | None = None) -> str:
    """'#3、#7'; with `limit`, the first ones and how many more (chat messages are short)."""
    shown = values if limit is None else values[:limit]
    text = t("report.number_sep").join(f"#{n}" for n in shown)
    if len(values) > len(shown):
        text += t("report.more_numbers", count=len(values) - len(shown))
    return text


def black_reasons(e: BoardEntry, t: Texts) -> str:
    reasons = []
    if e.overdue_numbers:
        reasons.append(
            t("report.black_overdue", numbers=numbers(e.overdue_numbers, t, limit=NUMBERS_SHOWN))
        )
    if e.dissatisfied_numbers:
        reasons.append(
            t(
                "report.black_dissatisfied",
                numbers=numbers(e.dissatisfied_numbers, t, limit=NUMBERS_SHOWN),
            )
        )
    return t("report.reason_sep").join(reasons)
