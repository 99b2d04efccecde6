"""Which outbox rows wait at a place in their workspace's post budget

A post deferred while Slack's chat.postMessage budget is short waits for the moment of a place in it, and holds
that place: posts falling due later take the places no deferred post holds. A post put back to wait its
conversation's turn (one a second) waits for a moment, not a place. The flag tells the two apart; a claim clears it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget_place', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('budget_place')
