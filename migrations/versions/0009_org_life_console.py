"""org life console: meetings indexed by consortium, kind and start (the 组织生活 matrix, 未开展)

Revision ID: 0009_org_life_console
Revises: 0005_org_life (the lead re-chains)
"""
from alembic import op


revision = '0009_org_life_console'
down_revision = '0007_menu_tags'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_consortium_kind_starts', ['consortium_id', 'kind', 'starts_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_consortium_kind_starts')
