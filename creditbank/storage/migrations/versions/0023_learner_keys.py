"""Per-learner data keys, sealed openings, and account closure and erasure.

Taking the schema below this revision keeps ``learner_key`` and ``ledger_sealed_opening``
when they hold rows (what they hold cannot be turned back into what 0018 stored without the
key-encryption key); code of an older version cannot read what is sealed in them.

``learner_key`` holds each learner's data key wrapped under the KEK (left out of backups);
``ledger_sealed_opening`` holds the openings of entries about a learner sealed under it, never
updated and deleted only once an erasure is recorded. An opening in clear may now leave
``ledger_opening`` when its sealed copy is stored (``creditbank learners seal-data`` moves the
openings written before this revision). ``learner`` gains its closure and erasure columns.

Revision ID: 0023_learner_keys
Revises: 0022_applications
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_learner_keys"
down_revision = "0022_applications"
branch_labels = None
depends_on = None

_BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_LEARNER_COLUMNS = (
    ("closed_at", sa.DateTime(timezone=True)),
    ("closed_by", sa.String(64)),
    ("closure_ground", sa.Text()),
    ("closed_index", sa.BigInteger()),
    ("erase_after", sa.DateTime(timezone=True)),
    ("erased_at", sa.DateTime(timezone=True)),
    ("erased_index", sa.BigInteger()),
)
_PG_GUARD = (
    "CREATE OR REPLACE FUNCTION creditbank_refuse_unrecorded_erasure() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "IF NOT EXISTS (SELECT 1 FROM ledger_erasure WHERE idx = OLD.idx){also} THEN "
    "RAISE EXCEPTION '% is append-only: DELETE refused without an erasure record', "
    "TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
    "END IF; RETURN OLD; END $$"
)
_MOVED = (
    " AND NOT (TG_TABLE_NAME ~ '^ledger_opening(_p[0-9]+)?$' AND EXISTS "
    "(SELECT 1 FROM ledger_sealed_opening WHERE idx = OLD.idx))"
)


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def _rows(table: str) -> int:
    query = sa.select(sa.func.count()).select_from(sa.table(table))
    return int(op.get_bind().execute(query).scalar_one())


def upgrade() -> None:
    # Taken down while it held keys or sealed openings, the tables stayed (see downgrade).
    kept = _tables() & {"learner_key", "ledger_sealed_opening"}
    if not kept:
        _create_tables()
    for name, kind in _LEARNER_COLUMNS:
        op.add_column("learner", sa.Column(name, kind, nullable=True))
    op.create_index("ix_learner_erase_after", "learner", ["erase_after"])
    _guard_openings()


def _create_tables() -> None:
    op.create_table(
        "learner_key",
        sa.Column("learner", sa.String(36), primary_key=True),
        sa.Column("wrapped", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "ledger_sealed_opening",
        sa.Column(
            "idx",
            _BIG_KEY,
            sa.ForeignKey("ledger_entry.idx"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("learner", sa.String(36), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_ledger_sealed_opening_learner", "ledger_sealed_opening", ["learner"])


def _guard_openings() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD.format(also=_MOVED))
        op.execute(
            "CREATE TRIGGER ledger_sealed_opening_no_update BEFORE UPDATE ON "
            "ledger_sealed_opening FOR EACH ROW EXECUTE FUNCTION creditbank_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER ledger_sealed_opening_no_delete BEFORE DELETE ON "
            "ledger_sealed_opening FOR EACH ROW EXECUTE FUNCTION "
            "creditbank_refuse_unrecorded_erasure()"
        )
        op.execute(
            "CREATE TRIGGER ledger_sealed_opening_no_truncate BEFORE TRUNCATE ON "
            "ledger_sealed_opening FOR EACH STATEMENT EXECUTE FUNCTION creditbank_refuse_change()"
        )
    else:
        op.execute("DROP TRIGGER ledger_opening_no_delete")
        op.execute(
            "CREATE TRIGGER ledger_opening_no_delete BEFORE DELETE ON ledger_opening "
            "WHEN NOT EXISTS (SELECT 1 FROM ledger_erasure WHERE idx = OLD.idx) "
            "AND NOT EXISTS (SELECT 1 FROM ledger_sealed_opening WHERE idx = OLD.idx) "
            "BEGIN SELECT RAISE(ABORT, 'ledger_opening is append-only: DELETE refused without "
            "an erasure record'); END"
        )
        op.execute(
            "CREATE TRIGGER ledger_sealed_opening_no_update BEFORE UPDATE ON "
            "ledger_sealed_opening BEGIN SELECT RAISE(ABORT, "
            "'ledger_sealed_opening is append-only: UPDATE refused'); END"
        )
        op.execute(
            "CREATE TRIGGER ledger_sealed_opening_no_delete BEFORE DELETE ON "
            "ledger_sealed_opening WHEN NOT EXISTS "
            "(SELECT 1 FROM ledger_erasure WHERE idx = OLD.idx) "
            "BEGIN SELECT RAISE(ABORT, 'ledger_sealed_opening is append-only: DELETE refused "
            "without an erasure record'); END"
        )


def downgrade() -> None:
    # Keys and sealed openings cannot be turned back into what 0018 stored (that needs the
    # key-encryption key, outside the database): while either table holds rows it stays, so
    # nothing is lost, and upgrading again takes it back as it is (with its triggers again).
    drop = _rows("learner_key") == 0 and _rows("ledger_sealed_opening") == 0
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_sealed_opening_no_truncate ON ledger_sealed_opening")
        op.execute("DROP TRIGGER ledger_sealed_opening_no_delete ON ledger_sealed_opening")
        op.execute("DROP TRIGGER ledger_sealed_opening_no_update ON ledger_sealed_opening")
        op.execute(_PG_GUARD.format(also=""))
    else:
        op.execute("DROP TRIGGER ledger_sealed_opening_no_delete")
        op.execute("DROP TRIGGER ledger_sealed_opening_no_update")
        op.execute("DROP TRIGGER ledger_opening_no_delete")
        op.execute(
            "CREATE TRIGGER ledger_opening_no_delete BEFORE DELETE ON ledger_opening "
            "WHEN NOT EXISTS (SELECT 1 FROM ledger_erasure WHERE idx = OLD.idx) "
            "BEGIN SELECT RAISE(ABORT, 'ledger_opening is append-only: DELETE refused without "
            "an erasure record'); END"
        )
    op.drop_index("ix_learner_erase_after", "learner")
    # In place (SQLite 3.35+ drops a column itself), as 0015 does: a batch copy of ``learner``
    # would drop the table that other tables' foreign keys name.
    for name, _ in reversed(_LEARNER_COLUMNS):
        op.drop_column("learner", name)
    if drop:
        op.drop_index("ix_ledger_sealed_opening_learner", "ledger_sealed_opening")
        op.drop_table("ledger_sealed_opening")
        op.drop_table("learner_key")
