"""One cohort worker process for scripts/bench/scale.py: run queued chunks until none is free.

python -m scripts.bench.scale_worker DATABASE_URL INSTANCE_FOLDER READY_FOLDER NAME
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from creditbank.cohorts.service import run_pending
from creditbank.config import DEFAULT_POLICIES, Settings
from creditbank.rules.loader import load_policies
from creditbank.storage.database import create_db_engine
from creditbank.wiring import install_data_keys


def main() -> None:
    """Evaluate chunks on the database of the first argument until none is free."""
    url, instance, ready, name = sys.argv[1:5]
    engine = create_db_engine(url)
    # Results are sealed under each learner's key, as the service writes them.
    install_data_keys(engine, Settings(Path(instance), url))
    policies = load_policies(DEFAULT_POLICIES)
    engine.connect().close()
    Path(ready, name).touch()
    while not Path(ready, "go").exists():
        time.sleep(0.005)
    run_pending(engine, policies)
    engine.dispose()


if __name__ == "__main__":
    main()
