"""A PostgreSQL database of the run's own, the server restart, and what the run's data occupies."""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from creditbank.storage.database import normalise_url

LOG_TABLES = ("ledger_entry", "ledger_node", "ledger_opening", "ledger_sealed_opening")
# The bytes of table ``c`` with its indexes and TOAST; a partitioned table (the log's, see
# ledger/partitions.py) holds no rows of its own and counts as the sum of its partitions.
TABLE_BYTES = (
    "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)"
    " FROM pg_partition_tree(c.oid) AS t) ELSE pg_total_relation_size(c.oid) END"
)


@dataclass
class ScratchDatabase:
    """A database created for one run on the given server, dropped by :meth:`drop`."""

    server_url: str
    name: str

    @classmethod
    def create(cls, server_url: str) -> ScratchDatabase:
        """Create ``creditbank_load_<random>`` on the server of ``server_url``."""
        database = cls(server_url, f"creditbank_load_{uuid.uuid4().hex[:10]}")
        database._admin(f'CREATE DATABASE "{database.name}"')
        return database

    @property
    def url(self) -> str:
        """The URL of the scratch database."""
        return (
            make_url(normalise_url(self.server_url))
            .set(database=self.name)
            .render_as_string(hide_password=False)
        )

    def _admin(self, statement: str) -> None:
        engine = create_engine(normalise_url(self.server_url), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def drop(self) -> None:
        """Drop the database, closing whatever connections are left."""
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def sizes(self) -> dict[str, int]:
        """Bytes on disk: the whole database, and each table with its indexes and TOAST."""
        engine = create_engine(normalise_url(self.url))
        try:
            with engine.connect() as connection:
                connection.execute(text("CHECKPOINT"))
                sizes = {
                    "database": connection.execute(
                        text("SELECT pg_database_size(current_database())")
                    ).scalar_one()
                }
                rows = connection.execute(
                    text(
                        f"SELECT c.relname, {TABLE_BYTES} FROM pg_class AS c"  # noqa: S608
                        " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
                        " AND c.relnamespace = 'public'::regnamespace"
                    )
                ).all()
                sizes.update({name: int(size) for name, size in rows})
                return sizes
        finally:
            engine.dispose()


def _cluster() -> tuple[str, str]:
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    if not versions:
        raise RuntimeError("no PostgreSQL cluster under /etc/postgresql")
    return versions[-1], "main"


def restart_server() -> float:
    """Restart the local PostgreSQL cluster (fast shutdown: sessions are cut); return seconds."""
    version, cluster = _cluster()
    started = time.perf_counter()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for _ in range(300):
        ready = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False)
        if ready.returncode == 0:
            break
        time.sleep(0.1)
    return time.perf_counter() - started


def ensure_running() -> None:
    """Start the local cluster if a fault left it down (never leave the shared server off)."""
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0:
        return
    version, cluster = _cluster()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "start"], check=False
    )
