"""The outbox's secondary indexes hold only the rows their queries read

A claim (pending -> sending) changes indexed columns, so PostgreSQL writes a new entry into every index whose
predicate the new row meets. The (channel, ts) and (workspace, kind, sent_at) indexes only serve sent messages,
so they become partial on `ts IS NOT NULL` / `sent_at IS NOT NULL`; ix_outbox_state_not_before, read only by
the outbox gauge and now covered by ix_outbox_due for rows still to send, gives way to ix_outbox_settled,
partial on the settled states. A claim of 500 rows writes ~35% less WAL (docs/performance.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTLED = "state NOT IN ('pending', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state_not_before')
        batch_op.drop_index('ix_outbox_channel_ts')
        batch_op.drop_index('ix_outbox_workspace_kind_sent')
        batch_op.create_index('ix_outbox_settled', ['state'], unique=False, postgresql_where=sa.text(SETTLED), sqlite_where=sa.text(SETTLED))
        batch_op.create_index('ix_outbox_channel_ts', ['channel_id', 'ts'], unique=False, postgresql_where=sa.text('ts IS NOT NULL'), sqlite_where=sa.text('ts IS NOT NULL'))
        batch_op.create_index('ix_outbox_workspace_kind_sent', ['workspace_id', 'kind', 'sent_at'], unique=False, postgresql_where=sa.text('sent_at IS NOT NULL'), sqlite_where=sa.text('sent_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_workspace_kind_sent')
        batch_op.drop_index('ix_outbox_channel_ts')
        batch_op.drop_index('ix_outbox_settled')
        batch_op.create_index('ix_outbox_workspace_kind_sent', ['workspace_id', 'kind', 'sent_at'], unique=False)
        batch_op.create_index('ix_outbox_channel_ts', ['channel_id', 'ts'], unique=False)
        batch_op.create_index('ix_outbox_state_not_before', ['state', 'not_before'], unique=False)
