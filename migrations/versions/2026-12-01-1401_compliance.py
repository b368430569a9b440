"""Compliance: monitor notes and flags, digests (issue 6)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        'draft_outcome_record',
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('outcome', _enum('pending', 'adopted', 'withdrawn', name='draftoutcome'),
                  nullable=False),
        sa.Column('act_reference', sa.String(length=500), nullable=True),
        sa.Column('act_url', sa.String(length=1000), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('decided_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id'],
                                name=op.f('fk_draft_outcome_record_draft_id_draft')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                                name=op.f('fk_draft_outcome_record_decided_by_id_user_account')),
        sa.PrimaryKeyConstraint('draft_id', name=op.f('pk_draft_outcome_record')),
    )
    op.create_table(
        'monitor_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id'],
                                name=op.f('fk_monitor_note_draft_id_draft')),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'],
                                name=op.f('fk_monitor_note_author_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_note')),
    )
    op.create_index(op.f('ix_monitor_note_draft_id'), 'monitor_note', ['draft_id'])
    op.create_table(
        'monitor_flag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('raised_by_id', sa.Integer(), nullable=False),
        sa.Column('raised_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('cleared_by_id', sa.Integer(), nullable=True),
        sa.Column('cleared_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id'],
                                name=op.f('fk_monitor_flag_draft_id_draft')),
        sa.ForeignKeyConstraint(['raised_by_id'], ['user_account.id'],
                                name=op.f('fk_monitor_flag_raised_by_id_user_account')),
        sa.ForeignKeyConstraint(['cleared_by_id'], ['user_account.id'],
                                name=op.f('fk_monitor_flag_cleared_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_flag')),
    )
    op.create_index(op.f('ix_monitor_flag_draft_id'), 'monitor_flag', ['draft_id'])
    op.create_table(
        'compliance_digest',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('violations', sa.Integer(), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_digest')),
        sa.UniqueConstraint('week_start', name=op.f('uq_compliance_digest_week_start')),
    )


def downgrade() -> None:
    op.drop_table('compliance_digest')
    op.drop_index(op.f('ix_monitor_flag_draft_id'), table_name='monitor_flag')
    op.drop_table('monitor_flag')
    op.drop_index(op.f('ix_monitor_note_draft_id'), table_name='monitor_note')
    op.drop_table('monitor_note')
    op.drop_table('draft_outcome_record')
