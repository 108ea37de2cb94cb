"""gunicorn settings come from the environment, with production defaults."""

from __future__ import annotations

import importlib
import multiprocessing
import sys
from pathlib import Path
from types import ModuleType

import pytest

MODULE = "creditbank.deploy.gunicorn_conf"
VARIABLES = (
    "CREDITBANK_BIND",
    "CREDITBANK_PORT",
    "WEB_CONCURRENCY",
    "CREDITBANK_THREADS",
    "CREDITBANK_PRELOAD",
    "CREDITBANK_MAX_REQUESTS",
    "CREDITBANK_LOG_LEVEL",
)


def _load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> ModuleType:
    """Import the configuration afresh under ``env``; its own os.environ writes are undone."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CREDITBANK_RATE_LIMIT", raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    return importlib.import_module(MODULE)


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = _load(monkeypatch, tmp_path)
    assert conf.bind == "127.0.0.1:8000"
    assert conf.workers == multiprocessing.cpu_count() * 2 + 1
    assert (conf.worker_class, conf.threads, conf.preload_app) == ("gthread", 4, False)
    assert (conf.max_requests, conf.max_requests_jitter) == (10000, 1000)
    assert conf.logconfig_dict["root"]["level"] == "INFO"
    assert conf.os.environ["CREDITBANK_RATE_LIMIT"] == "50"
    assert (tmp_path / "metrics").is_dir()


def test_the_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = _load(
        monkeypatch,
        tmp_path,
        CREDITBANK_PORT="9000",
        WEB_CONCURRENCY="3",
        CREDITBANK_PRELOAD="yes",
        CREDITBANK_MAX_REQUESTS="200",
        CREDITBANK_LOG_LEVEL="debug",
    )
    assert (conf.bind, conf.workers, conf.preload_app) == ("127.0.0.1:9000", 3, True)
    assert conf.max_requests_jitter == 20
    assert conf.logconfig_dict["root"]["level"] == "DEBUG"
    assert _load(monkeypatch, tmp_path, CREDITBANK_BIND="0.0.0.0:80").bind == "0.0.0.0:80"


def test_a_start_empties_the_metrics_folder_of_its_own_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    conf = _load(monkeypatch, tmp_path)
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"")
    (tmp_path / "metrics" / "notes.txt").write_text("kept")
    conf.on_starting(None)
    assert [p.name for p in (tmp_path / "metrics").iterdir()] == ["notes.txt"]
