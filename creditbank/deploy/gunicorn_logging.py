"""gunicorn's access log as JSON lines (method, path, status, duration, request id)."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger


class JsonAccessLogger(Logger):  # type: ignore[misc]
    """Writes each access-log line through the JSON formatter as structured fields."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """Log one request (gunicorn calls this after the response is sent)."""
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = {name.lower(): value for name, value in resp.headers}
        fields = {
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": headers.get("x-request-id"),
            "pid": os.getpid(),
        }
        self.access_log.info("access", extra=fields)
