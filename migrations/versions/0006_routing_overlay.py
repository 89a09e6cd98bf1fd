"""keyword_decisions: the office's accepted/rejected routing keywords (overlay on rules.yaml)

Revision ID: 0006_routing_overlay
Revises: 0003_webhook_security
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0006_routing_overlay'
down_revision = '0005_org_life'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keyword_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=64), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('weight', sa.Double(), nullable=False),
    sa.Column('who', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('undone_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortia.id'],
                            name=op.f('fk_keyword_decisions_consortium_id_consortia')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword_decisions'))
    )
    with op.batch_alter_table('keyword_decisions', schema=None) as batch_op:
        batch_op.create_index('uq_keyword_decisions_live', ['consortium_id', 'word'], unique=True,
                              sqlite_where=sa.text('undone_at IS NULL'),
                              postgresql_where=sa.text('undone_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('keyword_decisions', schema=None) as batch_op:
        batch_op.drop_index('uq_keyword_decisions_live')
    op.drop_table('keyword_decisions')
