"""A live server on a free port and headless Chromium (Debian's, driven by Playwright).

The server is a real gunicorn process over a fresh instance with the demonstration data, so
the pages are exercised as users get them: cookies, CSRF tokens, headers, downloads. Tests
skip, saying why, when /usr/bin/chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from creditbank.demo import DEMO_KEYS

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
BIN = Path(sys.executable).parent

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None


@dataclass
class LiveServer:
    """The running server: its base URL, and API calls for setting up and checking."""

    url: str
    instance: Path

    def api(
        self,
        method: str,
        path: str,
        who: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Call the JSON API as a demo key holder (``who`` is a DEMO_KEYS label)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if who is not None:
            request.add_header("Authorization", f"Bearer {DEMO_KEYS[who][2]}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=10):
                return
        except OSError:  # refused, reset or timed out: not up yet
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within 60 s")


def require_browser() -> None:
    """Skip, saying why, where there is no browser to drive."""
    if sync_playwright is None:
        pytest.skip("Playwright for Python is not installed (the dev extra brings it)")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: scripts/test installs Debian's chromium when root")


def instance_env(instance: Path) -> dict[str, str]:
    """The environment of the commands and the server of ``instance``."""
    env = {
        **os.environ,
        "CREDITBANK_INSTANCE": str(instance),
        "CREDITBANK_CHECKPOINT_INTERVAL": "0",
    }
    env.pop("CREDITBANK_DATABASE_URL", None)
    return env


def creditbank(instance: Path, *command: str) -> None:
    """Run a ``creditbank`` command on ``instance``."""
    subprocess.run(
        [BIN / "creditbank", *command], env=instance_env(instance), check=True, capture_output=True
    )


@contextmanager
def serve(instance: Path) -> Iterator[LiveServer]:
    """gunicorn serving ``instance`` (already initialised) on a free port."""
    port = _free_port()
    log = (instance.parent / "server.log").open("wb")
    process = subprocess.Popen(
        [
            BIN / "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "creditbank:create_app()",
        ],
        env=instance_env(instance),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", instance)
    try:
        _wait(server.url, process)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """gunicorn serving a fresh demonstration instance."""
    require_browser()
    instance = tmp_path_factory.mktemp("web-live") / "instance"
    for command in (["init"], ["demo", "load"]):
        creditbank(instance, *command)
    with serve(instance) as server:
        for policy in ("cq-3plus2-industrial-robotics",):
            server.api("POST", f"/api/v1/policies/{policy}/publish", "operator")
        yield server


@pytest.fixture(scope="session")
def browser(live_server: LiveServer) -> Iterator[Browser]:
    """Headless Debian Chromium."""
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies) in Chinese, phone-sized when the test asks."""
    phone = request.node.get_closest_marker("phone") is not None
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
        accept_downloads=True,
    )
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
