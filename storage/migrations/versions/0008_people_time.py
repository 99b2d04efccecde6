"""people's time: working hours, holiday calendars, Slack status, escalation, check-in answers

A person's working hours and own holiday calendar, and their Slack status (an away status counts as time
off); a team's holiday calendar and escalation threshold (2 by default); per task the run of unanswered
check-ins, the escalation and the reminder to accept; per outbox row the answer given to it, so a message
about several tasks can be drawn again with each task's row as it stands.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:22:19.955912
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer', sa.String(length=600), nullable=True))

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_start', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('work_end', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('work_days', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('calendar', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('status_emoji', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('status_text', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('status_expiration', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkins_unanswered', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_answer_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unanswered_told_at', storage.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('escalation_after', sa.Integer(), server_default='2', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('escalation_after')
        batch_op.drop_column('calendar')

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('unanswered_told_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('last_answer_at')
        batch_op.drop_column('checkins_unanswered')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('status_expiration')
        batch_op.drop_column('status_text')
        batch_op.drop_column('status_emoji')
        batch_op.drop_column('calendar')
        batch_op.drop_column('work_days')
        batch_op.drop_column('work_end')
        batch_op.drop_column('work_start')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('answer')

