"""On PostgreSQL an opening's link to its entry is checked once per statement, by index.

Since the log was partitioned (0024), the foreign keys from ``ledger_opening`` and
``ledger_sealed_opening`` to the partitioned ``ledger_entry`` look the entry up row by row
through a plan the session keeps; planned while the newest partition looked empty, it scans
that partition, so each opening costs more the fuller the partition gets (350 µs per opening
at 10,000 entries, measured while sequencing posting batches: more than everything else the
sequencer writes). They become one statement-level trigger per table that looks up all the
statement's new openings at once (a transition table, one anti-join) with sequential scans
turned off for the check, so it always walks the primary key's index, and refuses the
statement when any opening names an entry the log does not hold: the same promise, at 13 µs
per opening. Entries are never deleted or renumbered (the append-only triggers), so checking
on insert is all the foreign key did. SQLite keeps its foreign keys.

Revision ID: 0027_opening_entry_checks
Revises: 0026_cohort_chunks
Create Date: 2026-12-07
"""

from alembic import op

revision = "0027_opening_entry_checks"
down_revision = "0026_cohort_chunks"
branch_labels = None
depends_on = None

TABLES = ("ledger_opening", "ledger_sealed_opening")
FUNCTION = "creditbank_openings_have_entries"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION creditbank_openings_have_entries() RETURNS trigger
        LANGUAGE plpgsql SET enable_seqscan = off AS $$
        DECLARE
            orphan BIGINT;
        BEGIN
            SELECT f.idx INTO orphan FROM fresh AS f
            WHERE NOT EXISTS (SELECT 1 FROM ledger_entry AS e WHERE e.idx = f.idx)
            LIMIT 1;
            IF orphan IS NOT NULL THEN
                RAISE EXCEPTION 'the opening of entry % names an entry the log does not hold',
                    orphan USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_idx_fkey")
        op.execute(
            f"CREATE TRIGGER {table}_has_entry AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if not _postgresql():
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_has_entry ON {table}")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_idx_fkey "
            "FOREIGN KEY (idx) REFERENCES ledger_entry (idx)"
        )
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
