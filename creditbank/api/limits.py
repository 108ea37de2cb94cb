"""Rate limits shared by every process, keyed so that no one can spend another's allowance.

Flask-Limiter counts in shared storage (Redis in production, ``memory://`` for the embedded
default), so a client spread over several workers or hosts meets one limit. Two limits apply
to every request but ``/healthz`` and ``/metrics``:

- **per caller**: an authenticated caller by who they are (the API key, or the learner behind
  a sign-in token), anyone else by client address. A secret that does not authenticate counts
  against the address that sent it, never against the key id it names: random key ids do not
  open fresh allowances, and a flood of wrong secrets under someone's key id does not use up
  theirs.
- **failed authentication per address**: every 401 answered to a request that presented
  credentials (a bearer secret, or a sign-in form or call) is counted against its address;
  past the limit that address may not try credentials again until the window passes, while
  the real key keeps working from anywhere else.
- **self-registration per address**: anonymous account openings (``POST /api/v1/learners``
  without credentials) an address may make an hour, so that no one fills the learner table
  or tries document numbers in bulk from one place.

The client address is the socket's peer unless ``trusted_proxies`` is set: then Werkzeug's
``ProxyFix`` takes it from that many ``X-Forwarded-For`` hops (nginx in front), so clients
behind the proxy are told apart and a client cannot forge its address past the proxies.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, Response, g, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from creditbank.api.access import current_principal
from creditbank.api.problems import problem_response
from creditbank.errors import CreditbankError, RateLimited
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal
from creditbank.operations import metrics
from creditbank.operations.settings import OperationsSettings

UNLIMITED = frozenset({"/healthz", "/metrics"})
# Where a person signs in without a bearer secret (a form or a JSON body with a password).
SIGN_IN_PATHS = frozenset(
    {"/signin", "/api/v1/sessions", "/api/v1/learners/activate", "/portal/activate"}
)
# Where an anonymous caller opens their own account.
REGISTRATION_PATH = "/api/v1/learners"
EXTENSION = "creditbank.limiter"


def client_address() -> str:
    """The caller's address (after ``ProxyFix`` when proxies are trusted)."""
    return request.remote_addr or "unknown"


def caller_key() -> str:
    """Who is calling: the authenticated principal, else the client address."""
    try:
        principal = current_principal()
    except CreditbankError:
        principal = None  # not authenticated: the view answers 401, the address pays
    if isinstance(principal, ClientPrincipal):
        g.caller_kind = "key"
        return f"client:{principal.key_id}"
    if isinstance(principal, LearnerPrincipal):
        g.caller_kind = "learner"
        return f"learner:{principal.learner_id}"
    g.caller_kind = "address"
    return f"addr:{client_address()}"


def _address_key() -> str:
    return f"addr:{client_address()}"


def _unlimited() -> bool:
    return request.path in UNLIMITED


def _presents_no_credentials() -> bool:
    if request.path in UNLIMITED:
        return True
    if request.headers.get("Authorization"):
        return False
    return not (request.method == "POST" and request.path in SIGN_IN_PATHS)


def _not_self_registration() -> bool:
    return not (
        request.method == "POST"
        and request.path == REGISTRATION_PATH
        and not request.headers.get("Authorization")
    )


def _refused_authentication(response: Response) -> bool:
    return response.status_code == 401


_ADDRESS_SCOPES = {
    "failed-auth": "failed authentications from this address",
    "registration": "self-registrations from this address",
}


def caller_limit(settings: OperationsSettings) -> str | None:
    """The per-caller limit as a window: ``burst`` requests per ``burst / rate`` seconds."""
    rate, burst = settings.rate_limit_per_second, max(settings.rate_limit_burst, 1)
    if rate <= 0:
        return None
    return f"{burst} per {max(1, math.ceil(burst / rate))} second"


def init_app(app: Flask, settings: OperationsSettings) -> Limiter:
    """Install ProxyFix (when proxies are trusted) and the shared limits on ``app``."""
    if settings.trusted_proxies > 0:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    limits: list[str | Callable[[], str] | ApplicationLimit] = []
    per_caller = caller_limit(settings)
    if per_caller is not None:
        limits.append(
            ApplicationLimit(
                per_caller, key_function=caller_key, exempt_when=_unlimited, scope="caller"
            )
        )
    if settings.auth_failures_per_minute > 0:
        limits.append(
            ApplicationLimit(
                f"{settings.auth_failures_per_minute} per 1 minute",
                key_function=_address_key,
                exempt_when=_presents_no_credentials,
                deduct_when=_refused_authentication,
                scope="failed-auth",
            )
        )
    if settings.registrations_per_hour > 0:
        limits.append(
            ApplicationLimit(
                f"{settings.registrations_per_hour} per 1 hour",
                key_function=_address_key,
                exempt_when=_not_self_registration,
                scope="registration",
            )
        )
    limiter = Limiter(
        caller_key,
        app=app,
        application_limits=limits,
        storage_uri=settings.rate_limit_storage,
        key_prefix=settings.rate_limit_prefix,
        strategy="moving-window",
        headers_enabled=False,
        # A Redis outage degrades to per-process counting (logged) rather than refusing service.
        in_memory_fallback_enabled=True,
    )
    app.extensions[EXTENSION] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _limited(error: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        reset = current.reset_at if current is not None else time.time() + 1
        wait = max(1, math.ceil(reset - time.time()))
        scope = error.limit.scope
        by = scope if scope in _ADDRESS_SCOPES else str(g.get("caller_kind"))
        metrics.RATE_LIMITED.labels(by).inc()
        what = _ADDRESS_SCOPES.get(by, "requests from this caller")
        refusal = RateLimited(f"too many {what} ({error.description}); slow down", retry_after=wait)
        response = problem_response(
            refusal.status, refusal.slug, refusal.title, refusal.detail, retry_after=wait
        )
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter
