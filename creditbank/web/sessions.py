"""Server-side sessions: the cookie carries only a random id; the data stays in the database.

A session ends after ``IDLE`` without a request, after ``ABSOLUTE`` in any case, and at once
on sign-out (its row is deleted). Signing in gives a fresh id, so an id planted before
sign-in is worthless afterwards.

A visitor who has not signed in gets no row: what their session holds before sign-in (the
form's CSRF token, the language) is not secret from them and travels in a signed cookie
(``cb_anon``), so anonymous page views and form posts write nothing to the database. A row is
created the first time the session holds anything else (a sign-in).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, insert, select, update
from werkzeug.datastructures import CallbackDict

from creditbank.auth.tables import WebSession
from creditbank.clock import as_utc, utc_now
from creditbank.storage.database import read_connection, write_transaction
from creditbank.wiring import services

session_t = WebSession.__table__  # type: ignore[attr-defined]

COOKIE = "cb_session"
ANONYMOUS_COOKIE = "cb_anon"
# What an anonymous session may hold in its signed cookie; anything else needs a row.
ANONYMOUS_KEYS = frozenset({"csrf_token", "lang"})
_ANONYMOUS_SALT = "creditbank-anonymous-session"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
# A request refreshes the idle deadline at most this often, so reading pages is not a write each.
TOUCH_EVERY = timedelta(minutes=1)
MAX_DATA = 4 * 1024 * 1024


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request, with the bookkeeping to save it."""

    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        created_at: datetime | None = None,
        seen_at: datetime | None = None,
    ) -> None:
        def changed(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(initial or {}, changed)
        self.session_id = session_id
        self.created_at = created_at
        self.seen_at = seen_at
        self.modified = False
        self.renew = False  # set by sign-in: a new id for the same data
        self.ended = False  # set by sign-out: delete the row and the cookie

    def regenerate(self) -> None:
        """Give this session a new id when it is saved (on sign-in)."""
        self.renew = True
        self.modified = True

    def end(self) -> None:
        """Forget everything and delete the session (on sign-out)."""
        self.clear()
        self.ended = True


class DatabaseSessionInterface(SessionInterface):
    """Keeps sessions in the ``web_session`` table."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        """Load the session named by the cookie, or the signed anonymous one, or start one."""
        session_id = request.cookies.get(COOKIE)
        if not session_id or len(session_id) > 100:
            return ServerSession(_read_anonymous(app, request))
        now = utc_now()
        with read_connection(services().engine) as connection:
            row = connection.execute(
                select(session_t).where(session_t.c.id_hash == _hash(session_id))
            ).first()
        if row is None or as_utc(row.expires_at) <= now:
            return ServerSession(_read_anonymous(app, request))
        return ServerSession(
            json.loads(row.data),
            session_id=session_id,
            created_at=as_utc(row.created_at),
            seen_at=as_utc(row.seen_at),
        )

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Write the session back (only when needed) and set or delete the cookie."""
        assert isinstance(session, ServerSession)
        name = COOKIE
        if session.ended or (not session and session.session_id is not None and session.modified):
            if session.session_id is not None:
                with write_transaction(services().engine) as connection:
                    connection.execute(
                        delete(session_t).where(session_t.c.id_hash == _hash(session.session_id))
                    )
            response.delete_cookie(name, path="/", httponly=True, samesite="Lax")
            return
        if not session:
            if request.cookies.get(ANONYMOUS_COOKIE):
                response.delete_cookie(ANONYMOUS_COOKIE, path="/", httponly=True, samesite="Lax")
            return  # nothing worth keeping: no row, no cookie
        if session.session_id is None and set(session) <= ANONYMOUS_KEYS:
            if session.modified:
                _write_anonymous(app, session, response)
            return  # anonymous: a signed cookie, no row
        if request.cookies.get(ANONYMOUS_COOKIE):
            response.delete_cookie(ANONYMOUS_COOKIE, path="/", httponly=True, samesite="Lax")
        now = utc_now()
        stale = session.seen_at is None or now - session.seen_at >= TOUCH_EVERY
        if not (session.modified or session.renew or stale or session.session_id is None):
            return
        data = json.dumps(dict(session), ensure_ascii=False, default=str)
        if len(data) > MAX_DATA:
            raise ValueError("the session grew too large")
        created = session.created_at or now
        expires = min(now + IDLE, created + ABSOLUTE)
        with write_transaction(services().engine) as connection:
            if session.session_id is not None and not session.renew:
                connection.execute(
                    update(session_t)
                    .where(session_t.c.id_hash == _hash(session.session_id))
                    .values(data=data, seen_at=now, expires_at=expires)
                )
                session_id = session.session_id
            else:
                if session.session_id is not None:
                    connection.execute(
                        delete(session_t).where(session_t.c.id_hash == _hash(session.session_id))
                    )
                session_id = secrets.token_urlsafe(32)
                connection.execute(
                    insert(session_t).values(
                        id_hash=_hash(session_id),
                        data=data,
                        created_at=created,
                        seen_at=now,
                        expires_at=expires,
                    )
                )
            # Expired rows of anyone are swept on writes; no job needed.
            connection.execute(delete(session_t).where(session_t.c.expires_at <= now))
        response.set_cookie(
            name,
            session_id,
            max_age=int((expires - now).total_seconds()),
            path="/",
            secure=app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )


def _serializer(app: Flask) -> URLSafeTimedSerializer | None:
    if not app.secret_key:
        return None
    return URLSafeTimedSerializer(app.secret_key, salt=_ANONYMOUS_SALT)


def _read_anonymous(app: Flask, request: Request) -> dict[str, Any]:
    """The signed cookie's content, if it is intact and younger than ``ABSOLUTE``."""
    raw = request.cookies.get(ANONYMOUS_COOKIE)
    serializer = _serializer(app)
    if not raw or serializer is None or len(raw) > 4096:
        return {}
    try:
        data = serializer.loads(raw, max_age=int(ABSOLUTE.total_seconds()))
    except BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in ANONYMOUS_KEYS and isinstance(v, str)}


def _write_anonymous(app: Flask, session: ServerSession, response: Response) -> None:
    serializer = _serializer(app)
    if serializer is None:
        return
    response.set_cookie(
        ANONYMOUS_COOKIE,
        serializer.dumps(dict(session)),
        max_age=int(ABSOLUTE.total_seconds()),
        path="/",
        secure=app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
