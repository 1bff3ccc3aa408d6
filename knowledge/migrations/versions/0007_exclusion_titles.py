"""exclusion titles: the titles NOC's exclusions place in a unit group, in the knowledge base

The resolver read them from the data folder at start-up, so the web app and the actions
server needed data/ (and PATHFINDER_DATA_DIR, a setting of the command line only) where they
run. `pathfinder load-data` now loads them with the other NOC files.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exclusion_titles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('noc', sa.String(length=5), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('title', sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(['noc'], ['occupations.noc'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('exclusion_titles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exclusion_titles_noc'), ['noc'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exclusion_titles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exclusion_titles_noc'))
    op.drop_table('exclusion_titles')
