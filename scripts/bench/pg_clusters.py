"""A throwaway PostgreSQL primary and a streaming replica of it, for tests and benchmarks.

The shared server on 127.0.0.1:5432 is left alone (its pg_hba.conf allows no replication
connections, and changing it is not ours to do): ``initdb`` makes a primary of our own on a
free port, ``pg_basebackup -R`` copies it into a hot standby on another, and both are stopped
and deleted afterwards. ``initdb`` refuses to run as root, so as root every server command runs
as the ``postgres`` user (``runuser``), in a folder that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"


def server_binaries() -> Path | None:
    """The folder of PostgreSQL's server programs (the newest version), if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def why_unavailable() -> str | None:
    """Why clusters cannot be made here, or None when they can."""
    if server_binaries() is None:
        return "PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user for initdb"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """One server: its data folder, port and log file."""

    data: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Its ``postgres`` database as a SQLAlchemy URL (trust authentication)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


class Pair:
    """A primary and its hot standby, both under this process's control."""

    def __init__(
        self, root: Path, *, fsync: bool = False, replica: bool = True, settings: str = ""
    ) -> None:
        self.root = root
        self.bin = server_binaries()
        assert self.bin is not None
        self.fsync = fsync
        self.with_replica = replica
        self.settings = settings
        self.primary = Cluster(root / "primary", _free_port(), root / "primary.log")
        self.replica = Cluster(root / "replica", _free_port(), root / "replica.log")

    def _run(self, *argv: str) -> str:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def _options(self, cluster: Cluster) -> str:
        fsync = "on" if self.fsync else "off"
        return (
            f"-p {cluster.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync={fsync}"
            f" -c hot_standby=on -c max_connections=60 {self.settings}"
        )

    def start(self, cluster: Cluster) -> None:
        """Start one of the two servers and wait until it accepts connections."""
        self._run(
            "pg_ctl", "-D", str(cluster.data), "-l", str(cluster.log), "-w", "-t", "120",
            "-o", self._options(cluster), "start",
        )  # fmt: skip

    def stop(self, cluster: Cluster) -> None:
        """Stop one of the two servers (fast: sessions are ended)."""
        self._run("pg_ctl", "-D", str(cluster.data), "-m", "fast", "-w", "stop")

    def create(self) -> None:
        """Make the primary, start it, and (unless asked not to) its replica."""
        self._run(
            "initdb", "-D", str(self.primary.data), "--auth=trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        )  # fmt: skip
        self.start(self.primary)
        if not self.with_replica:
            return
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.replica.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self.start(self.replica)

    def close(self) -> None:
        """Stop both servers (whichever still run) and delete their folders."""
        for cluster in (self.replica, self.primary):
            if (cluster.data / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    self.stop(cluster)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def primary_and_replica(
    *, fsync: bool = False, replica: bool = True, settings: str = ""
) -> Iterator[Pair]:
    """A running primary and streaming hot standby (or the primary alone), removed afterwards.

    ``settings`` are further ``-c name=value`` server options for both.
    """
    root = Path(tempfile.mkdtemp(prefix="creditbank-replication-"))
    if os.geteuid() == 0:
        shutil.chown(root, SERVER_USER, SERVER_USER)
    pair = Pair(root, fsync=fsync, replica=replica, settings=settings)
    try:
        pair.create()
        yield pair
    finally:
        pair.close()
