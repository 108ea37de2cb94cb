"""Cohort chunks: a cohort's learners in slices that any process claims for a lease.

Jobs still queued or running when this runs get chunks for the learners they have not done
yet; what they did already stays in ``cohort_job.results``.

Revision ID: 0026_cohort_chunks
Revises: 0025_indicator_totals
Create Date: 2026-12-07
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0026_cohort_chunks"
down_revision = "0025_indicator_totals"
branch_labels = None
depends_on = None

CHUNK = 50


def upgrade() -> None:
    op.create_table(
        "cohort_chunk",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("cohort_job.id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("learners", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claim", sa.String(36), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_cohort_chunk_status", "cohort_chunk", ["status"])
    connection = op.get_bind()
    jobs = connection.execute(
        sa.text("SELECT id, learners, done FROM cohort_job WHERE status IN ('queued', 'running')")
    ).all()
    chunk_t = sa.table(
        "cohort_chunk",
        sa.column("job_id"),
        sa.column("number"),
        sa.column("learners"),
        sa.column("size"),
        sa.column("status"),
        sa.column("attempts"),
        sa.column("results"),
    )
    for job_id, learners, done in jobs:
        left = json.loads(learners)[done:]
        rows = [
            {
                "job_id": job_id,
                "number": number,
                "learners": json.dumps(left[start : start + CHUNK]),
                "size": len(left[start : start + CHUNK]),
                "status": "queued",
                "attempts": 0,
                "results": "",
            }
            for number, start in enumerate(range(0, len(left), CHUNK))
        ]
        if rows:
            op.bulk_insert(chunk_t, rows)


def downgrade() -> None:
    # Chunked results go back into the job row, so no result is lost on the way down.
    connection = op.get_bind()
    chunks = connection.execute(
        sa.text(
            "SELECT job_id, results FROM cohort_chunk WHERE status = 'done' ORDER BY job_id, number"
        )
    ).all()
    merged: dict[str, str] = {}
    for job_id, results in chunks:
        merged[job_id] = merged.get(job_id, "") + results
    for job_id, results in merged.items():
        connection.execute(
            sa.text("UPDATE cohort_job SET results = results || :more WHERE id = :id"),
            {"more": results, "id": job_id},
        )
    op.drop_index("ix_cohort_chunk_status", table_name="cohort_chunk")
    op.drop_table("cohort_chunk")
