"""conversation summaries and analytics counts, kept by the events consumer

The staff console read every conversation of its period from Rasa's tracker store for each
page. `pathfinder events consume` (bot/events/) now keeps one summary row per conversation
and the analytics' counts here, and the console reads those. On PostgreSQL the search text
gets a trigram index (pg_trgm, a trusted extension since PostgreSQL 13) when the extension
can be created; without it the search reads the rows of the period.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:00:00
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None
logger = logging.getLogger(__name__)


def upgrade() -> None:
    op.create_table('conversation_summaries',
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=64), nullable=False),
    sa.Column('first_ts', sa.Float(), nullable=False),
    sa.Column('last_ts', sa.Float(), nullable=False),
    sa.Column('user_turns', sa.Integer(), nullable=False),
    sa.Column('recommendations', sa.Integer(), nullable=False),
    sa.Column('min_confidence', sa.Float(), nullable=True),
    sa.Column('confidences', sa.JSON(), nullable=False),
    sa.Column('first_message', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('occupations', sa.JSON(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('helpful_yes', sa.Integer(), nullable=False),
    sa.Column('helpful_no', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=True),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sender_id')
    )
    with op.batch_alter_table('conversation_summaries', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_summaries_last_ts', ['last_ts'], unique=False)
        batch_op.create_index('ix_conversation_summaries_channel_last_ts',
                              ['channel', 'last_ts'], unique=False)
        batch_op.create_index('ix_conversation_summaries_language_last_ts',
                              ['language', 'last_ts'], unique=False)
        batch_op.create_index('ix_conversation_summaries_first_ts', ['first_ts'], unique=False)
        batch_op.create_index('ix_conversation_summaries_ref', ['ref'], unique=False)
    op.create_table('conversation_counts',
    sa.Column('metric', sa.String(length=20), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('active_week', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('metric', 'week', 'active_week', 'channel', 'language', 'value')
    )
    with op.batch_alter_table('conversation_counts', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_counts_metric_active_week',
                              ['metric', 'active_week'], unique=False)
    op.create_table('event_feed_positions',
    sa.Column('feed', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('feed')
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # In a savepoint: a role that may not create the extension keeps the rest.
        try:
            with bind.begin_nested():
                schema = bind.execute(sa.text(
                    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                    "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).scalar()
                if schema is None:
                    bind.execute(sa.text('CREATE EXTENSION pg_trgm WITH SCHEMA public'))
                    schema = 'public'
                bind.execute(sa.text(
                    'CREATE INDEX ix_conversation_summaries_search_trgm ON '
                    f'conversation_summaries USING gin (search_text "{schema}".gin_trgm_ops)'))
        except sa.exc.DBAPIError as exc:
            logger.warning("No trigram index on the conversations' search text (%s): the "
                           "console's search reads the rows of the period.",
                           type(exc).__name__)


def downgrade() -> None:
    op.drop_table('event_feed_positions')
    with op.batch_alter_table('conversation_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_counts_metric_active_week')
    op.drop_table('conversation_counts')
    op.execute('DROP INDEX IF EXISTS ix_conversation_summaries_search_trgm')
    with op.batch_alter_table('conversation_summaries', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_summaries_ref')
        batch_op.drop_index('ix_conversation_summaries_first_ts')
        batch_op.drop_index('ix_conversation_summaries_language_last_ts')
        batch_op.drop_index('ix_conversation_summaries_channel_last_ts')
        batch_op.drop_index('ix_conversation_summaries_last_ts')
    op.drop_table('conversation_summaries')
