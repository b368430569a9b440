"""Published comments of a draft, by id: counts and joins of a busy draft from the index alone
(issue 9, scenario 4)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:30:00

Every view of a draft counts its published comments and its answered ones
(``drafts.load_states``). On a draft of 100,000 comments the first read each comment row from
the table (the status is not in ``ix_comment_draft_created``): 97 ms, 150 ms on a database of a
million comments; from this partial index it is an index-only scan of the draft's published
comments (15 ms), and the answered count joins those ids with the answers' unique index
instead of scanning the comments (77 -> 61 ms). Measured with EXPLAIN ANALYZE on
bench/scale_bench.py's database (bench/README.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLISHED = sa.text("status = 'published'")


def upgrade() -> None:
    op.create_index("ix_comment_draft_published", "comment", ["draft_id", "id"],
                    postgresql_where=PUBLISHED, sqlite_where=PUBLISHED)


def downgrade() -> None:
    op.drop_index("ix_comment_draft_published", table_name="comment")
