"""A short window beside the long one in the rate limits, set for comments: at most 5 per
account and 60 per address in 10 seconds (issue 9, scenario 3)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:30:00

The comment policy allowed 30 per account in 10 minutes, and a script took all 30 in the first
instant of its burst: 30 comments written at once (with everything a comment sets off) were what
slowed everybody else's comments during a bot's burst (bench/README.md, scenario 3). A person
does not write more than a few comments in 10 seconds; a script that does is now refused after
the 5th with a Retry-After of the seconds left in that short window, and the 10-minute allowance
is unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rate_limit_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('burst_per_account', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('burst_per_address', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('burst_seconds', sa.Integer(), nullable=True))
    op.execute("UPDATE rate_limit_policy SET burst_per_account = 5, burst_per_address = 60, "
               "burst_seconds = 10 WHERE action = 'comment'")


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_policy', schema=None) as batch_op:
        batch_op.drop_column('burst_seconds')
        batch_op.drop_column('burst_per_address')
        batch_op.drop_column('burst_per_account')
