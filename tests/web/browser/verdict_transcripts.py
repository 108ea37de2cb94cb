"""Four transcripts of a demonstration learner, one per verdict class, for the browser test.

Run as ``python -m tests.web.browser.verdict_transcripts`` with ``CREDITBANK_INSTANCE`` set,
before the server starts; prints their codes as JSON. The instance's transcript key must
predate the expired one (the test backdates it first, as on a bank a year in service):

- valid: issued now for 90 days;
- expired: issued 40 days ago for 30;
- revoked: issued now and withdrawn by the learner;
- altered: issued now, then its stored copy changed in the database (a grade raised), as an
  insider editing the table would; verification by its code catches it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from creditbank.app import create_app
from creditbank.clock import utc_now
from creditbank.learners.tables import Learner
from creditbank.storage.database import read_connection, write_transaction
from creditbank.transcripts.issued import (
    read_transcript,
    revoke_transcript,
    seal_context,
    transcript_t,
)
from creditbank.transcripts.issuing import Issued, issue_transcript
from creditbank.wiring import Services, services


def _issue(opened: Services, learner: str, *, days_ago: int = 0, days: int = 90) -> Issued:
    return issue_transcript(
        opened.ledger,
        opened.sealer,
        opened.issuer_identity(),
        learner,
        witness_keys=opened.settings.witness_keys,
        record_ids=None,
        language="zh",
        validity_days=days,
        now=utc_now() - timedelta(days=days_ago),
    )


def _raise_a_grade(credential: dict[str, Any]) -> None:
    for record in credential["credentialSubject"]["verifiableCredential"]:
        results = record["credentialSubject"].get("result")
        if results:
            results[0]["value"] = "100"
            return
    raise AssertionError("no record with a result to alter")


def prepare() -> dict[str, str]:
    """Issue the four transcripts; return their codes by verdict class."""
    app = create_app()
    with app.app_context():
        opened = services()
        table = Learner.__table__  # type: ignore[attr-defined]
        with read_connection(opened.engine) as connection:
            learner = str(
                connection.execute(
                    select(table.c.id).order_by(table.c.opened_at, table.c.id).limit(1)
                ).scalar_one()
            )
        valid = _issue(opened, learner)
        expired = _issue(opened, learner, days_ago=40, days=30)
        revoked = _issue(opened, learner)
        revoke_transcript(
            opened.ledger,
            opened.issuer_identity(),
            revoked.id,
            learner,
            reason="不再分享",
            now=utc_now(),
        )
        altered = _issue(opened, learner)
        _, stored = read_transcript(opened.engine, opened.sealer, altered.id, None)
        _raise_a_grade(stored)
        sealed = opened.sealer.seal(json.dumps(stored), context=seal_context(altered.id))
        with write_transaction(opened.engine) as connection:
            connection.execute(
                update(transcript_t)
                .where(transcript_t.c.id == altered.id)
                .values(credential_sealed=sealed)
            )
        return {
            "valid": valid.code,
            "expired": expired.code,
            "revoked": revoked.code,
            "altered": altered.code,
        }


if __name__ == "__main__":
    print(json.dumps(prepare()))
