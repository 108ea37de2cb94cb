"""Each event writes its notice in its own transaction, once; recipients list and read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from creditbank.clock import utc_now
from creditbank.identity.principals import Role
from creditbank.institutions.clients import CONSOLE, issue_client
from creditbank.learners.service import ConsentScope, grant_consent
from creditbank.notices.kinds import NoticeKind, words
from creditbank.notices.service import (
    Recipient,
    list_notices,
    mark_read,
    notify,
    outbox_t,
    unread_count,
)
from creditbank.operations.expiry import warn_expiring_consents
from creditbank.storage.database import read_connection, write_transaction
from creditbank.transcripts.issued import revoke_transcript
from creditbank.wiring import Services
from tests.transcripts.helpers import POSTER, issue, populate, recognise_transfers


def _kinds(services: Services, recipient: Recipient, to: str) -> list[NoticeKind]:
    with read_connection(services.engine) as connection:
        return [n.kind for n in reversed(list_notices(connection, recipient, to))]


def _outbox(services: Services) -> int:
    with read_connection(services.engine) as connection:
        count: int = connection.execute(select(func.count()).select_from(outbox_t)).scalar_one()
    return count


def test_every_event_tells_its_recipient_once(services: Services, engine_name: str) -> None:
    bank = populate(services)
    first = recognise_transfers(bank)
    assert _kinds(services, Recipient.LEARNER, bank.li) == [NoticeKind.EVALUATION_DECIDED]

    shown = issue(bank, records=list(first.transfers))
    recognise_transfers(bank)  # supersedes the first transfers, revoking the transcript
    kinds = _kinds(services, Recipient.LEARNER, bank.li)
    # One commit, one moment: its three notices share their time, so their order is free.
    assert sorted(kinds[1:]) == sorted(
        [
            NoticeKind.TRANSCRIPT_REVOKED,
            NoticeKind.TRANSFERS_SUPERSEDED,
            NoticeKind.EVALUATION_DECIDED,
        ]
    )
    with read_connection(services.engine) as connection:
        notices = list_notices(connection, Recipient.LEARNER, bank.li)
    revoked = next(n for n in notices if n.kind is NoticeKind.TRANSCRIPT_REVOKED)
    assert revoked.params["transcript"] == shown.id
    assert "superseded by evaluation" in revoked.body("en")  # the reason, told
    assert "原因" in revoked.body("zh")
    superseded = next(n for n in notices if n.kind is NoticeKind.TRANSFERS_SUPERSEDED)
    assert superseded.params["courses"]

    now = utc_now()
    # The institution's first key (a bootstrap admin key), and an operator key: told to nobody.
    info, _ = issue_client(services.ledger, POSTER, Role.ADMIN, "uploads", by=CONSOLE, now=now)
    issue_client(services.ledger, None, Role.ADMIN, "operator", by=CONSOLE, now=now)
    assert _kinds(services, Recipient.INSTITUTION, POSTER) == [NoticeKind.KEY_ISSUED]
    with read_connection(services.engine) as connection:
        key_notice = list_notices(connection, Recipient.INSTITUTION, POSTER)[0]
    assert info.key_id in key_notice.body("zh") and info.key_id in key_notice.body("en")
    # Learners' notices are queued for e-mail; institutions' are not (they have no address).
    assert _outbox(services) == len(notices)


def test_a_consent_about_to_expire_is_told_once(services: Services, engine_name: str) -> None:
    bank = populate(services)
    t0 = utc_now()
    soon = grant_consent(
        services.ledger, bank.li, POSTER, ConsentScope.READ, t0 + timedelta(days=5), now=t0
    )
    grant_consent(
        services.ledger, bank.wang, POSTER, ConsentScope.READ, t0 + timedelta(days=60), now=t0
    )
    assert warn_expiring_consents(services.engine, now=t0) == (
        "1 learners told a consent expires soon"
    )
    assert warn_expiring_consents(services.engine, now=t0 + timedelta(hours=1)) is None
    assert _kinds(services, Recipient.LEARNER, bank.li) == [NoticeKind.CONSENT_EXPIRING]
    assert _kinds(services, Recipient.LEARNER, bank.wang) == []
    with read_connection(services.engine) as connection:
        told = list_notices(connection, Recipient.LEARNER, bank.li)[0]
    assert told.params["valid_until"] == soon.valid_until.date().isoformat()


def test_a_rolled_back_event_leaves_no_notice(services: Services, engine_name: str) -> None:
    bank = populate(services)
    shown = issue(bank)
    with pytest.raises(RuntimeError), services.ledger.transaction() as tx:
        notify(
            tx.connection,
            Recipient.LEARNER,
            bank.li,
            NoticeKind.TRANSCRIPT_REVOKED,
            {"transcript": shown.id, "reason": "x"},
            event_key="test:rolled-back",
            now=utc_now(),
        )
        raise RuntimeError("the event failed")
    assert _kinds(services, Recipient.LEARNER, bank.li) == []
    assert _outbox(services) == 0


def test_notices_are_marked_read_by_their_recipient_only(
    services: Services, engine_name: str
) -> None:
    bank = populate(services)
    shown = issue(bank)
    revoke_transcript(
        services.ledger,
        services.issuer_identity(),
        shown.id,
        bank.li,
        reason="sent to the wrong employer",
        now=utc_now(),
    )
    recognise_transfers(bank)
    with write_transaction(services.engine) as connection:
        assert unread_count(connection, Recipient.LEARNER, bank.li) == 2
        assert mark_read(connection, Recipient.LEARNER, bank.wang, now=utc_now()) == 0
        first = list_notices(connection, Recipient.LEARNER, bank.li)[-1]
        assert "sent to the wrong employer" in first.body("en")
        assert mark_read(connection, Recipient.LEARNER, bank.li, now=utc_now(), notice_id=first.id)
        assert unread_count(connection, Recipient.LEARNER, bank.li) == 1
        assert mark_read(connection, Recipient.LEARNER, bank.li, now=utc_now()) == 1
        assert unread_count(connection, Recipient.LEARNER, bank.li) == 0


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_has_words_in_both_languages(kind: NoticeKind) -> None:
    for lang in ("zh", "en"):
        subject, body = words(kind, {}, lang)  # type: ignore[arg-type]
        assert subject and body and "{" not in body
