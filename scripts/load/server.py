"""gunicorn serving a fresh instance: start, find and kill workers, stop."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from scripts.load.cpu import stat_fields

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "creditbank" / "deploy" / "gunicorn_conf.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = stat_fields(int(entry.name))
        if fields is not None and int(fields[1]) == pid:  # the parent's pid follows the state
            found.append(int(entry.name))
    return sorted(found)


class Gunicorn:
    """One gunicorn master with its workers, serving the instance in ``env``."""

    def __init__(self, env: dict[str, str], *, workers: int, threads: int, log: Path) -> None:
        self.port = free_port()
        self.workers = workers
        command = [str(ROOT / ".venv/bin/gunicorn")]
        if GUNICORN_CONF.is_file():  # the production configuration, once it exists
            command += ["--config", str(GUNICORN_CONF)]
        command += [
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
            "creditbank:create_app()",
        ]
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until every worker is up and the service answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}")
            if len(self.worker_pids()) >= self.workers and self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become ready")

    def _answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/api/v1/log/checkpoint")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        """The master's current worker processes."""
        return _children(self.process.pid)

    def kill_worker(self) -> int:
        """SIGKILL one worker (the master starts a new one); return its pid."""
        pids = self.worker_pids()
        if not pids:
            raise RuntimeError("gunicorn has no worker to kill")
        victim = pids[len(pids) // 2]
        os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        """Stop the master and its workers (SIGTERM, then SIGKILL after 15 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in self.worker_pids():
                    os.kill(pid, signal.SIGKILL)
                self.process.kill()
                self.process.wait()
        self._log.close()
