"""history chain index: history_event (customer_id, id)

The chain's newest row per customer (appending an event, re-anchoring heads after a
bulk load, verifying) is found through this index instead of every row of the customer
sorted by id. It also serves lookups by customer alone, so it replaces the single-column
index (one index fewer to keep current on every insert).

Revision ID: 51913917d149
Revises: f2a3b4c5d6e7
Create Date: 2026-11-23 06:50:00

"""
from typing import Sequence, Union

from alembic import op


revision: str = '51913917d149'
down_revision: Union[str, Sequence[str], None] = 'f2a3b4c5d6e7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.create_index('ix_history_event_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.drop_index('ix_history_event_customer_id')


def downgrade() -> None:
    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.create_index('ix_history_event_customer_id', ['customer_id'], unique=False)
        batch_op.drop_index('ix_history_event_customer_id_id')
