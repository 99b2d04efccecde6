"""Baton's DM channel per person, and when each outbox row was first tried

Posts to a person name their user id (no conversations.open); Slack answers with the DM's `D…` id, kept on the
person for redraws and history looks. A row's first try bounds the window a look for a lost message reads.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:56:35.312683
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_tried_at', storage.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dm_channel_id', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('dm_channel_id')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('first_tried_at')

