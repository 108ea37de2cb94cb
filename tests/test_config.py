"""Settings from the environment: the witnesses the bank accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditbank.config import settings_from_env
from creditbank.errors import InvalidInput
from creditbank.ledger.note import NoteSigner
from creditbank.witness.cosignature import Cosigner


def test_witness_keys_are_read_and_checked(tmp_path: Path) -> None:
    one, two = Cosigner.generate("a.example/w").key, Cosigner.generate("b.example/w").key
    env = {
        "CREDITBANK_INSTANCE": str(tmp_path),
        "CREDITBANK_WITNESSES": f" {one.verifier_key()},\n{two.verifier_key()} ",
    }
    assert settings_from_env(env).witness_keys == (one.verifier_key(), two.verifier_key())
    assert settings_from_env({"CREDITBANK_INSTANCE": str(tmp_path)}).witness_keys == ()
    # A log (note) key is not a witness key: refused at start-up, naming the variable.
    note_key = NoteSigner.generate("a.example/w").verifier.verifier_key()
    env["CREDITBANK_WITNESSES"] = note_key
    with pytest.raises(InvalidInput, match="CREDITBANK_WITNESSES"):
        settings_from_env(env)


def test_replica_settings_are_read_and_checked(tmp_path: Path) -> None:
    base = {"CREDITBANK_INSTANCE": str(tmp_path)}
    assert settings_from_env(base).replica_urls == ()
    settings = settings_from_env(
        {
            **base,
            "CREDITBANK_REPLICA_URLS": "postgresql://r1/db, postgres://r2/db",
            "CREDITBANK_REPLICA_MAX_LAG": "2.5",
            "CREDITBANK_REPLICA_CHECK_EVERY": "0.5",
        }
    )
    assert settings.replica_urls == ("postgresql://r1/db", "postgres://r2/db")
    assert (settings.replica_max_lag_seconds, settings.replica_check_seconds) == (2.5, 0.5)
    with pytest.raises(InvalidInput, match="not PostgreSQL"):
        settings_from_env({**base, "CREDITBANK_REPLICA_URLS": "sqlite:///x.db"})
