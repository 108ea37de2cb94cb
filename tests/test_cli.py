"""The ``creditbank`` command end to end on a fresh instance folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from creditbank.cli import main
from tests.conftest import ORIGIN

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(tmp_path: Path) -> Invoke:
    runner = CliRunner(
        env={"CREDITBANK_INSTANCE": str(tmp_path / "instance"), "CREDITBANK_LOG_ORIGIN": ORIGIN}
    )

    def run(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


def test_init_demo_verify_rotate(invoke: Invoke, tmp_path: Path) -> None:
    first = invoke("init")
    assert first.exit_code == 0, first.output
    assert f"log origin: {ORIGIN}, size 0" in first.output
    assert invoke("init").exit_code == 0  # a second init keeps the keys and the data
    loaded = invoke("demo", "load").output
    assert "loaded 9 institutions, 6 learners and 57 records" in loaded
    assert "nothing loaded" in invoke("demo", "load").output
    verified = invoke("ledger", "verify")
    assert verified.exit_code == 0
    entries = int(verified.output.split("ok: ")[1].split()[0])

    rotated = invoke("keys", "rotate")
    assert rotated.exit_code == 0 and rotated.output.startswith(f"new key {ORIGIN}+")
    keys = invoke("keys", "list").output.splitlines()
    assert len(keys) == 2 and rotated.output.split()[-1] == keys[0]
    # The rotation is itself a log entry, and the log still verifies with both keys.
    assert f"ok: {entries + 1} entries" in invoke("ledger", "verify").output
    checkpoint = invoke("ledger", "checkpoint", "--force").output
    assert checkpoint.startswith(f"{ORIGIN}\n{entries + 1}\n") and checkpoint.count("\n— ") == 2


def test_verify_names_tampering_and_fails(invoke: Invoke, tmp_path: Path) -> None:
    invoke("init")
    invoke("demo", "load")
    engine = create_engine(f"sqlite:///{tmp_path / 'instance' / 'creditbank.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER ledger_entry_no_update"))
        # Entry 2 is an institution registered at the console: name another actor.
        changed = connection.execute(
            text("UPDATE ledger_entry SET data = replace(data, 'console', 'evilxxx') WHERE idx = 2")
        )
        assert changed.rowcount == 1
    engine.dispose()
    result = invoke("ledger", "verify")
    assert result.exit_code == 2
    assert result.output.startswith("error: index 2: envelope")


def test_verify_reads_files_with_the_strict_reader(invoke: Invoke, tmp_path: Path) -> None:
    # The trust list is the first file read; every file the command reads goes the same way.
    transcript, keys = tmp_path / "t.json", tmp_path / "trust.json"
    transcript.write_text("{}", encoding="utf-8")
    for document, words in (
        ('{"id": "did:web:a", "id": "did:web:b"}', "duplicate key 'id' at $.id"),
        ("[" * 1000 + "]" * 1000, "more than 64 levels"),
        ('{"n": ' + "9" * 5000 + "}", "outside -2^63..2^63-1"),
    ):
        keys.write_text(document, encoding="utf-8")
        result = invoke("verify", str(transcript), "--trust", str(keys))
        assert result.exit_code == 2
        assert words in result.output and "Traceback" not in result.output


def test_institution_keys_at_the_console_follow_the_operator_rules(invoke: Invoke) -> None:
    invoke("init")
    added = invoke(
        "institutions",
        "add",
        "CQ-ZZ-001",
        "--name-zh",
        "重庆市渝北职业教育中心",
        "--name-en",
        "Yubei",
        "--kind",
        "zhongzhi_school",
        "--level",
        "zhongzhi",
        "--region",
        "重庆",
    )
    assert added.output.startswith("registered CQ-ZZ-001 at ledger index 0")
    first = invoke("clients", "issue", "--institution", "CQ-ZZ-001", "--label", "first admin")
    assert "(admin of CQ-ZZ-001, bootstrap, ledger index 1)" in first.output
    assert "good only for issuing the institution's own admin key" in first.output
    refused = invoke("clients", "issue", "--institution", "CQ-ZZ-001", "--label", "second")
    assert refused.exit_code == 2 and "unused bootstrap key" in refused.output
    poster = invoke(
        "clients", "issue", "--institution", "CQ-ZZ-001", "--role", "poster", "--label", "p"
    )
    assert "(poster of CQ-ZZ-001, pending, ledger index 2)" in poster.output
    listed = invoke("clients", "list", "--institution", "CQ-ZZ-001").output.splitlines()
    assert len(listed) == 2
    assert all("issued by operator:console" in line for line in listed)
    # Roles and states in words, not codes.
    assert "institution admin" in listed[0] and "bootstrap (exchange only)" in listed[0]
    assert "poster" in listed[1] and "pending acceptance" in listed[1]
    key_id = poster.output.split()[1]
    assert invoke("clients", "revoke", key_id, "--institution", "CQ-ZZ-001").exit_code == 0
    verified = invoke("ledger", "verify")
    assert "ok: 4 entries" in verified.output  # registered, two issued, one revoked


def test_verify_compares_the_record_tables_with_the_log(invoke: Invoke, tmp_path: Path) -> None:
    invoke("init")
    invoke("demo", "load")
    engine = create_engine(f"sqlite:///{tmp_path / 'instance' / 'creditbank.sqlite3'}")
    with engine.begin() as connection:
        # The contents are sealed under each learner's key: swap two rows' sealed contents.
        first, second = connection.execute(
            text("SELECT ledger_index, content FROM record_version ORDER BY ledger_index LIMIT 2")
        ).all()
        index = first.ledger_index
        for row, other in ((first, second), (second, first)):
            connection.execute(
                text("UPDATE record_version SET content = :c WHERE ledger_index = :i"),
                {"c": other.content, "i": row.ledger_index},
            )
    engine.dispose()
    result = invoke("ledger", "verify")
    assert result.exit_code == 2
    assert f"\nerror: index {index}: record content: record " in result.output
