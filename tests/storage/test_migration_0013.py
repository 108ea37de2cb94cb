"""Migration 0013 marks the API keys issued before it as legacy, on both engines.

Keys stored at revision 0012 have no record of who issued them: after the upgrade they say
``legacy`` (issued and accepted), keep working (or stay revoked), and are listed so to the
institution's admin; keys issued afterwards name who issued them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from creditbank.auth.authenticate import authenticate
from creditbank.config import Settings
from creditbank.errors import Unauthenticated
from creditbank.identity.principals import Role
from creditbank.identity.secrets import new_secret
from creditbank.institutions.clients import CONSOLE, KeyStatus, issue_client, list_clients
from creditbank.storage.database import create_db_engine, read_connection
from creditbank.storage.migrate import upgrade
from creditbank.wiring import initialise

BEFORE = "0012_revocation_category"
THEN = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _former_keys(url: str) -> tuple[str, str]:
    """An institution with an active and a revoked key, as revision 0012 stored them."""
    active, revoked = new_secret("cbk"), new_secret("cbk")
    engine = create_db_engine(url)
    try:
        upgrade(engine, BEFORE)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO institution (code, name_zh, name_en, kind, level, region, "
                    "require_signed_batches, registered_at, ledger_index) VALUES ('CQ-GZ-001', "
                    "'重庆工程职业技术学院', 'CQVIE', 'gaozhi_college', 'gaozhi', '重庆', :no, "
                    ":then, 0)"
                ),
                {"no": False, "then": THEN},
            )
            for secret, revoked_at in ((active, None), (revoked, THEN)):
                connection.execute(
                    text(
                        "INSERT INTO api_client (key_id, institution, role, label, secret_hash, "
                        "created_at, revoked_at) VALUES (:key, 'CQ-GZ-001', 'registrar', 'old', "
                        ":hash, :then, :revoked)"
                    ),
                    {
                        "key": secret.key_id,
                        "hash": secret.secret_hash,
                        "then": THEN,
                        "revoked": revoked_at,
                    },
                )
    finally:
        engine.dispose()
    return active.text, revoked.text


def test_keys_issued_before_are_legacy_and_keep_working(
    settings: Settings, engine_name: str
) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    active, revoked = _former_keys(settings.database_url)
    services = initialise(settings)  # migrates to head
    try:
        with read_connection(services.engine) as connection:
            listed = {c.key_id: c for c in list_clients(connection, "CQ-GZ-001")}
            principal = authenticate(connection, active, now=datetime.now(UTC))
            with pytest.raises(Unauthenticated, match="revoked"):
                authenticate(connection, revoked, now=datetime.now(UTC))
        old = listed[active.split("_")[1]]
        assert (old.status, old.issuer.value, old.issued_by) == (
            KeyStatus.ACTIVE,
            "legacy",
            "legacy",
        )
        assert (old.accepted_by, old.accepted_at, old.issued_index) == ("legacy", THEN, None)
        assert principal.role is Role.REGISTRAR and not getattr(principal, "bootstrap", True)
        gone = listed[revoked.split("_")[1]]
        assert (gone.status, gone.revoked_by) == (KeyStatus.REVOKED, "legacy")
        assert not old.bootstrap and not gone.bootstrap
        # Keys issued from now on name their issuer; the defaults did not outlive the upgrade.
        issued, _ = issue_client(
            services.ledger, "CQ-GZ-001", Role.POSTER, "new", by=CONSOLE, now=datetime.now(UTC)
        )
        assert (issued.status, issued.issued_by) == (KeyStatus.PENDING, "operator:console")
        with services.engine.connect() as connection, pytest.raises(Exception, match=r"(?i)null"):
            connection.execute(
                text(
                    "INSERT INTO api_client (key_id, institution, role, label, secret_hash, "
                    "created_at, bootstrap) VALUES ('ffffffffffffffff', 'CQ-GZ-001', 'poster', "
                    "'x', 'h', :then, :no)"
                ),
                {"then": THEN, "no": False},
            )
    finally:
        services.close()
