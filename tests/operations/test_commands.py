"""The administrative commands on a fresh instance."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner, Result

from creditbank.cli import main
from tests.conftest import ORIGIN
from tests.web.browser.audit import codes_in


def _runner(tmp_path: Path) -> CliRunner:
    return CliRunner(
        env={"CREDITBANK_INSTANCE": str(tmp_path / "instance"), "CREDITBANK_LOG_ORIGIN": ORIGIN}
    )


def _run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_keys_generate_then_refuses_a_second_keyring(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    created = _run(runner, "keys", "generate")
    assert created.exit_code == 0 and f"{ORIGIN}+" in created.output
    again = _run(runner, "keys", "generate")
    assert again.exit_code == 2 and "keys rotate" in again.output


def test_scheduler_db_institutions_and_clients(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    assert _run(runner, "init").exit_code == 0
    current = re.fullmatch(r"schema: (\w+) \(code: (\w+)\)\n", _run(runner, "db", "current").output)
    assert current is not None and current.group(1) == current.group(2)  # migrated to the head
    assert "->" in _run(runner, "db", "upgrade").output
    _run(runner, "demo", "load")

    jobs = _run(runner, "scheduler", "jobs").output
    assert "leader: none yet" in jobs and "checkpoint" in jobs and "never run" in jobs
    audited = _run(runner, "scheduler", "run-once", "audit")
    assert audited.exit_code == 0 and "audit: ok:" in audited.output
    assert "new entries" in audited.output
    unknown = runner.invoke(main, ["scheduler", "run-once", "nope"])
    assert unknown.exit_code == 2 and "no job 'nope'" in unknown.output
    listed = _run(runner, "scheduler", "runs").output
    assert "audit" in listed and " ok " in listed

    institutions = _run(runner, "institutions", "list").output.splitlines()
    assert len(institutions) == 9 and any(line.startswith("CQ-GZ-001") for line in institutions)
    # Kinds, levels and regions in words, not their codes (gaozhi_college, benke …).
    assert "higher vocational college" in "\n".join(institutions)
    assert codes_in("\n".join(institutions), "en") == []

    issued = _run(runner, "clients", "issue", "--label", "night shift").output.splitlines()
    key_id = issued[0].split()[1]
    assert key_id in _run(runner, "clients", "list").output
    revoked = _run(runner, "clients", "revoke", key_id)
    assert revoked.exit_code == 0 and f"revoked {key_id}" in revoked.output
    assert "revoked 20" in _run(runner, "clients", "list").output
    missing = runner.invoke(main, ["clients", "revoke", "0000000000000000"])
    assert missing.exit_code == 2 and "no API client" in missing.output

    long = _run(runner, "keys", "list", "--long").output
    assert " active " in long and f"{ORIGIN}+" in long
