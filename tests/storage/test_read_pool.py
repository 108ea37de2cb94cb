"""The read pool's bookkeeping, with positions given by hand (no server needed).

tests/storage/test_replicas.py shows the same on a real streaming replica.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine

from creditbank.storage import replicas
from creditbank.storage.replicas import ReadPool


class World:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 0.0
        self.primary_at = 100
        self.replayed: dict[int, int | None] = {}
        monkeypatch.setattr(ReadPool, "primary_position", lambda _pool: self.primary_at)
        monkeypatch.setattr(
            replicas,
            "_replayed",
            lambda engine: (
                (self.replayed[id(engine)], None)
                if self.replayed[id(engine)] is not None
                else (None, "unreachable: OperationalError")
            ),
        )

    def clock(self) -> float:
        return self.now


@pytest.fixture
def engines() -> list[Engine]:
    return [create_engine("sqlite://") for _ in range(3)]


def test_lag_is_the_age_of_the_oldest_position_not_replayed(
    monkeypatch: pytest.MonkeyPatch, engines: list[Engine]
) -> None:
    world = World(monkeypatch)
    primary, first, second = engines
    world.replayed = {id(first): 100, id(second): 100}
    pool = ReadPool(primary, [first, second], max_lag_seconds=5, clock=world.clock)
    pool.check()
    assert [s.lag_seconds for s in pool.status()] == [0.0, 0.0]
    # Both replicas in use, in turn.
    assert {pool.choose(), pool.choose()} == {first, second}

    world.primary_at, world.now = 200, 1.0  # the primary writes; the first replica stalls
    world.replayed[id(second)] = 200
    pool.check()
    world.now = 4.0
    world.primary_at = 300
    world.replayed[id(second)] = 300
    pool.check()
    assert [s.lag_seconds for s in pool.status()] == [3.0, 0.0]
    assert all(s.in_use for s in pool.status())
    world.now = 6.5
    pool.check()
    stalled, fine = pool.status()
    assert (stalled.in_use, stalled.lag_seconds, fine.in_use) == (False, 5.5, True)
    assert {pool.choose() for _ in range(4)} == {second}

    # Read-your-write: only a replica that replayed the visitor's write, else the primary.
    assert pool.choose(after=300) is second
    assert pool.choose(after=301) is primary

    world.replayed[id(first)] = 300  # caught up
    world.now = 7.0
    pool.check()
    assert [s.in_use for s in pool.status()] == [True, True]


def test_an_unreachable_replica_is_left_out_at_once(
    monkeypatch: pytest.MonkeyPatch, engines: list[Engine]
) -> None:
    world = World(monkeypatch)
    primary, replica, _ = engines
    world.replayed = {id(replica): None}
    pool = ReadPool(primary, [replica], clock=world.clock)
    assert pool.choose() is primary
    assert pool.served == {"primary": 1, "replica": 0}
    assert "unreachable" in str(pool.status()[0].problem)


def test_without_replicas_everything_is_the_primarys(engines: list[Engine]) -> None:
    pool = ReadPool(engines[0], [])
    assert pool.choose() is engines[0]
    assert pool.primary_position() is None
    assert pool.status() == []
