"""A cohort worker in a process of its own, for the tests of chunks spread over processes.

    python -m tests.cohorts.chunk_worker URL WORKER MODE READY_DIR PEERS

It announces itself by creating ``READY_DIR/WORKER`` and waits until ``PEERS`` workers have,
so the processes start claiming together. MODE ``run`` evaluates chunks until none is free,
pausing a little after each claim so the processes interleave; ``hang`` claims one chunk and
then waits to be killed, like a process that dies mid-chunk.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from creditbank.clock import utc_now
from creditbank.cohorts.service import claim_chunk, run_pending
from creditbank.config import DEFAULT_POLICIES
from creditbank.rules.loader import load_policies
from creditbank.storage.database import create_db_engine


def main() -> None:
    url, worker, mode, ready, peers = sys.argv[1:6]
    engine = create_db_engine(url)
    policies = load_policies(DEFAULT_POLICIES)
    Path(ready, worker).touch()
    while len(list(Path(ready).iterdir())) < int(peers):
        time.sleep(0.01)
    if mode == "hang":
        claimed = claim_chunk(engine, worker, now=utc_now())
        print(claimed.number if claimed else "none", flush=True)
        time.sleep(600)
        return

    def paced() -> datetime:
        time.sleep(0.02)  # each claim takes a moment, so both processes get chunks
        return utc_now()

    ran = run_pending(engine, policies, worker=worker, now=paced)
    print(ran, flush=True)


if __name__ == "__main__":
    main()
