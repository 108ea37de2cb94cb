"""Clients that send cheap requests which used to cost the service a lot.

Each one sends a request every ``PACE`` seconds (a busy crawler, not a flood: a flood is the
rate limit's business), looping over: the public dashboard and one of its charts, an
anonymous page with a form, an oversized public verification body, a signed-in learner's
transcript PDF, a wrong secret under the posters' key id, and an anonymous self-registration
(scrypt work per request, capped per address). They send from other loopback addresses than
the posters (127.0.0.2; 127.0.0.3 for the wrong secrets, 127.0.0.4 for registrations), as outsiders
would, so the per-address limit on failed authentication cannot be mistaken for a lockout of
the posters. Every answer's status is counted; answers the service must never give are kept
as violations.
"""

from __future__ import annotations

import http.client
import json
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass

from creditbank.demo import DEMO_PASSWORD, LEARNERS
from creditbank.identity.documents import check_digit

SOURCE = ("127.0.0.2", 0)
FLOODER = ("127.0.0.3", 0)  # the wrong secrets come from yet another address
REGISTRANT = ("127.0.0.4", 0)
PACE = 0.1  # seconds between one client's requests: 10 a second each
OVERSIZED = 3 * 1024 * 1024  # above the 2 MiB bound on verification bodies
# What each request may answer (429: the rate limit holding the cost, also fine).
EXPECTED = {
    "dashboard": {200, 429},
    "chart": {200, 429},
    "form-page": {200, 429},
    "big-verify": {413, 429},
    "pdf": {200, 429},
    "wrong-secret": {401, 429},
    # 202 until the per-address allowance of registrations is spent, 429 after.
    "registration": {202, 429},
}


@dataclass(frozen=True)
class Transcript:
    """A demo learner's sign-in token and one of their transcripts."""

    token: str
    transcript_id: str


def _connection(port: int, source: tuple[str, int] = SOURCE) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=source)


def issue_transcript(port: int) -> Transcript:
    """Sign the first demo learner in and issue them a transcript (before the load starts)."""
    learner = LEARNERS[0]
    connection = _connection(port)
    try:
        body = {
            "document": {"kind": "resident_id", "number": learner.document_number},
            "password": DEMO_PASSWORD,
        }
        connection.request(
            "POST", "/api/v1/sessions", json.dumps(body), {"Content-Type": "application/json"}
        )
        answer = connection.getresponse()
        token = json.loads(answer.read())["token"]
        connection.request(
            "POST",
            "/api/v1/transcripts",
            json.dumps({"validity_days": 60}),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        answer = connection.getresponse()
        issued = json.loads(answer.read())
        if answer.status != 201:
            raise RuntimeError(f"could not issue a transcript: HTTP {answer.status} {issued}")
        return Transcript(token, str(issued["id"]).removeprefix("urn:uuid:"))
    finally:
        connection.close()


def _fresh_resident_id() -> str:
    first17 = "500105" + "2007" + "0101" + f"{secrets.randbelow(1000):03d}"
    return first17 + check_digit(first17)


def _registration() -> bytes:
    """A self-registration for a fresh, well-formed 居民身份证 number."""
    body = {
        "name": "压测注册",
        "document": {"kind": "resident_id", "number": _fresh_resident_id()},
        "password": "load-test-registrant-1",
    }
    return json.dumps(body, ensure_ascii=False).encode()


class CostlyClient(threading.Thread):
    """Sends the costly requests in turn until ``stop_at``."""

    def __init__(
        self, number: int, port: int, transcript: Transcript, poster_secret: str, stop_at: float
    ) -> None:
        super().__init__(name=f"costly-{number}", daemon=True)
        self.port = port
        self.transcript = transcript
        prefix, key_id, _ = poster_secret.split("_", 2)
        self.wrong_secret = f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"
        self.stop_at = stop_at
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.violations: list[str] = []
        self._big = b'{"padding": "' + b"x" * OVERSIZED + b'"}'
        self._next = 0.0

    def _one(
        self,
        name: str,
        path: str,
        body: bytes | None = None,
        source: tuple[str, int] = SOURCE,
        **headers: str,
    ) -> None:
        time.sleep(max(0.0, self._next - time.monotonic()))
        self._next = time.monotonic() + PACE
        connection = _connection(self.port, source)
        try:
            connection.request("GET" if body is None else "POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            # A 413 may close the connection before the whole body was sent.
            if name == "big-verify":
                self.statuses[(name, 413)] += 1
            else:
                self.violations.append(f"{name}: {exc.__class__.__name__}")
            return
        finally:
            connection.close()
        self.statuses[(name, response.status)] += 1
        if response.status not in EXPECTED[name]:
            self.violations.append(f"{name}: HTTP {response.status}")
        cookies = response.headers.get_all("Set-Cookie") or []
        if any(c.startswith("cb_session=") for c in cookies):
            self.violations.append(f"{name}: an anonymous request got a server-side session")

    def run(self) -> None:
        """Loop over the costly requests."""
        pdf = {"Authorization": f"Bearer {self.transcript.token}", "Accept": "application/pdf"}
        wrong = {"Authorization": f"Bearer {self.wrong_secret}"}
        while time.monotonic() < self.stop_at - PACE:
            self._one("dashboard", "/dashboard")
            self._one("chart", "/dashboard/charts/months.svg")
            self._one("form-page", "/verify")
            self._one(
                "big-verify", "/api/v1/verify", self._big, **{"Content-Type": "application/json"}
            )
            self._one("pdf", f"/api/v1/transcripts/{self.transcript.transcript_id}", **pdf)
            self._one("wrong-secret", "/api/v1/learners/me", None, FLOODER, **wrong)
            self._one(
                "registration",
                "/api/v1/learners",
                _registration(),
                REGISTRANT,
                **{"Content-Type": "application/json"},
            )


def run_clients(port: int, count: int, seconds: float, poster_secret: str) -> dict[str, object]:
    """Run ``count`` costly clients for ``seconds``; return their answers and violations."""
    transcript = issue_transcript(port)
    stop_at = time.monotonic() + seconds
    clients = [CostlyClient(n, port, transcript, poster_secret, stop_at) for n in range(count)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    statuses: Counter[tuple[str, int]] = Counter()
    for client in clients:
        statuses.update(client.statuses)
    return {
        "answers": {f"{name} {status}": n for (name, status), n in sorted(statuses.items())},
        "violations": sorted({v for client in clients for v in client.violations}),
    }


def main() -> None:
    """``python -m scripts.load.costly PORT COUNT SECONDS POSTER_SECRET``: JSON on stdout.

    A process of its own, as an outside client would be: its threads do not share the
    posters' interpreter lock.
    """
    port, count, seconds, secret = sys.argv[1:5]
    print(json.dumps(run_clients(int(port), int(count), float(seconds), secret)))


if __name__ == "__main__":
    main()
