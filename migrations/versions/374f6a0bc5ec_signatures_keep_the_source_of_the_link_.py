"""Signatures keep the source of the link they came by

Revision ID: 374f6a0bc5ec
Revises: b72d23626e95
Create Date: 2026-11-22 10:42:29.284977

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '374f6a0bc5ec'
down_revision = 'b72d23626e95'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=100), server_default='', nullable=False))
        batch_op.create_index('ix_signatures_confirmed_source', ['petition_id', 'source'], unique=False, sqlite_where=sa.text("signatures.state = 'confirmed'"), postgresql_where=sa.text("signatures.state = 'confirmed'"))


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_confirmed_source')
        batch_op.drop_column('source')
