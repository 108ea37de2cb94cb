"""``creditbank witness`` end to end: a real HTTP server, the command line, exit statuses."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.serving import BaseWSGIServer, make_server

from creditbank.cli import main
from creditbank.errors import BankError, ForkDetected
from creditbank.witness.independent.cli import FORK_EXIT_STATUS
from creditbank.witness.independent.run import RoundResult, run_forever
from tests.witness.independent.helpers import BankInstance, Banks


@pytest.fixture
def banks(tmp_path: Path) -> Iterator[Banks]:
    opened = Banks(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def serve() -> Iterator[Callable[[BankInstance], str]]:
    servers: list[BaseWSGIServer] = []

    def start(bank: BankInstance) -> str:
        server = make_server("127.0.0.1", 0, bank.app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_witness_over_http_cosigns_then_refuses_a_fork(
    tmp_path: Path, banks: Banks, serve: Callable[[BankInstance], str]
) -> None:
    runner = CliRunner()
    directory = str(tmp_path / "witness")
    created = runner.invoke(main, ["witness", "init", "--name", "w.example/w1", "--dir", directory])
    assert created.exit_code == 0, created.output
    vkey = created.output.strip()
    assert vkey.startswith("w.example/w1+")
    assert runner.invoke(main, ["witness", "key", "--dir", directory]).output.strip() == vkey
    again = runner.invoke(main, ["witness", "init", "--name", "w.example/w1", "--dir", directory])
    assert again.exit_code == 2 and "already exists" in again.output

    bank = banks.make("bank", [vkey])
    bank.grow(6)
    url = serve(bank)
    ran = runner.invoke(main, ["witness", "run", "--bank", url, "--dir", directory, "--once"])
    assert ran.exit_code == 0, ran.output
    assert "trusting log key" in ran.output and "cosigned test.creditbank.local/log size 6" in (
        ran.output
    )
    status = bank.client.get("/api/v1/log/witnesses").get_json()["witnesses"]
    assert status[0]["latest"]["size"] == 6

    forked = banks.make("forked", [vkey], same_key_as=bank)
    forked.grow(9, start=50)
    forked_url = serve(forked)
    refused = runner.invoke(main, ["witness", "run", "--bank", forked_url, "--dir", directory])
    assert refused.exit_code == FORK_EXIT_STATUS
    assert "FORK DETECTED (not-an-extension)" in refused.output
    assert "size 9," in refused.output and "size 6," in refused.output
    assert forked.client.get("/api/v1/log/checkpoint/cosigned").status_code == 404

    unreachable = runner.invoke(
        main, ["witness", "run", "--bank", "http://127.0.0.1:9", "--dir", directory]
    )
    assert unreachable.exit_code == 2 and "cannot reach the bank" in unreachable.output


def test_run_forever_retries_errors_and_stops_on_a_fork() -> None:
    reports: list[str] = []
    outcomes: list[object] = [
        BankError("down"),
        RoundResult("o", 3, bytes(32), 1),
        ForkDetected("smaller-tree", "shrank"),
    ]

    def round_() -> RoundResult:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, RoundResult)
        return outcome

    with pytest.raises(ForkDetected):
        run_forever(round_, 0.0, reports.append)
    assert reports == ["error (will retry): down", "cosigned o size 3"]
