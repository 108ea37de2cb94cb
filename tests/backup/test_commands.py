"""``creditbank backup export`` and ``restore`` end to end on instance folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from creditbank.cli import main
from tests.conftest import ORIGIN


def _invoke(instance: Path, *args: str) -> Result:
    runner = CliRunner(env={"CREDITBANK_INSTANCE": str(instance), "CREDITBANK_LOG_ORIGIN": ORIGIN})
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_export_then_restore_into_a_new_instance(tmp_path: Path) -> None:
    source, copy, backup = tmp_path / "source", tmp_path / "copy", tmp_path / "backup"
    assert _invoke(source, "init").exit_code == 0
    assert _invoke(source, "demo", "load").exit_code == 0
    exported = _invoke(source, "backup", "export", str(backup))
    assert exported.exit_code == 0, exported.output
    assert "back up the instance's keys/ folder separately" in exported.output
    root = exported.output.split("root ")[1].split()[0]

    refused = _invoke(copy, "backup", "restore", str(backup))
    assert refused.exit_code == 2
    assert "copy the instance's keys/ folder from the key backup first" in refused.output

    copy.mkdir()
    shutil.copytree(source / "keys", copy / "keys")
    restored = _invoke(copy, "backup", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert f"root {root}" in restored.output
    verified = _invoke(copy, "ledger", "verify")
    assert verified.exit_code == 0 and f"root {root}" in verified.output

    again = _invoke(copy, "backup", "restore", str(backup))
    assert again.exit_code == 2 and "restore only into an empty database" in again.output
