"""The witness's view of the bank: its public log endpoints, over a pluggable transport.

The witness uses only what anyone may read (ARCHITECTURE.md's public endpoints) and one
write, submitting its cosignature. Over the network it is plain HTTP(S) with the standard
library; tests plug in the Flask test client instead.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from creditbank.errors import BankError

CHECKPOINT_PATH = "/api/v1/log/checkpoint"
KEY_PATH = "/api/v1/log/key"
KEY_ROTATIONS_PATH = "/api/v1/log/key-rotations"
CONSISTENCY_PATH = "/api/v1/log/proofs/consistency"
COSIGNATURES_PATH = "/api/v1/log/cosignatures"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, content type and body text."""

    status: int
    content_type: str
    body: str


class Transport(Protocol):
    """How the witness reaches the bank."""

    def get(self, path: str) -> Answer:
        """GET ``path`` (with its query string)."""
        ...

    def post(self, path: str, body: str, content_type: str) -> Answer:
        """POST ``body`` to ``path``."""
        ...


class HttpTransport:
    """HTTP(S) to a bank at ``base_url`` with the standard library."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise BankError(f"bank URL {base_url!r} must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read().decode("utf-8")
                return Answer(response.status, response.headers.get_content_type(), body)
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", errors="replace")
            return Answer(error.code, error.headers.get_content_type(), body)
        except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
            raise BankError(f"cannot reach the bank at {request.full_url}: {exc}") from None

    def get(self, path: str) -> Answer:
        """GET ``path``."""
        # The scheme was checked in __init__: only http and https reach urlopen.
        request = urllib.request.Request(self.base_url + path, method="GET")  # noqa: S310
        return self._send(request)

    def post(self, path: str, body: str, content_type: str) -> Answer:
        """POST ``body`` to ``path``."""
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.base_url + path,
            data=body.encode("utf-8"),
            method="POST",
            headers={"Content-Type": content_type},
        )
        return self._send(request)


def _problem_detail(answer: Answer) -> str:
    if answer.content_type == "application/problem+json":
        try:
            return str(json.loads(answer.body).get("detail", answer.body))
        except (ValueError, AttributeError):
            pass
    return answer.body.strip()[:300]


class Bank:
    """The bank's public log API as the witness calls it."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def _expect(self, answer: Answer, what: str) -> Answer:
        if answer.status != 200:
            raise BankError(
                f"the bank answered {answer.status} to {what}: {_problem_detail(answer)}"
            )
        return answer

    def checkpoint(self) -> str:
        """Return the latest bank-signed checkpoint note."""
        return self._expect(self.transport.get(CHECKPOINT_PATH), "GET checkpoint").body

    def log_keys(self) -> list[str]:
        """Return the log's verifier keys, newest first."""
        body = self._expect(self.transport.get(KEY_PATH), "GET key").body
        return [line for line in body.splitlines() if line]

    def key_rotations(self) -> list[str]:
        """Return the log's key rotation statements (signed notes), oldest first."""
        answer = self._expect(self.transport.get(KEY_ROTATIONS_PATH), "GET key-rotations")
        try:
            statements = json.loads(answer.body)["rotations"]
        except (ValueError, KeyError, TypeError):
            raise BankError("the bank's answer to GET key-rotations is not a list") from None
        if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
            raise BankError("the bank's answer to GET key-rotations is not a list of notes")
        return statements

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof between two tree sizes."""
        what = f"GET consistency proof {first} -> {second}"
        answer = self._expect(
            self.transport.get(f"{CONSISTENCY_PATH}?first={first}&second={second}"), what
        )
        try:
            document = json.loads(answer.body)
            return [base64.b64decode(h, validate=True) for h in document["hashes"]]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise BankError(f"the bank's answer to {what} is not a proof") from None

    def submit(self, cosigned_note: str) -> dict[str, Any]:
        """Submit a checkpoint note carrying this witness's cosignature; return the answer."""
        answer = self.transport.post(COSIGNATURES_PATH, cosigned_note, "text/plain; charset=utf-8")
        result: dict[str, Any] = json.loads(self._expect(answer, "POST cosignatures").body)
        return result
