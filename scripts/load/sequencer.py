"""The sequencer's histograms, read from the service's ``/metrics`` after a load run."""

from __future__ import annotations

import http.client
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

_PREFIX = "creditbank_sequencer_"


@dataclass(frozen=True)
class SequencerFigures:
    """Sums and counts of the sequencer's histograms, over every writer and worker."""

    hold_seconds: float
    hold_count: int
    wait_seconds: float
    group_requests: float
    group_entries: float
    groups: int

    def as_dict(self, batches: int, seconds: float) -> dict[str, float]:
        """The figures a report quotes: per batch, per transaction, busy share."""
        return {
            "lock_hold_ms_per_batch": 1000 * self.hold_seconds / max(batches, 1),
            "lock_hold_ms_per_transaction": 1000 * self.hold_seconds / max(self.hold_count, 1),
            "lock_wait_ms_per_transaction": 1000 * self.wait_seconds / max(self.hold_count, 1),
            "lock_busy_share": self.hold_seconds / seconds if seconds else 0.0,
            "requests_per_group": self.group_requests / max(self.groups, 1),
            "entries_per_group": self.group_entries / max(self.groups, 1),
        }


def scrape(port: int) -> SequencerFigures | None:
    """Read ``/metrics`` once; ``None`` when the service does not expose the histograms."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        text = response.read().decode("utf-8")
    finally:
        connection.close()
    if response.status != 200:
        return None
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith(_PREFIX):
            continue
        for sample in family.samples:
            if sample.name.endswith(("_sum", "_count")):
                sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
    if not sums:
        return None
    return SequencerFigures(
        hold_seconds=sums.get(f"{_PREFIX}lock_hold_seconds_sum", 0.0),
        hold_count=int(sums.get(f"{_PREFIX}lock_hold_seconds_count", 0)),
        wait_seconds=sums.get(f"{_PREFIX}lock_wait_seconds_sum", 0.0),
        group_requests=sums.get(f"{_PREFIX}group_requests_sum", 0.0),
        group_entries=sums.get(f"{_PREFIX}group_entries_sum", 0.0),
        groups=int(sums.get(f"{_PREFIX}group_requests_count", 0)),
    )
