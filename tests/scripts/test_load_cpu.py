"""The load test's processor accounting: a child's busy loop shows in its group, not others."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.load import cpu

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

# Spends 0.4 s of processor time (however busy the machine), then idles until killed.
_SPIN = "import time\nwhile time.process_time() < 0.4: pass\ntime.sleep(60)"


def test_a_busy_service_process_is_counted_as_the_service() -> None:
    busy = subprocess.Popen([sys.executable, "-c", _SPIN])
    try:
        before = cpu.sample([busy.pid])
        assert before is not None
        deadline = time.monotonic() + 30
        after = before
        # /proc counts in ticks of 10 ms, so the last tick may not show yet.
        while after.service.get(busy.pid, 0.0) < 0.35 and time.monotonic() < deadline:
            time.sleep(0.1)
            found = cpu.sample([busy.pid])
            assert found is not None
            after = found
    finally:
        busy.kill()
        busy.wait()
    used = cpu.spent(before, after)
    assert used is not None
    assert 0.3 < used["service"] < 0.7
    assert used["clients"] < 0.3  # this process mostly slept
    assert cpu.spent(None, after) is None


def test_spent_counts_each_group_and_new_processes_from_nothing() -> None:
    earlier = cpu.CpuSample(1.0, {1: 2.0}, {7: 1.0})
    later = cpu.CpuSample(1.5, {1: 2.5, 2: 0.25}, {7: 3.0, 8: 0.5})
    assert cpu.spent(earlier, later) == {"clients": 0.5, "service": 0.75, "postgres": 2.5}
