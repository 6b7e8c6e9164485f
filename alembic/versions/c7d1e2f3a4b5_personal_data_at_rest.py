"""personal data at rest: customer.id_number, phone and payout_account encrypted
(widened for the ciphertext), id_number_hash and phone_hash added (keyed hashes, indexed).

Existing clear values are encrypted under the current key (portal.data.pii); a value that
is already encrypted is left as it is, so running this on new data changes nothing.
Downgrade decrypts back to clear text (needs every key the values were encrypted under).

Revision ID: c7d1e2f3a4b5
Revises: e4f5a6b7c8d9
Create Date: 2026-11-22 04:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

from portal.data import pii


# revision identifiers, used by Alembic.
revision: str = 'c7d1e2f3a4b5'
down_revision: Union[str, Sequence[str], None] = 'e4f5a6b7c8d9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CLEAR_LENGTHS = {'id_number': 32, 'phone': 32, 'payout_account': 64}


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        for name, length in CLEAR_LENGTHS.items():
            batch_op.alter_column(name, existing_type=sqlmodel.sql.sqltypes.AutoString(length=length),
                                  type_=sa.String(length=pii.STORED_LENGTH), existing_nullable=False)
        batch_op.add_column(sa.Column('id_number_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))

    pii.each_batch(pii.reseal_batch, op.get_bind(), rekey=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.alter_column('id_number_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('phone_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_customer_id_number_hash'), ['id_number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_phone_hash'), ['phone_hash'], unique=False)


def downgrade() -> None:
    pii.each_batch(pii.unseal_batch, op.get_bind())

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_customer_id_number_hash'))
        batch_op.drop_column('phone_hash')
        batch_op.drop_column('id_number_hash')
        for name, length in CLEAR_LENGTHS.items():
            batch_op.alter_column(name, existing_type=sa.String(length=pii.STORED_LENGTH),
                                  type_=sqlmodel.sql.sqltypes.AutoString(length=length), existing_nullable=False)
