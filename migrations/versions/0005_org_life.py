"""org life: party roster, meetings, attendance, photos, media blobs

Revision ID: 0005_org_life
Revises: 0003_webhook_security (the lead re-chains)
Create Date: 2026-12-06 19:57:26.225131
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0005_org_life'
down_revision = '0003_webhook_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('media_blobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_blobs')),
    sa.UniqueConstraint('sha256', name=op.f('uq_media_blobs_sha256'))
    )
    op.create_table('photo_fetches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('blob_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['media_blobs.id'], name=op.f('fk_photo_fetches_blob_id_media_blobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_fetches')),
    sa.UniqueConstraint('source', 'photo_id', name=op.f('uq_photo_fetches_source_photo_id'))
    )
    with op.batch_alter_table('photo_fetches', schema=None) as batch_op:
        batch_op.create_index('ix_photo_fetches_status', ['status'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('group_name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=128), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('late_recorded', sa.Boolean(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('minutes_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_meetings_branch_id_branches')),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortia.id'], name=op.f('fk_meetings_consortium_id_consortia')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_meetings_created_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_branch_starts', ['branch_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_meetings_consortium_starts', ['consortium_id', 'starts_at'], unique=False)

    op.create_table('party_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('duty', sa.String(length=16), nullable=False),
    sa.Column('group_name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_party_members_branch_id_branches')),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortia.id'], name=op.f('fk_party_members_consortium_id_consortia')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_party_members_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_members')),
    sa.UniqueConstraint('branch_id', 'name', name=op.f('uq_party_members_branch_id_name')),
    sa.UniqueConstraint('person_id', name=op.f('uq_party_members_person_id'))
    )
    with op.batch_alter_table('party_members', schema=None) as batch_op:
        batch_op.create_index('ix_party_members_consortium', ['consortium_id', 'branch_id'], unique=False)

    op.create_table('meeting_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('signed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_attendance_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['member_id'], ['party_members.id'], name=op.f('fk_meeting_attendance_member_id_party_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendance')),
    sa.UniqueConstraint('meeting_id', 'member_id', name=op.f('uq_meeting_attendance_meeting_id_member_id'))
    )
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_attendance_member', ['member_id'], unique=False)

    op.create_table('meeting_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('inbound_id', sa.Integer(), nullable=True),
    sa.Column('media_id', sa.String(length=128), nullable=False),
    sa.Column('pic_url', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_messages.id'], name=op.f('fk_meeting_photos_inbound_id_inbound_messages')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_photos_meeting_id_meetings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_photos'))
    )
    with op.batch_alter_table('meeting_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_photos_meeting_id'), ['meeting_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('meeting_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_photos_meeting_id'))

    op.drop_table('meeting_photos')
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_attendance_member')

    op.drop_table('meeting_attendance')
    with op.batch_alter_table('party_members', schema=None) as batch_op:
        batch_op.drop_index('ix_party_members_consortium')

    op.drop_table('party_members')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_consortium_starts')
        batch_op.drop_index('ix_meetings_branch_starts')

    op.drop_table('meetings')
    with op.batch_alter_table('photo_fetches', schema=None) as batch_op:
        batch_op.drop_index('ix_photo_fetches_status')

    op.drop_table('photo_fetches')
    op.drop_table('media_blobs')

