"""console security: per-account session version, login attempts that were refused unchecked

Revision ID: 0002_console_security
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_console_security'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('admin_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('admin_login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('admin_login_attempts', schema=None) as batch_op:
        batch_op.drop_column('checked')
    with op.batch_alter_table('admin_accounts', schema=None) as batch_op:
        batch_op.drop_column('session_version')
