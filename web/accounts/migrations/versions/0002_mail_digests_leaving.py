"""mail preferences, digests of new works, changes of address, deleted accounts

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))

    op.create_table('mail_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('claim_decisions', sa.Boolean(), nullable=False),
    sa.Column('invitations', sa.Boolean(), nullable=False),
    sa.Column('invitation_answers', sa.Boolean(), nullable=False),
    sa.Column('digest', sa.String(length=8), nullable=False),
    sa.Column('last_digest_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mail_preferences'))
    )
    with op.batch_alter_table('mail_preferences', schema=None) as batch_op:
        batch_op.create_index('ix_mail_preferences_digest', ['digest'], unique=False)

    op.create_table('known_works',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=8), nullable=False),
    sa.Column('researcher_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_known_works_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'version_id', name=op.f('pk_known_works'))
    )


def downgrade() -> None:
    op.drop_table('known_works')
    with op.batch_alter_table('mail_preferences', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_preferences_digest')
    op.drop_table('mail_preferences')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('pending_email')
