"""The gazetteer: every GeoNames city and its names; organizers' mappings of unmatched spellings

Revision ID: c3f1a9d2e7b4
Revises: 714b60a7613e
Create Date: 2026-12-01 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'c3f1a9d2e7b4'
down_revision = '714b60a7613e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('city_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('alias', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_city_names_city_id_cities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_names'))
    )
    op.create_table('city_mappings',
    sa.Column('coalition_id', sa.Integer(), nullable=False),
    sa.Column('unmatched_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=True),
    sa.Column('signatures_moved', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coalition_id'], ['coalitions.id'], name=op.f('fk_city_mappings_coalition_id_coalitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unmatched_id'], ['cities.id'], name=op.f('fk_city_mappings_unmatched_id_cities')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_city_mappings_city_id_cities')),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizers.id'], name=op.f('fk_city_mappings_organizer_id_organizers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('coalition_id', 'unmatched_id', name=op.f('pk_city_mappings'))
    )
    # Loaded before the index is built: one sort at the end beats 200,000 index inserts.
    from petitions import gazetteer

    gazetteer.load(op.get_bind(), current_app.config.get("CITY_MIN_POPULATION", 1000))
    op.create_index('ix_city_names_country_key', 'city_names', ['country', 'key'], unique=False)
    op.create_index('ix_demand_city_tallies_demand_id_count', 'demand_city_tallies', ['demand_id', 'count'], unique=False)


def downgrade():
    op.drop_index('ix_demand_city_tallies_demand_id_count', table_name='demand_city_tallies')
    op.drop_index('ix_city_names_country_key', table_name='city_names')
    op.drop_table('city_mappings')
    op.drop_table('city_names')
    # The canonical city rows stay: signatures and tallies point at them.
