"""Journalists and open data: alert subscriptions, full-text search (issue 7)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00

Search indexes are kept in step by the database itself, never by ORM hooks: on PostgreSQL
stored generated ``tsvector`` columns with GIN indexes (``russian`` for Russian text, ``simple``
for Kyrgyz, which PostgreSQL has no stemmer for; comments, whose language is not recorded, get
both); on SQLite FTS5 tables over the rows (external content) maintained by triggers, with the
unicode61 tokenizer told to keep diacritics so that ң, ө and ү stay letters of their own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (generated tsvector expression) on PostgreSQL
PG_VECTORS = {
    "draft": (
        "setweight(to_tsvector('russian', coalesce(title_ru, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce(title_ky, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce(title_en, '')), 'A') || "
        "setweight(to_tsvector('russian', coalesce(summary_ru, '')), 'B') || "
        "setweight(to_tsvector('simple', coalesce(summary_ky, '')), 'B') || "
        "setweight(to_tsvector('simple', coalesce(summary_en, '')), 'B')"),
    "clause": (
        "setweight(to_tsvector('russian', coalesce(heading_ru, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce(heading_ky, '')), 'A') || "
        "setweight(to_tsvector('russian', coalesce(text_ru, '')), 'B') || "
        "setweight(to_tsvector('simple', coalesce(text_ky, '')), 'B')"),
    "comment": (
        "to_tsvector('russian', coalesce(body, '') || ' ' || coalesce(proposed_wording, '')) || "
        "to_tsvector('simple', coalesce(body, '') || ' ' || coalesce(proposed_wording, ''))"),
}

# FTS5 table -> (content table, indexed columns)
SQLITE_FTS = {
    "draft_fts": ("draft", ("title_ru", "title_ky", "title_en", "summary_ru", "summary_ky",
                            "summary_en")),
    "clause_fts": ("clause", ("heading_ru", "heading_ky", "text_ru", "text_ky")),
    "comment_fts": ("comment", ("body", "proposed_wording")),
}


def _sqlite_search() -> None:
    for fts, (table, columns) in SQLITE_FTS.items():
        names = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
                   f"content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
        op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
                   f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END")
        op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
                   f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
                   f"END")
        op.execute(f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN "
                   f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
                   f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END")
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def upgrade() -> None:
    op.create_table(
        'alert_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('organization', sa.String(length=64), nullable=True),
        sa.Column('act_type', sa.String(length=40), nullable=True),
        sa.Column('keywords', sa.String(length=300), nullable=True),
        sa.Column('frequency', sa.Enum('immediate', 'daily', name='alertfrequency',
                                       native_enum=False, length=24), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('confirmed_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('unsubscribed_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_digest_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_subscription')),
    )
    op.create_index(op.f('ix_alert_subscription_email'), 'alert_subscription', ['email'])
    op.create_table(
        'alert_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('event_key', sa.String(length=80), nullable=False),
        sa.Column('event', sa.String(length=24), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['subscription_id'], ['alert_subscription.id'],
                                name=op.f('fk_alert_delivery_subscription_id_alert_subscription')),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id'],
                                name=op.f('fk_alert_delivery_draft_id_draft')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_delivery')),
        sa.UniqueConstraint('subscription_id', 'event_key',
                            name=op.f('uq_alert_delivery_subscription_id')),
    )
    op.create_index('ix_alert_delivery_pending', 'alert_delivery', ['subscription_id', 'sent_at'])
    policy = sa.table("rate_limit_policy", sa.column("action", sa.String),
                      sa.column("per_account", sa.Integer), sa.column("per_address", sa.Integer),
                      sa.column("window_seconds", sa.Integer))
    # Per address subscribed (someone signing up a stranger's inbox again and again) and per
    # network address (a script).
    op.bulk_insert(policy, [{"action": "alert_subscribe", "per_account": 5, "per_address": 30,
                             "window_seconds": 3600}])

    if op.get_bind().dialect.name == "postgresql":
        for table, expression in PG_VECTORS.items():
            op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
                       f"GENERATED ALWAYS AS ({expression}) STORED")
            op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} "
                       f"USING gin (search_vector)")
    else:
        _sqlite_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PG_VECTORS:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    else:
        for fts, (table, _columns) in SQLITE_FTS.items():
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    op.execute("DELETE FROM rate_limit_policy WHERE action = 'alert_subscribe'")
    op.drop_index('ix_alert_delivery_pending', table_name='alert_delivery')
    op.drop_table('alert_delivery')
    op.drop_index(op.f('ix_alert_subscription_email'), table_name='alert_subscription')
    op.drop_table('alert_subscription')
