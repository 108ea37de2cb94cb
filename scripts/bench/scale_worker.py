"""One cohort worker process for scripts/bench/scale.py: run queued chunks until none is free.

python -m scripts.bench.scale_worker DATABASE_URL
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from creditbank.cohorts.service import run_pending
from creditbank.config import DEFAULT_POLICIES
from creditbank.rules.loader import load_policies
from creditbank.storage.database import create_db_engine


def main() -> None:
    """Evaluate chunks on the database of the first argument until none is free."""
    url, ready, name = sys.argv[1:4]
    engine = create_db_engine(url)
    policies = load_policies(DEFAULT_POLICIES)
    engine.connect().close()
    Path(ready, name).touch()
    while not Path(ready, "go").exists():
        time.sleep(0.005)
    run_pending(engine, policies)
    engine.dispose()


if __name__ == "__main__":
    main()
