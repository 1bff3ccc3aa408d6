"""inquiries and tag suggestions: "ask the institution" and staff-reviewed program tags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.String(length=120), nullable=False),
    sa.Column('institution_id', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.create_index('ix_inquiries_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_inquiries_institution_id', ['institution_id'], unique=False)
    op.create_table('tag_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('evidence', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('program_id', 'kind', 'code')
    )
    with op.batch_alter_table('tag_suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_tag_suggestions_status', ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tag_suggestions', schema=None) as batch_op:
        batch_op.drop_index('ix_tag_suggestions_status')
    op.drop_table('tag_suggestions')
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiries_institution_id')
        batch_op.drop_index('ix_inquiries_created_at')
    op.drop_table('inquiries')
