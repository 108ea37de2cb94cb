"""JSON log lines: fields, extras, the request id, and gunicorn's access line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, g
from gunicorn.config import Config

from creditbank.deploy.gunicorn_logging import JsonAccessLogger
from creditbank.deploy.logs import JsonFormatter, current_request_id, logging_config


def _record(message: str = "hello %s", args: tuple[Any, ...] = ("世界",), **extra: Any) -> Any:
    record = logging.LogRecord("creditbank.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_line_carries_time_level_logger_message_and_extras() -> None:
    line = json.loads(JsonFormatter().format(_record(job="audit", _private=1)))
    assert line.pop("time").endswith("+00:00")
    assert line == {
        "level": "WARNING",
        "logger": "creditbank.test",
        "message": "hello 世界",
        "job": "audit",
    }


def test_the_request_id_comes_from_the_record_or_the_request() -> None:
    app = Flask(__name__)
    assert current_request_id() is None
    with app.test_request_context():
        g.request_id = "req-1"
        assert current_request_id() == "req-1"
        assert json.loads(JsonFormatter().format(_record()))["request_id"] == "req-1"
        given = JsonFormatter().format(_record(request_id="req-2"))
        assert json.loads(given)["request_id"] == "req-2"


def test_an_exception_is_formatted_into_the_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = _record()
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: broken" in line["exception"]


def test_the_logging_config_sends_access_to_stdout_and_the_rest_to_stderr() -> None:
    config = logging_config("DEBUG")
    assert config["root"] == {"level": "DEBUG", "handlers": ["stderr"]}
    assert config["handlers"]["access"]["stream"] == "ext://sys.stdout"
    assert config["loggers"]["gunicorn.access"]["level"] == "INFO"
    assert config["loggers"]["apscheduler"] == {"level": "WARNING"}


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _access_logger(accesslog: str | None) -> tuple[JsonAccessLogger, _Kept]:
    config = Config()
    config.set("accesslog", accesslog)
    logger = JsonAccessLogger(config)
    kept = _Kept()
    logger.access_log.addHandler(kept)
    return logger, kept


@pytest.mark.parametrize("status", ["201 CREATED", 201])
def test_the_access_line_is_structured(status: object) -> None:
    logger, kept = _access_logger("-")
    response = SimpleNamespace(status=status, headers=[("X-Request-Id", "r-9")], sent=12)
    environ = {"REMOTE_ADDR": "10.0.0.1", "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/records"}
    try:
        logger.access(response, None, environ, timedelta(milliseconds=12.5))
    finally:
        logger.access_log.removeHandler(kept)
    [record] = kept.records
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "access"
    assert {k: line[k] for k in ("remote", "method", "path", "query", "status", "bytes")} == {
        "remote": "10.0.0.1",
        "method": "POST",
        "path": "/api/v1/records",
        "query": None,
        "status": 201,
        "bytes": 12,
    }
    assert (line["duration_ms"], line["request_id"]) == (12.5, "r-9")


def test_no_access_line_without_an_access_log() -> None:
    logger, kept = _access_logger(None)
    response = SimpleNamespace(status=200, headers=[], sent=0)
    try:
        logger.access(response, None, {}, timedelta(milliseconds=1))
    finally:
        logger.access_log.removeHandler(kept)
    assert kept.records == []
