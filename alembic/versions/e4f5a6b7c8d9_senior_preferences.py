"""senior mode: large-text and fraud-guard preferences on the login account

Revision ID: e4f5a6b7c8d9
Revises: a9b8c7d6e5f4
Create Date: 2026-11-22 04:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'e4f5a6b7c8d9'
down_revision: Union[str, Sequence[str], None] = 'a9b8c7d6e5f4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('large_text', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('fraud_guard', sa.Boolean(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('fraud_guard')
        batch_op.drop_column('large_text')
