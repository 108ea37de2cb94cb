"""One builder process for scripts/bench/scale.py: open accounts and post their outcomes.

python -m scripts.bench.scale_builder PLAN_FILE NUMBER

The plan (JSON, written by scale.py) names the database, the instance folder, the posting
institutions with their signing keys, how many learners and outcomes the bank gets and how
many builders share them. Builder ``NUMBER`` takes every ``processes``-th slice of 1,000
learners: it opens their accounts (``open_accounts``) and posts their outcomes in signed
batches of 1,000 (``post_batch``), the service's own batched path. Builders run at once, as
institutions would: their batches meet at the sequencer like any concurrent postings.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.clock import utc_now
from creditbank.config import Settings
from creditbank.learners.service import open_accounts
from creditbank.records.service import post_batch
from creditbank.wiring import open_services
from scripts.bench.scale import BATCH, OUTCOMES_PER_LEARNER, Poster, course, people


def build_slices(plan: dict[str, Any], number: int) -> None:
    """Open and fill this builder's slices of learners."""
    settings = Settings(
        instance_path=Path(plan["instance"]),
        database_url=plan["url"],
        checkpoint_interval_seconds=5.0,
    )
    services = open_services(settings)
    # Idempotency keys count batches per poster: each builder counts in a range of its own.
    posters = [
        Poster(p["code"], _key(p["key"]), p["key_id"], batches=number * 1_000_000_000)
        for p in plan["posters"]
    ]
    learners, outcomes, processes = plan["learners"], plan["outcomes"], plan["processes"]
    per_batch = BATCH // OUTCOMES_PER_LEARNER
    started, posted = time.perf_counter(), 0
    for slice_number, first in enumerate(range(0, learners, BATCH)):
        if slice_number % processes != number:
            continue
        home = posters[slice_number % len(posters)]
        accounts = open_accounts(
            services.ledger,
            services.sealer,
            people(first, min(BATCH, learners - first)),
            opened_by=home.code,
            actor=f"institution:{home.code}",
            now=utc_now(),
        )
        ids = [account.learner_id for account in accounts]
        for batch_number, offset in enumerate(range(0, len(ids), per_batch)):
            poster = posters[(slice_number + batch_number) % len(posters)]
            items = [
                course(learner, poster.code, k)
                for position, learner in enumerate(ids[offset : offset + per_batch])
                for k in range(OUTCOMES_PER_LEARNER)
                if (first + offset + position) * OUTCOMES_PER_LEARNER + k < outcomes
            ]
            if items:
                post_batch(services.ledger, poster.batch(items), now=utc_now())
                posted += len(items)
        if slice_number % (20 * processes) == number:
            took = time.perf_counter() - started
            print(f"  builder {number}: {posted} outcomes, {took:.0f}s", file=sys.stderr)
    services.close()


def _key(hex_text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(hex_text))


def main() -> None:
    """Build this process's share of the plan in the first argument."""
    plan = json.loads(Path(sys.argv[1]).read_text())
    build_slices(plan, int(sys.argv[2]))


if __name__ == "__main__":
    main()
