"""menu_tags: the WeChat user tag each role carries, for the per-role menus

Revision ID: 0007_menu_tags
Revises: 0003_webhook_security
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007_menu_tags'
down_revision = '0006_routing_overlay'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('menu_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('menu', sa.String(length=32), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('tag_name', sa.String(length=64), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_menu_tags')),
    sa.UniqueConstraint('role', name=op.f('uq_menu_tags_role'))
    )


def downgrade() -> None:
    op.drop_table('menu_tags')
