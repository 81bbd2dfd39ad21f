"""Petitions remember when their count last changed

Revision ID: 8527fa460095
Revises: 374f6a0bc5ec
Create Date: 2026-11-22 11:10:02.118310

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8527fa460095'
down_revision = '374f6a0bc5ec'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count_changed_at', sa.DateTime(), nullable=True))
    # The best the existing rows tell: the latest confirmation already in the stored count.
    op.execute(
        "UPDATE petitions SET count_changed_at = (SELECT max(signatures.confirmed_at) FROM signatures "
        "WHERE signatures.petition_id = petitions.id AND signatures.state = 'confirmed' AND signatures.counted)"
    )


def downgrade():
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_column('count_changed_at')
