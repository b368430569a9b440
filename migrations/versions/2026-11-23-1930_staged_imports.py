"""Staged imports: what a drafter uploaded or pasted, kept between the preview and publishing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staged_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('new_draft', 'new_version', name='stagedimportkind', native_enum=False, length=24), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('form_fields', sa.JSON(), nullable=False),
    sa.Column('text_ru', sa.Text(), nullable=True),
    sa.Column('text_ky', sa.Text(), nullable=True),
    sa.Column('file_ru', sa.LargeBinary(), nullable=True),
    sa.Column('file_ky', sa.LargeBinary(), nullable=True),
    sa.Column('filename_ru', sa.String(length=255), nullable=True),
    sa.Column('filename_ky', sa.String(length=255), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['draft.id'], name=op.f('fk_staged_import_draft_id_draft')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_staged_import_organization_id_organization')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_staged_import_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_import')),
    sa.UniqueConstraint('token', name=op.f('uq_staged_import_token'))
    )
    with op.batch_alter_table('staged_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_import_draft_id'), ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staged_import_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staged_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_import_user_id'))
        batch_op.drop_index(batch_op.f('ix_staged_import_draft_id'))

    op.drop_table('staged_import')
