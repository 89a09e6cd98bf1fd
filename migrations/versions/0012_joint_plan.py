"""joint plan: yearly plan themes and topics, the edited year-end 述职 draft

Revision ID: 0012_joint_plan
Revises: 0010_joint
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0012_joint_plan'
down_revision = '0010_joint'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('joint_year_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('themes', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('topics', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('review', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('review_at', models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('joint_year_plans', schema=None) as batch_op:
        batch_op.drop_column('review_at')
        batch_op.drop_column('review')
        batch_op.drop_column('topics')
        batch_op.drop_column('themes')
