"""joint record: 联席会议 attendance, the sent agenda, yearly plan targets per pairing

Revision ID: 0013_joint_record
Revises: 0012_joint_plan
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0013_joint_record'
down_revision = '0012_joint_plan'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('joint_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('signed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_joint_attendance_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_joint_attendance_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_attendance')),
    sa.UniqueConstraint('meeting_id', 'person_id', name=op.f('uq_joint_attendance_meeting_id_person_id'))
    )
    with op.batch_alter_table('joint_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_attendance_meeting_id'), ['meeting_id'], unique=False)
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agenda', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('agenda_sent_at', models.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('joint_year_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pairing_targets', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('joint_year_plans', schema=None) as batch_op:
        batch_op.drop_column('pairing_targets')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('agenda_sent_at')
        batch_op.drop_column('agenda')
    with op.batch_alter_table('joint_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_attendance_meeting_id'))
    op.drop_table('joint_attendance')
