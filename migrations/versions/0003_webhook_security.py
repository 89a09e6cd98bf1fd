"""bind_failures: wrong invite codes per openid, for the 绑定 guess limit

Revision ID: 0003_webhook_security
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0003_webhook_security'
down_revision = '0002_console_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bind_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bind_failures'))
    )
    with op.batch_alter_table('bind_failures', schema=None) as batch_op:
        batch_op.create_index('ix_bind_failures_openid_at', ['openid', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bind_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_bind_failures_openid_at')
    op.drop_table('bind_failures')
