"""staff accounts lose their lock-out columns; clicks lose the raw conversation ids

Failed logins now slow down one client address for one account, in memory
(bot/api/rate_limit.FailureBackoff), instead of locking the account for everyone: the
columns that held the lock go. Program links carry a pseudonym of the conversation
(knowledge.referrals.conversation_ref), never its id: clicks recorded before that held the
id itself, the key to the transcript, which is forgotten here (the click stays counted).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
    # A pseudonym is 32 lowercase hex digits; anything else is a sender id of old.
    referrals = sa.table('referrals', sa.column('conversation', sa.String))
    conversation = referrals.c.conversation
    op.execute(referrals.update()
               .where(sa.or_(sa.func.length(conversation) != 32,
                             conversation.like('web-%'), conversation.like('telegram-%')))
               .values(conversation=None))


def downgrade() -> None:
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
