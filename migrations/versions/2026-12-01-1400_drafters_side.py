"""The drafter's side: answer templates, summary revisions (issue 5)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


DECISION = sa.Enum('accepted', 'partially_accepted', 'rejected', 'not_applicable',
                   name='decision', native_enum=False, length=24)


def upgrade() -> None:
    op.create_table('answer_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('decision', DECISION, nullable=True),
    sa.Column('reasoning', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_answer_template_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_answer_template_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_template'))
    )
    with op.batch_alter_table('answer_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_template_organization_id'), ['organization_id'], unique=False)

    op.create_table('feedback_summary_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('decision', DECISION, nullable=False),
    sa.Column('reasoning', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_feedback_summary_entry_comment_id_comment')),
    sa.ForeignKeyConstraint(['summary_id'], ['feedback_summary.id'], name=op.f('fk_feedback_summary_entry_summary_id_feedback_summary')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_summary_entry')),
    sa.UniqueConstraint('summary_id', 'comment_id', name=op.f('uq_feedback_summary_entry_summary_id_comment_id'))
    )
    with op.batch_alter_table('feedback_summary_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_summary_entry_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_summary_entry_summary_id'), ['summary_id'], unique=False)

    # Summaries published before revisions kept their own rows read the answers as they are
    # (frozen since publication): copy them, so that every revision reads from its rows.
    op.execute(
        "INSERT INTO feedback_summary_entry (summary_id, comment_id, decision, reasoning) "
        "SELECT s.id, c.id, r.decision, r.reasoning FROM feedback_summary s "
        "JOIN comment c ON c.consultation_id = s.consultation_id "
        "JOIN comment_response r ON r.comment_id = c.id")


def downgrade() -> None:
    with op.batch_alter_table('feedback_summary_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_summary_entry_summary_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_summary_entry_comment_id'))
    op.drop_table('feedback_summary_entry')
    with op.batch_alter_table('answer_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_template_organization_id'))
    op.drop_table('answer_template')
