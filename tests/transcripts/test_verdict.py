"""The one verdict a report comes to: each class, and which outcome wins when several apply."""

from __future__ import annotations

import pytest

from creditbank.transcripts.verdict import (
    EXIT_STATUS,
    Outcomes,
    RevocationCategory,
    Verdict,
    VerdictClass,
    classify,
    erased,
    with_revocation,
)


def outcomes(**changes: object) -> Outcomes:
    base: dict[str, object] = {"failed": {}, "skipped": {}, "records": {}}
    base.update(changes)
    return Outcomes(**base)  # type: ignore[arg-type]


def test_nothing_failed_and_status_checked_is_valid() -> None:
    verdict = classify(outcomes(skipped={"checkpoint consistency": "offline"}))
    assert verdict == Verdict(VerdictClass.VALID)
    assert verdict.trusted_claims and verdict.exit_status == 0


def test_status_not_given_is_never_plainly_valid() -> None:
    verdict = classify(outcomes(skipped={"status": "not given"}, status_given=False))
    assert verdict.kind is VerdictClass.REVOCATION_NOT_CHECKED
    assert verdict.headline("en") == "Signature and evidence valid, revocation not checked"
    assert verdict.headline("zh") == "签名与账本证据有效，但未检查是否已撤销"
    assert not verdict.trusted_claims and verdict.exit_status == 3


def test_a_status_list_that_cannot_be_had_is_status_unavailable() -> None:
    skipped = classify(outcomes(skipped={"status": "unreachable"}))
    failed = classify(outcomes(failed={"status": "not validly signed"}))
    assert skipped.kind is failed.kind is VerdictClass.STATUS_UNAVAILABLE
    assert failed.detail == "not validly signed" and failed.exit_status == 7


def test_revoked_carries_when_and_why() -> None:
    verdict = classify(
        outcomes(failed={"status": "revoked"}, revoked=True, revoked_as_of="2026-01-02T00:00:00Z")
    )
    assert verdict.kind is VerdictClass.REVOKED and verdict.at == "2026-01-02T00:00:00Z"
    found = with_revocation(verdict, "2026-01-01T08:00:00Z", RevocationCategory.WITHDRAWN)
    assert found.at == "2026-01-01T08:00:00Z"
    assert found.category_text("en") == "withdrawn by the learner"
    assert found.to_json() == {
        "class": "revoked",
        "at": "2026-01-01T08:00:00Z",
        "category": "withdrawn_by_learner",
        "check": "status",
        "summary": "Not valid: revoked",
    }
    assert found.exit_status == 4
    # Facts are added only to a revoked verdict.
    assert with_revocation(Verdict(VerdictClass.VALID), "x", None) == Verdict(VerdictClass.VALID)


def test_expired_and_not_yet_valid_say_when() -> None:
    expired = classify(outcomes(failed={"validity dates": "expired"}, expired_at="2026-03-01"))
    early = classify(outcomes(failed={"validity dates": "early"}, not_before="2027-01-01"))
    assert (expired.kind, expired.at) == (VerdictClass.EXPIRED, "2026-03-01")
    assert (early.kind, early.at) == (VerdictClass.NOT_YET_VALID, "2027-01-01")
    assert expired.exit_status == early.exit_status == 5


def test_altered_names_the_check_and_the_record() -> None:
    verdict = classify(
        outcomes(
            failed={"outer signature": "mismatch", "record content": "term differs"},
            records={"record content": "urn:uuid:r1"},
        )
    )
    assert verdict.kind is VerdictClass.ALTERED
    assert (verdict.check, verdict.record, verdict.detail) == (
        "record content",
        "urn:uuid:r1",
        "term differs",
    )
    assert verdict.exit_status == 1


@pytest.mark.parametrize(
    ("failed", "expected"),
    [
        # An untrusted issuer outranks everything: nothing it says means anything.
        ({"issuer key": "x", "record content": "y", "status": "z"}, "issuer_not_trusted"),
        # Altered outranks revoked and expired: the claims are not even the issuer's.
        ({"nested signatures": "x", "validity dates": "y"}, "altered"),
        ({"witness cosignatures": "2 required, 1 verified"}, "issuer_not_trusted"),
        ({"validity dates": "y", "status": "revoked"}, "revoked"),
    ],
)
def test_precedence(failed: dict[str, str], expected: str) -> None:
    revoked = failed.get("status") == "revoked"
    assert classify(outcomes(failed=failed, revoked=revoked)).kind.value == expected


def test_every_class_has_an_exit_status_and_both_headlines() -> None:
    assert set(EXIT_STATUS) == set(VerdictClass)
    for kind in VerdictClass:
        verdict = Verdict(kind)
        assert verdict.headline("zh") and verdict.headline("en")
        assert verdict.headline("zh") != verdict.headline("en")
    codes = {EXIT_STATUS[kind] for kind in VerdictClass}
    assert 2 not in codes  # kept for usage and input errors


def test_erased_says_when_and_yields_only_to_altered_and_untrusted() -> None:
    at = "2027-01-06T03:00:00Z"
    for earlier in (
        classify(outcomes()),
        classify(outcomes(revoked=True, revoked_as_of="2026-12-01T00:00:00Z")),
        classify(outcomes(failed={"validity dates": "expired"}, expired_at="2026-12-01")),
    ):
        verdict = erased(earlier, at)
        assert (verdict.kind, verdict.at, verdict.exit_status) == (VerdictClass.ERASED, at, 8)
        assert not verdict.trusted_claims
        assert verdict.headline("en") == "the learner's data was erased on 2027-01-06"
        assert verdict.headline("zh") == "验证未通过：学习者的数据已于 2027-01-06 删除"
    for kept in (
        classify(outcomes(failed={"record content": "differs"})),
        classify(outcomes(failed={"issuer key": "unknown"})),
    ):
        assert erased(kept, at) == kept
    # Revoked because the learner was erased: the bank's own records say erased, not revoked.
    revoked = classify(outcomes(revoked=True))
    said = with_revocation(revoked, at, RevocationCategory.LEARNER_ERASED)
    assert (said.kind, said.at) == (VerdictClass.ERASED, at)
