"""referrals: clicks on program links

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.String(length=120), nullable=False),
    sa.Column('conversation', sa.String(length=255), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('clicked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_program_id', ['program_id'], unique=False)
        batch_op.create_index('ix_referrals_clicked_at', ['clicked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_clicked_at')
        batch_op.drop_index('ix_referrals_program_id')
    op.drop_table('referrals')
