"""Issue and verify transcripts of 10, 60 and 200 records; verification next to bare Ed25519.

For each size it populates a fresh SQLite instance, then measures in the same run:
- issuing (``issue_transcript``: reads, proofs, signing, the stored row and its log entry);
- verifying with offline trust (every check: outer and nested signatures, openings,
  inclusion proofs, the checkpoint's signature, consistency, dates and the signed status list);
- the floor: bare Ed25519 verification of as many signatures as that verification checks
  (one per record, the outer proof, the status list and the checkpoint).
Medians of ``--repeats`` runs are printed, with the ratio verification / floor.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.clock import utc_now
from creditbank.transcripts.issuer import trust_list
from creditbank.transcripts.issuing import issue_transcript
from creditbank.transcripts.offline import trust_from_files
from creditbank.transcripts.online import verify_online
from creditbank.transcripts.status_lists import status_list_document
from creditbank.transcripts.trust_list import read_trust_list
from creditbank.transcripts.verify import verify_transcript
from creditbank.wiring import initialise
from tests.conftest import make_settings
from tests.transcripts.helpers import populate


def _median_time(run: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(records: int, repeats: int, issues: int) -> dict[str, float]:
    """Measure one transcript size."""
    with tempfile.TemporaryDirectory() as folder:
        opened = initialise(make_settings(Path(folder) / "instance"))
        bank = populate(opened, courses=records - 3)
        assert len(bank.li_records) == records

        def issue() -> object:
            return issue_transcript(
                opened.ledger,
                opened.sealer,
                opened.issuer_identity(),
                bank.li,
                witness_keys=opened.settings.witness_keys,
                record_ids=None,
                language="zh",
                validity_days=90,
                now=utc_now(),
            )

        issue()  # warm-up, and the transcript we verify
        issue_time = _median_time(lambda: [issue() for _ in range(issues)], repeats) / issues
        credential = issue().credential  # type: ignore[attr-defined]
        now = utc_now()
        status_url = credential["credentialStatus"]["statusListCredential"]
        list_id = int(status_url.rsplit("/", 1)[1])
        trust = trust_from_files(
            read_trust_list(
                trust_list(opened.issuer_identity(), opened.ledger.keyring.verifiers())
            ),
            now=now,
            latest_checkpoint=credential["credentialSubject"]["verifiableCredential"][0][
                "evidence"
            ][0]["checkpoint"],
            status_lists={status_url: status_list_document(opened.engine, list_id)},
        )
        report = verify_transcript(credential, trust)
        assert report.valid, report.to_json()
        verify_time = _median_time(lambda: verify_transcript(credential, trust), repeats)
        online_time = _median_time(
            lambda: verify_online(
                opened.ledger,
                opened.issuer_identity(),
                credential,
                witness_keys=opened.settings.witness_keys,
                now=now,
            ),
            repeats,
        )
        opened.close()
    signatures = records + 3
    key = Ed25519PrivateKey.generate()
    messages = [bytes([i % 256]) * 64 for i in range(signatures)]
    signed = [(key.sign(m), m) for m in messages]
    public = key.public_key()

    def floor() -> None:
        for signature, message in signed:
            public.verify(signature, message)

    floor_time = _median_time(floor, repeats * 3)
    return {
        "records": records,
        "issue_per_s": 1 / issue_time,
        "verify_ms": verify_time * 1000,
        "online_verify_ms": online_time * 1000,
        "floor_ms": floor_time * 1000,
        "ratio": verify_time / floor_time,
    }


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,60,200")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--issues", type=int, default=3, help="transcripts issued per timing")
    args = parser.parse_args()
    print("records  issued/s  verified/s  verify ms  online ms  Ed25519 floor ms  verify/floor")
    for size in (int(s) for s in args.sizes.split(",")):
        row = bench(size, args.repeats, args.issues)
        print(
            f"{row['records']:>7}  {row['issue_per_s']:>8.1f}  {1000 / row['verify_ms']:>10.1f}"
            f"  {row['verify_ms']:>9.2f}  {row['online_verify_ms']:>9.2f}"
            f"  {row['floor_ms']:>16.3f}  {row['ratio']:>11.2f}x"
        )


if __name__ == "__main__":
    main()
