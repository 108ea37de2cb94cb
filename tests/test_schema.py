"""The table registry loads on its own, first, as Alembic's env.py and the benchmarks load it."""

from __future__ import annotations

import subprocess
import sys


def test_table_registry_imports_before_the_application() -> None:
    code = "import creditbank.schema; import creditbank.app"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
