"""call-back requests (联系专员)

Revision ID: f2a3b4c5d6e7
Revises: c7d1e2f3a4b5
Create Date: 2026-11-22 05:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'f2a3b4c5d6e7'
down_revision: Union[str, Sequence[str], None] = 'c7d1e2f3a4b5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('callback_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('slot_date', sa.Date(), nullable=False),
    sa.Column('slot_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('open_for', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['manager_id'], ['service_manager.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_request_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_request_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_request_open_for'), ['open_for'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_request_open_for'))
        batch_op.drop_index(batch_op.f('ix_callback_request_manager_id'))
        batch_op.drop_index(batch_op.f('ix_callback_request_customer_id'))
    op.drop_table('callback_request')
