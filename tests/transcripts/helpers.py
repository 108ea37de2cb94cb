"""A small bank with records, and one call that issues a transcript (also for interop tests).

``issue_sample_transcript(services)`` populates an initialised instance (two institutions, two
learners, courses, a 1+X certificate, training and an award) and issues a signed transcript;
it returns the learner's ids and the credential, so other tests (the Node.js verifier interop
test among them) can issue real transcripts without knowing the set-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from creditbank.clock import utc_now
from creditbank.evaluations.service import Committed, commit_current, find_policy, publish_policy
from creditbank.identity.documents import check_digit, parse_document
from creditbank.institutions.service import InstitutionInfo, register_institution
from creditbank.learners.service import ConsentScope, NewLearner, grant_consent, open_accounts
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import BatchRequest, NewRecord, post_batch
from creditbank.transcripts.issuing import Issued, issue_transcript
from creditbank.transcripts.online import verify_online
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.transcripts.verify import Report
from creditbank.wiring import Services

# The real clock: the issuer key is created now, and a proof may not predate its key.
NOW = utc_now()
POSTER = "CQ-GZ-001"
OTHER = "BJ-PJ-001"


def resident_id(sequence: str, birth: str = "20050312", area: str = "500105") -> str:
    """A valid 居民身份证 number."""
    first17 = area + birth + sequence
    return first17 + check_digit(first17)


def course(number: int, **overrides: Any) -> dict[str, Any]:
    """The ``number``-th course outcome, distinct in code and title."""
    item: dict[str, Any] = {
        "kind": "course",
        "course_code": f"JX{100 + number}",
        "title_zh": f"机械制图{number}",
        "title_en": f"Mechanical Drawing {number}",
        "source_institution": POSTER,
        "level": "gaozhi",
        "programme": "机电一体化技术",
        "term": "2024-2025-1",
        "hours": 64,
        "credits": "3.5" if number % 2 else "4",
        "grade": {"scale": "percent", "value": str(70 + number % 30)},
        "completed_on": "2025-01-10",
    }
    item.update(overrides)
    return item


CERTIFICATE = {
    "kind": "certificate",
    "certificate_type": "one_plus_x",
    "title": "工业机器人操作与运维",
    "level": "zhongji",
    "certificate_number": "GYJQR-2023-00042",
    "awarding_organisation": "工业机器人操作与运维 1+X 培训评价组织",
    "issued_on": "2023-06-30",
    "expires_on": "2027-06-30",
}
TRAINING = {
    "kind": "training",
    "provider": "重庆长安汽车培训中心",
    "title": "智能网联汽车检测与运维实训",
    "hours": 160,
    "result": {"scale": "two_level", "value": "合格"},
    "started_on": "2023-07-03",
    "completed_on": "2023-08-25",
}
AWARD = {
    "kind": "award",
    "competition": "重庆市职业院校技能大赛",
    "level": "provincial",
    "rank": "first_prize",
    "awarded_on": "2023-05-20",
    "track": "工业机器人技术应用",
}


@dataclass
class Bank:
    """Who and what the populated bank holds."""

    services: Services
    li: str
    wang: str
    li_records: list[str]
    wang_records: list[str]


def populate(services: Services, *, courses: int = 3) -> Bank:
    """Two institutions, two learners; 李明 has ``courses`` courses and three other outcomes."""
    ledger = services.ledger
    for code, zh, en, kind in (
        (
            POSTER,
            "重庆工程职业技术学院",
            "Chongqing Vocational Institute of Engineering",
            "gaozhi_college",
        ),
        (OTHER, "工业机器人 1+X 培训评价组织", None, "evaluation_organisation"),
    ):
        register_institution(
            ledger,
            InstitutionInfo(code, zh, en or zh, kind, "gaozhi", "重庆"),
            actor="operator:console",
            now=NOW,
        )
    people = [
        NewLearner("李明", parse_document("resident_id", resident_id("123"), today=NOW.date())),
        NewLearner("王芳", parse_document("resident_id", resident_id("246"), today=NOW.date())),
    ]
    li, wang = (
        a.learner_id
        for a in open_accounts(
            ledger,
            services.sealer,
            people,
            opened_by=POSTER,
            actor=f"institution:{POSTER}",
            now=NOW,
        )
    )
    today = NOW.date()
    mine = [course(n) for n in range(courses)] + [TRAINING, AWARD]
    batch = [NewRecord(li, parse_outcome(item, today=today)) for item in mine]
    batch.append(NewRecord(wang, parse_outcome(course(99, title_zh="王芳的课程"), today=today)))
    answer = post_batch(ledger, BatchRequest(POSTER, "test", "k1", b"k1", batch), now=NOW)
    ids = [item["id"] for item in answer.body["records"]]
    cert = post_batch(
        ledger,
        BatchRequest(
            OTHER, "test", "k2", b"k2", [NewRecord(li, parse_outcome(CERTIFICATE, today=today))]
        ),
        now=NOW,
    )
    li_records = [*ids[:-1], cert.body["records"][0]["id"]]
    return Bank(services, li, wang, li_records, [ids[-1]])


# Two 中职 courses the 3+2 industrial-robotics policy recognises: 电工基础 fills GZ-JD102 (4
# credits), 体育与健康 goes to the catch-all elective GZ-XX900 (2 credits).
TRANSFER_POLICY = "cq-3plus2-industrial-robotics"
ZHONGZHI_COURSES: tuple[dict[str, Any], ...] = (
    course(
        0,
        course_code="ZZ-JD102",
        title_zh="电工基础",
        title_en="Fundamentals of Electrics",
        level="zhongzhi",
        programme="机电技术应用",
        credits="3.5",
        grade={"scale": "percent", "value": "81"},
        completed_on="2023-07-01",
        term="2022-2023-2",
    ),
    course(
        0,
        course_code="ZZ-TY101",
        title_zh="体育与健康",
        title_en="Physical Education and Health",
        level="zhongzhi",
        programme="机电技术应用",
        credits="2",
        grade={"scale": "two_level", "value": "合格"},
        completed_on="2023-01-15",
        term="2022-2023-1",
    ),
)


def recognise_transfers(bank: Bank, *, now: datetime | None = None) -> Committed:
    """Post 李明's 中职 courses, and commit a 3+2 evaluation of all his records."""
    return commit_transfers(bank.services, bank.li, now=now)


def commit_transfers(
    services: Services, learner_id: str, *, now: datetime | None = None
) -> Committed:
    """Post two 中职 courses for the learner (by CQ-GZ-001), and commit a 3+2 evaluation."""
    moment = now or utc_now()
    batch = [
        NewRecord(learner_id, parse_outcome(item, today=moment.date())) for item in ZHONGZHI_COURSES
    ]
    key = f"zz-{moment.timestamp()}"
    post_batch(services.ledger, BatchRequest(POSTER, "test", key, key.encode(), batch), now=moment)
    grant_consent(
        services.ledger,
        learner_id,
        POSTER,
        ConsentScope.EVALUATE,
        moment + timedelta(days=30),
        now=moment,
    )
    policy = find_policy(services.policies, TRANSFER_POLICY)
    publish_policy(services.ledger, policy, actor="operator", now=moment)
    return commit_current(
        services.ledger,
        learner_id=learner_id,
        institution=POSTER,
        actor=f"institution:{POSTER}",
        by="registrar",
        policy=policy,
        on=moment.date(),
        now=moment,
        revoke_dependents=dependents(services).of_transfer,
    )


def issue(
    bank: Bank,
    *,
    records: list[str] | None = None,
    days: int = 90,
    language: str = "zh",
    now: datetime | None = None,
) -> Issued:
    """Issue a transcript of 李明's records."""
    return issue_transcript(
        bank.services.ledger,
        bank.services.sealer,
        bank.services.issuer_identity(),
        bank.li,
        witness_keys=bank.services.settings.witness_keys,
        record_ids=records,
        language=language,
        validity_days=days,
        now=now or utc_now(),
    )


def issue_sample_transcript(services: Services, *, courses: int = 3) -> tuple[Bank, Issued]:
    """Populate ``services`` and issue a transcript of every record of 李明 (Chinese, 90 days)."""
    bank = populate(services, courses=courses)
    return bank, issue(bank)


def dependents(services: Services) -> DependentTranscripts:
    """What revokes the transcripts disclosing a changed record or superseded transfer."""
    return DependentTranscripts(services.issuer_identity())


def verify(services: Services, credential: Any, *, now: datetime | None = None) -> Report:
    """Verify ``credential`` online, as the bank's verification endpoints do."""
    return verify_online(
        services.ledger,
        services.issuer_identity(),
        credential,
        witness_keys=services.settings.witness_keys,
        now=now or utc_now(),
    )
