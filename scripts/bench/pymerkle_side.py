"""The pymerkle 7 half of ``scripts/bench_ledger``, run with the ``.venv-bench-pymerkle`` python.

It needs only the standard library and pymerkle (creditbank is not installed in that venv).
It reads a JSON job from a file, and writes JSON results to stdout:

* ``check``: leaf data (hex) plus the roots and proofs creditbank computed over it; this side
  answers with pymerkle's roots and proofs over the same data, for the caller to compare.
* timing: for each of ``sizes`` (ascending), grow an ``InmemoryTree`` and a ``SqliteTree``
  (file in ``tmpdir``) in batches of ``batch`` entries of envelope-sized synthetic data, then
  time ``prove_inclusion`` / ``prove_consistency`` and their verification on ``samples`` random
  indices / prior sizes drawn with ``seed``.

pymerkle indexes leaves from 1; everything crossing this module's boundary counts from 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pymerkle  # type: ignore[import-not-found]

# SHA-256 with the RFC 6962 / 9162 domain-separation prefixes (0x00 leaf, 0x01 node). These are
# pymerkle 7's defaults; they are spelled out so that a change of default cannot go unnoticed.
TREE_OPTIONS: dict[str, Any] = {"algorithm": "sha256", "disable_security": False}
WARMUP = 5


def _log(message: str) -> None:
    print(f"  [pymerkle] {message}", file=sys.stderr, flush=True)


def synthetic_entry(index: int) -> bytes:
    """Return envelope-shaped leaf data (about 260 bytes, like creditbank's entries)."""
    digest = hashlib.sha256(index.to_bytes(8, "big")).hexdigest()
    prev = hashlib.sha256(digest.encode()).hexdigest()
    return (
        f'{{"actor":"institution:CQ-GZ-001","commitment":"{digest}","index":{index},'
        f'"kind":"record.posted","prev":"{prev}","time":"2026-01-10T08:00:00.000Z","v":1}}'
    ).encode()


def _batches(start: int, end: int, batch: int) -> Iterator[list[bytes]]:
    for first in range(start, end, batch):
        yield [synthetic_entry(i) for i in range(first, min(first + batch, end))]


def _median_ms(values: list[float]) -> float:
    return 1000 * statistics.median(values)


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def check(job: dict[str, Any]) -> dict[str, Any]:
    """Return pymerkle's roots and proofs over the caller's leaf data.

    Also count how many of pymerkle's proofs verify against the caller's roots.
    """
    leaves = [bytes.fromhex(item) for item in job["leaves"]]
    their_roots = {int(size): bytes.fromhex(root) for size, root in job["roots"].items()}
    tree = pymerkle.InmemoryTree(**TREE_OPTIONS)
    tree.append_entries(leaves)
    roots = {str(size): tree.get_root(size).hex() for size in job["root_sizes"]}
    inclusion = []
    inclusion_verified = 0
    for index, size in job["inclusion"]:
        proof = tree.prove_inclusion(index + 1, size)
        # path[0] is the leaf's own hash; the rest is the RFC 9162 audit path, leaf upwards.
        inclusion.append([digest.hex() for digest in proof.path])
        inclusion_verified += _verifies(proof, tree.hash_buff(leaves[index]), their_roots[size])
    consistency = []
    consistency_verified = 0
    for first, second in job["consistency"]:
        proof = tree.prove_consistency(first, second)
        consistency.append([digest.hex() for digest in proof.path])
        consistency_verified += _verifies(proof, their_roots[first], their_roots[second])
    return {
        "version": pymerkle.__version__,
        "security": tree.security,
        "algorithm": tree.algorithm,
        "roots": roots,
        "inclusion": inclusion,
        "inclusion_verified": inclusion_verified,
        "consistency": consistency,
        "consistency_verified": consistency_verified,
    }


def _verifies(proof: Any, *against: bytes) -> bool:
    try:
        proof.verify(*against)
    except pymerkle.InvalidProof:
        return False
    return True


def _measure(tree: Any, size: int, samples: int, rng: random.Random) -> dict[str, float]:
    """Time proving and verifying at tree ``size`` (which is the tree's current size)."""
    root = tree.get_root(size)
    indices = rng.sample(range(size), min(samples, size))
    firsts = rng.sample(range(1, size), min(samples, size - 1)) if size > 1 else []
    for index in indices[:WARMUP]:
        tree.prove_inclusion(index + 1, size)
    prove: list[float] = []
    verify: list[float] = []
    for index in indices:
        seconds, proof = _timed(partial(tree.prove_inclusion, index + 1, size))
        prove.append(seconds)
        leaf = tree.get_leaf(index + 1)
        seconds, _ = _timed(partial(proof.verify, leaf, root))
        verify.append(seconds)
    figures = {
        "inclusion_ms": _median_ms(prove),
        "inclusion_verify_ms": _median_ms(verify),
    }
    prove, verify = [], []
    for first in firsts:
        prior = tree.get_root(first)
        seconds, proof = _timed(partial(tree.prove_consistency, first, size))
        prove.append(seconds)
        seconds, _ = _timed(partial(proof.verify, prior, root))
        verify.append(seconds)
    if prove:
        figures["consistency_ms"] = _median_ms(prove)
        figures["consistency_verify_ms"] = _median_ms(verify)
    return figures


def timing(job: dict[str, Any]) -> dict[str, Any]:
    """Grow both pymerkle trees through ``sizes`` and time building and proving at each."""
    sizes: list[int] = sorted(job["sizes"])
    batch: int = job["batch"]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cb-bench-pymerkle-", dir=job.get("tmpdir")) as tmp:
        backends: dict[str, Callable[[], Any]] = {
            "inmemory": lambda: pymerkle.InmemoryTree(**TREE_OPTIONS),
            "sqlite": lambda: pymerkle.SqliteTree(str(Path(tmp) / "tree.db"), **TREE_OPTIONS),
        }
        for name, make in backends.items():
            rng = random.Random(job["seed"])
            tree = make()
            rows = []
            size = 0
            build_seconds = 0.0
            for target in sizes:
                grown = target - size
                build = 0.0
                for entries in _batches(size, target, batch):
                    seconds, _ = _timed(partial(tree.append_entries, entries))
                    build += seconds
                size = target
                build_seconds += build
                _log(f"{name}: size {size:,} built ({grown / build:,.0f} entries/s)")
                row = {"size": size, "build_entries_per_s": grown / build}
                row.update(_measure(tree, size, job["samples"], rng))
                rows.append(row)
            if name == "sqlite":
                tree.close()
            results[name] = {"rows": rows, "build_seconds": build_seconds}
    return results


def main() -> None:
    """Read the job file named on the command line; print the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("job", type=Path, help="JSON job written by scripts/bench/ledger.py")
    args = parser.parse_args()
    job = json.loads(args.job.read_text())
    out: dict[str, Any] = {"version": pymerkle.__version__}
    if job.get("check"):
        out["check"] = check(job["check"])
    if job.get("sizes"):
        out["timing"] = timing(job)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
