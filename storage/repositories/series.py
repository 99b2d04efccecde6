"""Recurring task series and the occurrences they opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from storage.models import Task, TaskSeries


class SeriesRepository:
    """Recurring series (`/task … every …`); their occurrences are ordinary tasks."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, series: TaskSeries) -> None:
        self._session.add(series)
        self._session.flush()

    def get(self, workspace_id: str, series_id: int, *, for_update: bool = False) -> TaskSeries | None:
        stmt = select(TaskSeries).where(TaskSeries.workspace_id == workspace_id, TaskSeries.id == series_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self._session.scalars(stmt).first()

    def occurrence(self, workspace_id: str, series_id: int, *, due_at: datetime) -> Task | None:
        """The series' task due `due_at`, if one exists (uq_tasks_series_id_due_at)."""
        stmt = select(Task).where(Task.workspace_id == workspace_id, Task.series_id == series_id, Task.due_at == due_at)
        return self._session.scalars(stmt).first()

    def due_for_next(self, *, now: datetime, limit: int) -> list[TaskSeries]:
        """Active series whose latest occurrence's moment has come, across workspaces (the scheduler's
        scan; uses ix_task_series_active_last_due_at). Other planners skip the rows locked here."""
        stmt = (
            select(TaskSeries)
            .where(TaskSeries.active == true(), TaskSeries.last_due_at <= now)
            .order_by(TaskSeries.last_due_at)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self._session.scalars(stmt))
