"""The clients of the load test.

Posters send record batches, retrying with the same Idempotency-Key; a watcher checks that
every new checkpoint is signed and consistent with the one before.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from creditbank.errors import CreditbankError
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint
from creditbank.ledger.note import NoteVerifier, parse_verifier_key
from creditbank.ledger.proof_checks import verify_consistency

_RETRYABLE_STATUSES = {500, 502, 503, 504}
# A retry racing the attempt it repeats may see that attempt's records committed before its
# batch row: the service then answers 409 once, and the next retry gets the replay.
_CONFLICT = 409


@dataclass
class BatchOutcome:
    """One batch: its key and records, whether (and with what) it was acknowledged."""

    key: str
    external_ids: list[str]
    acknowledged: bool = False
    response: dict[str, Any] | None = None
    replayed: bool = False
    attempts: int = 0
    latency: float = 0.0
    acked_at: float = 0.0
    failures: list[str] = field(default_factory=list)


def _record(learner: str, external_id: str, n: int) -> dict[str, Any]:
    return {
        "learner_id": learner,
        "external_id": external_id,
        "kind": "course",
        "course_code": f"LT-{n % 400:03d}",
        "title_zh": "液压与气动技术",
        "source_institution": "CQ-GZ-001",
        "level": "gaozhi",
        "programme": "机电一体化技术",
        "term": "2025-2026-1",
        "hours": 48,
        "credits": "3",
        "grade": {"scale": "percent", "value": str(60 + n % 40)},
        "completed_on": "2026-01-10",
    }


@dataclass(frozen=True)
class PosterConfig:
    """What every poster shares: where to post, as whom, for whom, how much and how long."""

    port: int
    secret: str
    learners: list[str]
    batch_size: int
    stop_at: float  # monotonic time after which no new batch starts
    give_up_at: float  # monotonic time after which the batch in hand is no longer retried


class Poster(threading.Thread):
    """Posts batches until ``stop_at``; retries the batch in hand until ``give_up_at``."""

    def __init__(self, number: int, config: PosterConfig) -> None:
        super().__init__(name=f"poster-{number}", daemon=True)
        self.number = number
        self.port = config.port
        self.secret = config.secret
        self.learners = config.learners
        self.batch_size = config.batch_size
        self.stop_at = config.stop_at
        self.give_up_at = config.give_up_at
        self.outcomes: list[BatchOutcome] = []
        self.unexpected: list[str] = []
        self._connection: http.client.HTTPConnection | None = None

    def run(self) -> None:
        """Post batch after batch."""
        batch = 0
        while time.monotonic() < self.stop_at:
            self._post(batch)
            batch += 1
        if self._connection is not None:
            self._connection.close()

    def _body(self, batch: int) -> tuple[list[str], bytes]:
        ids = [f"lt-{self.number}-{batch}-{i}" for i in range(self.batch_size)]
        records = [
            _record(self.learners[(batch * self.batch_size + i) % len(self.learners)], ext, i)
            for i, ext in enumerate(ids)
        ]
        return ids, json.dumps({"records": records}, ensure_ascii=False).encode("utf-8")

    def _send(self, key: str, body: bytes) -> tuple[int, bytes, bool]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self._connection.request(
            "POST",
            "/api/v1/records",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.secret}",
                "Idempotency-Key": key,
            },
        )
        response = self._connection.getresponse()
        payload = response.read()
        return response.status, payload, response.getheader("Idempotent-Replayed") == "true"

    def _post(self, batch: int) -> None:
        key = f"loadtest-{self.number}-{batch}"
        ids, body = self._body(batch)
        outcome = BatchOutcome(key, ids)
        self.outcomes.append(outcome)
        started = time.perf_counter()
        pause = 0.1
        while time.monotonic() < self.give_up_at:
            outcome.attempts += 1
            try:
                status, payload, replayed = self._send(key, body)
            except (OSError, http.client.HTTPException) as exc:
                # Connection refused, reset or cut (a killed worker, a restart): same key again.
                outcome.failures.append(exc.__class__.__name__)
                if self._connection is not None:
                    self._connection.close()
                self._connection = None
            else:
                if status == 201:
                    outcome.acknowledged = True
                    outcome.response = json.loads(payload)
                    outcome.replayed = replayed
                    outcome.latency = time.perf_counter() - started
                    outcome.acked_at = time.monotonic()
                    return
                outcome.failures.append(str(status))
                if status not in _RETRYABLE_STATUSES and not (
                    status == _CONFLICT and outcome.attempts > 1
                ):
                    self.unexpected.append(f"{key}: HTTP {status} {payload[:300]!r}")
                    return
            time.sleep(pause)
            pause = min(1.0, pause * 2)


@dataclass
class Observed:
    """A checkpoint the watcher saw."""

    checkpoint: Checkpoint
    at: float


class CheckpointWatcher(threading.Thread):
    """Fetches the checkpoint every ``interval`` s; checks each new one against the last."""

    def __init__(self, port: int, origin: str, interval: float = 0.5) -> None:
        super().__init__(name="checkpoint-watcher", daemon=True)
        self.port = port
        self.origin = origin
        self.interval = interval
        self.seen: list[Observed] = []
        self.proofs_checked = 0
        self.violations: list[str] = []
        self._stopping = threading.Event()
        self._verifiers: list[NoteVerifier] = []

    def stop(self) -> None:
        """Stop after the current poll."""
        self._stopping.set()

    def _get(self, path: str) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            payload = response.read()
            if response.status != 200:
                raise OSError(f"HTTP {response.status} for {path}")
            return payload
        finally:
            connection.close()

    def poll(self) -> None:
        """Fetch the checkpoint once and check it (network failures are skipped)."""
        try:
            if not self._verifiers:
                keys = self._get("/api/v1/log/key").decode().splitlines()
                self._verifiers = [parse_verifier_key(line) for line in keys if line]
            note = self._get("/api/v1/log/checkpoint").decode("utf-8")
        except (OSError, http.client.HTTPException):
            return
        try:
            checkpoint, _ = open_checkpoint(note, self._verifiers, self.origin)
        except CreditbankError as exc:
            self.violations.append(f"checkpoint does not verify: {exc.detail}")
            return
        if self.seen and not self._checked_against(self.seen[-1].checkpoint, checkpoint):
            return  # the proof could not be fetched: check from the same one next time
        if not self.seen or checkpoint.size != self.seen[-1].checkpoint.size:
            self.seen.append(Observed(checkpoint, time.monotonic()))

    def _checked_against(self, last: Checkpoint, new: Checkpoint) -> bool:
        if new.size < last.size:
            self.violations.append(f"checkpoint went back from size {last.size} to {new.size}")
        elif new.size == last.size:
            if new.root_hash != last.root_hash:
                self.violations.append(f"two roots for size {new.size}")
        elif last.size > 0:
            path = f"/api/v1/log/proofs/consistency?first={last.size}&second={new.size}"
            try:
                hashes = json.loads(self._get(path))["hashes"]
            except (OSError, http.client.HTTPException):
                return False
            proof = [base64.b64decode(h) for h in hashes]
            try:
                verify_consistency(last.size, new.size, last.root_hash, new.root_hash, proof)
                self.proofs_checked += 1
            except CreditbankError as exc:
                self.violations.append(
                    f"checkpoints {last.size} → {new.size} inconsistent: {exc.detail}"
                )
        return True

    def run(self) -> None:
        """Poll until stopped."""
        while not self._stopping.is_set():
            self.poll()
            self._stopping.wait(self.interval)
        self.poll()
