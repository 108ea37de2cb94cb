"""The leader lease: one holder at a time, renewed by it, taken over once it runs out."""

from __future__ import annotations

from datetime import timedelta

from creditbank.clock import utc_now
from creditbank.operations.lease import Holder, current_lease, release, try_acquire
from creditbank.wiring import Services


def test_one_holder_until_the_lease_runs_out(services: Services, engine_name: str) -> None:
    engine = services.engine
    first, second = Holder("host-a:1:x", "host-a", 1), Holder("host-b:2:y", "host-b", 2)
    t0 = utc_now()
    assert try_acquire(engine, first, 10, now=t0) == (True, True)
    assert try_acquire(engine, second, 10, now=t0) == (False, False)
    # The holder renews; the other still cannot take it before it expires.
    assert try_acquire(engine, first, 10, now=t0 + timedelta(seconds=5)) == (True, False)
    assert try_acquire(engine, second, 10, now=t0 + timedelta(seconds=14)) == (False, False)
    # The holder stops renewing (it died): after expiry the other takes over.
    assert try_acquire(engine, second, 10, now=t0 + timedelta(seconds=16)) == (True, True)
    lease = current_lease(engine)
    assert lease is not None and lease.holder == second.id and lease.pid == 2
    # The old holder cannot renew a lease it lost.
    assert try_acquire(engine, first, 10, now=t0 + timedelta(seconds=17)) == (False, False)


def test_release_hands_over_at_once(services: Services) -> None:
    first, second = Holder("a:1:x", "a", 1), Holder("b:2:y", "b", 2)
    assert try_acquire(services.engine, first, 60)[0]
    assert not try_acquire(services.engine, second, 60)[0]
    release(services.engine, first)
    assert try_acquire(services.engine, second, 60) == (True, True)
