"""What every request passes through: request id, rate limit, body size limit and metrics.

Rate limits are token buckets per API key (per client address for requests without one),
kept in each worker process: a client spread over ``W`` gunicorn workers gets up to ``W``
times the configured rate. Sharing buckets through the database would put a write on every
request (and on SQLite every request would queue on the one write lock) to protect against a
client that is already authenticated and identified; the per-process limit bounds abuse at a
known factor, and the proxy in front (nginx ``limit_req``) can enforce a hard global one.
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from creditbank.api.problems import problem_response
from creditbank.auth.authenticate import bearer_secret
from creditbank.errors import CreditbankError, PayloadTooLarge, RateLimited
from creditbank.identity.secrets import parse_secret
from creditbank.operations import metrics
from creditbank.wiring import EXTENSION, LazyServices

REQUEST_ID = "X-Request-Id"
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNLIMITED = frozenset({"/healthz", "/metrics"})
MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets: ``rate`` tokens a second up to ``burst``; one request takes one."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Take a token for ``key``; return 0 when allowed, else seconds until one is free."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[key] = bucket  # most recently used last
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)  # forget the least recently used
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


def _client_key() -> str:
    try:
        secret = bearer_secret(request.headers.get("Authorization"))
        if secret is not None:
            return "key:" + parse_secret(secret)[1]
    except CreditbankError:
        pass  # a malformed header is refused by authentication; limit it by address
    return "addr:" + (request.remote_addr or "unknown")


def init_app(app: Flask) -> None:
    """Install the hooks on ``app``."""
    lazy: LazyServices = app.extensions[EXTENSION]
    operations = lazy.settings.operations
    buckets = (
        TokenBuckets(operations.rate_limit_per_second, operations.rate_limit_burst)
        if operations.rate_limit_per_second > 0
        else None
    )
    max_body = operations.max_body_bytes

    @app.before_request
    def _begin() -> None:
        g.started = time.perf_counter()
        offered = request.headers.get(REQUEST_ID)
        g.request_id = offered if offered and _GOOD_ID.match(offered) else uuid.uuid4().hex
        if buckets is not None and request.path not in UNLIMITED:
            key = _client_key()
            wait = buckets.take(key)
            if wait > 0:
                metrics.RATE_LIMITED.labels(key.partition(":")[0]).inc()
                raise RateLimited(
                    f"more than {buckets.rate:g} requests a second (bursts of {buckets.burst})"
                    " from this API key; slow down",
                    retry_after=max(1, math.ceil(wait)),
                )
        if request.content_length is not None and request.content_length > max_body:
            raise PayloadTooLarge(_too_large(max_body))

    @app.after_request
    def _end(response: Response) -> Response:
        response.headers[REQUEST_ID] = g.get("request_id") or ""
        started = g.get("started")
        if started is not None:
            endpoint = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            metrics.observe(
                request.method, endpoint, response.status_code, time.perf_counter() - started
            )
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def _streamed_too_large(_: RequestEntityTooLarge) -> Response:
        # A body without Content-Length that grew past the limit while being read.
        error = PayloadTooLarge(_too_large(max_body))
        return problem_response(error.status, error.slug, error.title, error.detail)


def _too_large(limit: int) -> str:
    return f"the request body is larger than the {limit}-byte limit"
