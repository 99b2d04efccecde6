"""partial index on tasks.next_check_at for the planner's scan

Replaces ix_tasks_status_next_check_at (status, next_check_at) with ix_tasks_next_check_at on
next_check_at WHERE next_check_at IS NOT NULL: PostgreSQL then reads due tasks in order instead of
sorting every due row after an outage (docs/performance.md, finding 1).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 03:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_next_check_at')
        batch_op.create_index(
            'ix_tasks_next_check_at',
            ['next_check_at'],
            unique=False,
            postgresql_where=sa.text('next_check_at IS NOT NULL'),
            sqlite_where=sa.text('next_check_at IS NOT NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_next_check_at')
        batch_op.create_index('ix_tasks_status_next_check_at', ['status', 'next_check_at'], unique=False)
