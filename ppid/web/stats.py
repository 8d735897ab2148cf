"""The dashboard: cases by status, the tasks due this week or overdue, and the monthly chart as
SVG geometry.

The chart is drawn by the template from the numbers computed here (server-side SVG, no JS).
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ppid.core.calendar import BULAN
from ppid.core.messages import page_title
from ppid.core.models import Case, Task
from ppid.core.vocabulary import ROLE_LABELS, STATUS_LABELS, Role, TaskStatus, step_label
from ppid.web.deps import AnyUser, web
from ppid.web.pages import page, tanggal

CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 720, 260, 40, 40, 20


def last_months(today: date, count: int = 12) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def monthly(session: Session, today: date, tz: tzinfo) -> list[dict[str, Any]]:
    """Per month of the last year: objections received, answered, answered by the deadline.

    A case counts in the month of the office's (`tz`) date it came in: one received at 00.30 WIB
    on 1 December is December's, though its UTC time is still in November.
    """
    months = last_months(today)
    start = date(*months[0], 1)
    rows = {key: {"received": 0, "answered": 0, "on_time": 0} for key in months}
    cases = session.execute(
        select(Case.received_at, Case.answered_on, Case.answer_due).where(Case.number.is_not(None))
    )
    for received_at, answered_on, answer_due in cases:
        received = received_at.astimezone(tz).date()
        key = (received.year, received.month)
        if received >= start and key in rows:
            rows[key]["received"] += 1
        if answered_on and (answered_on.year, answered_on.month) in rows:
            bucket = rows[(answered_on.year, answered_on.month)]
            bucket["answered"] += 1
            bucket["on_time"] += bool(answer_due and answered_on <= answer_due)
    return [
        {"year": y, "month": m, "label": f"{BULAN[m - 1][:3]} {str(y)[2:]}", **rows[(y, m)]}
        for y, m in months
    ]


def chart(months: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars (received) and a line (on-time rate, %) in SVG coordinates."""
    top = max([m["received"] for m in months] + [1])
    plot_w, plot_h = CHART_W - PAD_L - 50, CHART_H - PAD_B - PAD_T
    slot = plot_w / len(months)
    bars, points = [], []
    for index, month in enumerate(months):
        height = plot_h * month["received"] / top
        x = PAD_L + index * slot
        bars.append(
            {
                "x": round(x + slot * 0.15, 1),
                "y": round(PAD_T + plot_h - height, 1),
                "w": round(slot * 0.7, 1),
                "h": round(height, 1),
                "cx": round(x + slot / 2, 1),
                **month,
            }
        )
        if month["answered"]:
            rate = month["on_time"] / month["answered"]
            points.append(
                {
                    "x": round(x + slot / 2, 1),
                    "y": round(PAD_T + plot_h * (1 - rate), 1),
                    "pct": round(rate * 100),
                }
            )
    return {
        "w": CHART_W,
        "h": CHART_H,
        "left": PAD_L,
        "top": PAD_T,
        "bottom": PAD_T + plot_h,
        "right": PAD_L + plot_w,
        "max": top,
        "bars": bars,
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
    }


def dashboard_data(session: Session, today: date, tz: tzinfo) -> dict[str, Any]:
    registered = Case.number.is_not(None)
    by_status = dict(
        session.execute(
            select(Case.status, func.count()).where(registered).group_by(Case.status)
        ).all()
    )
    week_end = today + timedelta(days=6 - today.weekday())
    open_tasks = select(Task).where(Task.status == TaskStatus.OPEN).order_by(Task.due, Task.id)
    due_week = session.scalars(open_tasks.where(Task.due >= today, Task.due <= week_end)).all()
    overdue = session.scalars(open_tasks.where(Task.due < today)).all()
    months = monthly(session, today, tz)
    answered = sum(m["answered"] for m in months)
    on_time = sum(m["on_time"] for m in months)
    return {
        "by_status": [(label, by_status.get(status, 0)) for status, label in STATUS_LABELS.items()],
        "total": sum(by_status.values()),
        "due_week": [task_row(task) for task in due_week],
        "overdue": [task_row(task) for task in overdue],
        "months": months,
        "chart": chart(months),
        "on_time_rate": round(100 * on_time / answered) if answered else None,
    }


def task_row(task: Task) -> dict[str, Any]:
    """An open task as the dashboard lists it: the case, the step, who owes it, by when."""
    return {
        "case_id": task.case_id,
        "number": task.case.number,
        "step": step_label(task.step),
        "role": ROLE_LABELS[Role(task.role)],
        "due": tanggal(task.due),
    }


router = APIRouter()


@router.get("/dasbor", response_class=HTMLResponse)
def dashboard(request: Request, user: AnyUser) -> Response:
    ctx = web(request)
    with ctx.sessions() as session:
        data = dashboard_data(session, ctx.today(), ctx.calendar.tz)
    return page(request, "dashboard.html", page_title("dashboard"), **data)
