"""The load test's processor accounting: a child's busy loop shows in its group, not others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.load import cpu

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

# Spends 0.4 s of processor time (however busy the machine), says so, then idles until killed.
_SPIN = (
    "import sys, time\n"
    "while time.process_time() < 0.4: pass\n"
    "print('spent', flush=True)\n"
    "time.sleep(60)"
)


def test_a_busy_service_process_is_counted_as_the_service() -> None:
    busy = subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True)
    try:
        before = cpu.sample([busy.pid])
        assert busy.stdout is not None
        assert busy.stdout.readline() == "spent\n"  # this process waits without spinning
        after = cpu.sample([busy.pid])
    finally:
        busy.kill()
        busy.communicate()  # reaps it and closes its pipe
    used = cpu.spent(before, after)
    assert used is not None
    # /proc counts in ticks of 10 ms; the child also spent its start-up before ``before``.
    assert 0.3 < used["service"] < 0.7
    assert used["clients"] < 0.2
    assert cpu.spent(None, after) is None


def test_spent_counts_each_group_and_new_processes_from_nothing() -> None:
    earlier = cpu.CpuSample(1.0, {1: 2.0}, {7: 1.0})
    later = cpu.CpuSample(1.5, {1: 2.5, 2: 0.25}, {7: 3.0, 8: 0.5})
    assert cpu.spent(earlier, later) == {"clients": 0.5, "service": 0.75, "postgres": 2.5}
