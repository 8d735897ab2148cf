"""Tasks the SOP steps owe and their deadlines: opening and finishing them, due dates, and the
listings per role, warnings and overdue lists of `ppid tasks` and the daily deadline check.

A step opens its task with a due date in working days, never past the case's answer deadline;
the listings read them against the office's calendar.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ppid.casework.sop import STEPS
from ppid.core.calendar import (
    WorkCalendar,
    add_working_days,
    calendar_from_settings,
    working_days_between,
)
from ppid.core.models import Case, Task
from ppid.core.settings import Settings
from ppid.core.vocabulary import Role, TaskStatus, parse_role, step_label

log = logging.getLogger(__name__)


def tasks_for(
    session: Session,
    role: Role | str | None = None,
    overdue: bool = False,
    *,
    today: date | None = None,
) -> list[Task]:
    """Open tasks, soonest due first; only `role`'s, only the overdue ones when asked.

    Each with its case in the same query: every listing of tasks shows the case's number and
    applicant, and loading them one task at a time cost a query per row.
    """
    query = (
        select(Task)
        .options(joinedload(Task.case))
        .where(Task.status == TaskStatus.OPEN)
        .order_by(Task.due, Task.id)
    )
    if role is not None:
        query = query.where(Task.role == parse_role(role))
    if overdue:
        query = query.where(Task.due < (today or date.today()))
    return list(session.scalars(query))


def overdue_tasks(session: Session, settings: Settings, today: date | None = None) -> list[Task]:
    """Open tasks whose due date has passed (office date)."""
    return tasks_for(session, overdue=True, today=today or office_today(settings))


def due_soon(session: Session, settings: Settings, today: date | None = None) -> list[Task]:
    """Open tasks not yet overdue with `workflow.warning_days` working days or fewer left."""
    cal = calendar_from_settings(settings)
    today = today or office_today(settings)
    limit = settings.workflow.warning_days
    return [
        t
        for t in tasks_for(session)
        if t.due is not None and t.due >= today and working_days_between(cal, today, t.due) <= limit
    ]


def office_today(settings: Settings) -> date:
    """Today's date in the office's time zone (deadlines are office dates)."""
    return datetime.now(calendar_from_settings(settings).tz).date()


def task_row(task: Task, cal: WorkCalendar, today: date, warning_days: int) -> dict[str, Any]:
    """One line of `ppid tasks`: the case, the step, its due date and how it stands."""
    left = working_days_between(cal, today, task.due) if task.due else None
    state = "ok"
    if left is not None and task.due is not None:
        state = "overdue" if task.due < today else "soon" if left <= warning_days else "ok"
    case = task.case
    return {
        "case": case.number,
        "applicant": case.applicant_name,
        "role": str(task.role),
        "step": task.step,
        "step_label": step_label(task.step),
        "due": task.due.isoformat() if task.due else None,
        "working_days_left": left,
        "state": state,
        "answer_due": case.answer_due.isoformat() if case.answer_due else None,
        "status": str(case.status),
    }


def deadline_report(
    session: Session, settings: Settings, today: date | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per role, the open tasks that are overdue or due soon (what the daily check sends)."""
    cal = calendar_from_settings(settings)
    today = today or office_today(settings)
    report: dict[str, list[dict[str, Any]]] = {role.value: [] for role in Role}
    for task in tasks_for(session):
        row = task_row(task, cal, today, settings.workflow.warning_days)
        if row["state"] != "ok":
            report[row["role"]].append(row)
    return report


# --- opening and finishing tasks -------------------------------------------------------------


def task_due(settings: Settings, cal: WorkCalendar, case: Case, step: str, today: date) -> date:
    """The step's due date: its configured working days, never past the legal answer deadline."""
    if step == "close":  # the applicant's 14 working days run from the answer, not its scan
        answered = case.answered_on or today
        return add_working_days(cal, answered, settings.dispute_window_working_days)
    days = settings.workflow.task_due_days.get(step, settings.workflow.warning_days)
    due = add_working_days(cal, today, days)
    return min(due, case.answer_due) if case.answer_due and case.answer_due >= today else due


def open_task(
    session: Session, settings: Settings, cal: WorkCalendar, case: Case, step: str, today: date
) -> Task:
    task = Task(
        case=case,
        role=STEPS[step].role,
        step=step,
        due=task_due(settings, cal, case, step, today),
    )
    session.add(task)
    return task


def finish_task(task: Task, at: datetime, actor: str, decision: str) -> None:
    """Mark the task done by `actor` at `at` with `decision` (a correction closes it too)."""
    task.status, task.done_at, task.done_by, task.decision = (
        TaskStatus.DONE,
        at,
        actor,
        decision,
    )
