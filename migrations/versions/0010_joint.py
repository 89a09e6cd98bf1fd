"""joint: items, notes, links, unit contacts, agenda topics, year plans

Revision ID: 0010_joint
Revises: 0005_org_life
Create Date: 2026-12-06 20:19:18.433930
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0010_joint'
down_revision = '0009_org_life_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('joint_year_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('points', sa.Text(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_joint_year_plans_branch_id_branches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_year_plans')),
    sa.UniqueConstraint('branch_id', 'year', name=op.f('uq_joint_year_plans_branch_id_year'))
    )
    op.create_table('unit_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('set_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_unit_contacts_person_id_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_contacts_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_contacts')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_unit_contacts_unit_id'))
    )
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_contacts_person_id'), ['person_id'], unique=False)

    op.create_table('joint_agenda_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_joint_agenda_topics_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_joint_agenda_topics_person_id_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_joint_agenda_topics_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_agenda_topics'))
    )
    with op.batch_alter_table('joint_agenda_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_agenda_topics_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('joint_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('owner_branch_id', sa.Integer(), nullable=True),
    sa.Column('owner_unit_id', sa.Integer(), nullable=True),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=False),
    sa.Column('confirmed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consortium_id'], ['consortia.id'], name=op.f('fk_joint_items_consortium_id_consortia')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_joint_items_created_by_id_people')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_joint_items_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['owner_branch_id'], ['branches.id'], name=op.f('fk_joint_items_owner_branch_id_branches')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_joint_items_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_items')),
    sa.UniqueConstraint('number', name=op.f('uq_joint_items_number'))
    )
    with op.batch_alter_table('joint_items', schema=None) as batch_op:
        batch_op.create_index('ix_joint_items_consortium_status', ['consortium_id', 'status'], unique=False)

    op.create_table('joint_item_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['joint_items.id'], name=op.f('fk_joint_item_links_item_id_joint_items')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_joint_item_links_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_item_links')),
    sa.UniqueConstraint('item_id', 'task_id', name=op.f('uq_joint_item_links_item_id_task_id'))
    )
    with op.batch_alter_table('joint_item_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_item_links_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_joint_item_links_task_id'), ['task_id'], unique=False)

    op.create_table('joint_item_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_joint_item_notes_author_id_people')),
    sa.ForeignKeyConstraint(['item_id'], ['joint_items.id'], name=op.f('fk_joint_item_notes_item_id_joint_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_item_notes'))
    )
    with op.batch_alter_table('joint_item_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_item_notes_item_id'), ['item_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('joint_item_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_item_notes_item_id'))

    op.drop_table('joint_item_notes')
    with op.batch_alter_table('joint_item_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_item_links_task_id'))
        batch_op.drop_index(batch_op.f('ix_joint_item_links_item_id'))

    op.drop_table('joint_item_links')
    with op.batch_alter_table('joint_items', schema=None) as batch_op:
        batch_op.drop_index('ix_joint_items_consortium_status')

    op.drop_table('joint_items')
    with op.batch_alter_table('joint_agenda_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_agenda_topics_meeting_id'))

    op.drop_table('joint_agenda_topics')
    with op.batch_alter_table('unit_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_contacts_person_id'))

    op.drop_table('unit_contacts')
    op.drop_table('joint_year_plans')
    
