"""Demonstration data for a fresh instance, with sign-in details the README lists.

成渝 member institutions of every kind, and learners with outcomes of every kind across
中职, 高职 and 本科.

Loaded by ``scripts/serve`` through ``creditbank demo load``; it does nothing once any
institution exists, so restarts never duplicate it. The demo keys and password are public:
never load this into an instance that serves real learners.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.canonical import canonical_json
from creditbank.evaluations.service import commit_current, publish_policy
from creditbank.identity.documents import check_digit, parse_document
from creditbank.identity.principals import CONSOLE_ACTOR, ClientPrincipal, Role
from creditbank.identity.secrets import known_secret
from creditbank.institutions.clients import CONSOLE, Acting, issue_client
from creditbank.institutions.service import (
    BatchSignature,
    InstitutionInfo,
    add_signing_key,
    list_institutions,
    register_institution,
)
from creditbank.learners.credentials import activate
from creditbank.learners.service import ConsentScope, NewLearner, grant_consent, open_accounts
from creditbank.ledger.service import Ledger
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import BatchRequest, NewRecord, post_batch
from creditbank.records.signed_items import sign_items
from creditbank.storage.database import read_connection
from creditbank.transcripts.issuing import issue_transcript
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import Services

INSTITUTIONS = (
    InstitutionInfo(
        "CQ-ZZ-001",
        "重庆市渝北职业教育中心",
        "Chongqing Yubei Vocational Education Centre",
        "zhongzhi_school",
        "zhongzhi",
        "重庆",
    ),
    InstitutionInfo(
        "SC-ZZ-001",
        "成都市技师学院",
        "Chengdu Technician College",
        "zhongzhi_school",
        "zhongzhi",
        "四川",
    ),
    InstitutionInfo(
        "CQ-GZ-001",
        "重庆工程职业技术学院",
        "Chongqing Vocational Institute of Engineering",
        "gaozhi_college",
        "gaozhi",
        "重庆",
    ),
    InstitutionInfo(
        "SC-GZ-001",
        "四川工程职业技术学院",
        "Sichuan Engineering Technical College",
        "gaozhi_college",
        "gaozhi",
        "四川",
    ),
    InstitutionInfo(
        "CQ-BK-001",
        "重庆科技大学",
        "Chongqing University of Science and Technology",
        "university",
        "benke",
        "重庆",
    ),
    InstitutionInfo(
        "SC-BK-001",
        "成都工业学院",
        "Chengdu Technological University",
        "university",
        "benke",
        "四川",
    ),
    InstitutionInfo(
        "CQ-QY-001",
        "重庆长安汽车培训中心",
        "Changan Automobile Training Centre",
        "enterprise",
        "gaozhi",
        "重庆",
    ),
    InstitutionInfo(
        "CQ-PX-001",
        "重庆市职业技能培训中心",
        "Chongqing Vocational Skills Training Centre",
        "training_organisation",
        "gaozhi",
        "重庆",
    ),
    InstitutionInfo(
        "BJ-PJ-001",
        "工业机器人操作与运维 1+X 培训评价组织",
        "Industrial Robot 1+X Evaluation Organisation",
        "evaluation_organisation",
        "gaozhi",
        "北京",
    ),
)

# Fixed demonstration keys (listed in the README). Real keys come from `creditbank clients issue`.
DEMO_KEYS = {
    "operator": (None, Role.ADMIN, "cbk_de00000000000000_" + "o" * 43),
    "cq-zz-poster": ("CQ-ZZ-001", Role.POSTER, "cbk_de00000000000001_" + "z" * 43),
    "cq-gz-poster": ("CQ-GZ-001", Role.POSTER, "cbk_de00000000000002_" + "p" * 43),
    "cq-gz-registrar": ("CQ-GZ-001", Role.REGISTRAR, "cbk_de00000000000003_" + "r" * 43),
    "cq-gz-admin": ("CQ-GZ-001", Role.ADMIN, "cbk_de00000000000004_" + "a" * 43),
    "cq-bk-registrar": ("CQ-BK-001", Role.REGISTRAR, "cbk_de00000000000005_" + "b" * 43),
    "bj-pj-poster": ("BJ-PJ-001", Role.POSTER, "cbk_de00000000000006_" + "x" * 43),
}
DEMO_PASSWORD = "demo-learner-2026"  # noqa: S105 - public on purpose: demo only


def _resident_id(area: str, birth: str, sequence: str) -> str:
    return area + birth + sequence + check_digit(area + birth + sequence)


@dataclass(frozen=True)
class DemoLearner:
    """A demonstration learner and where their outcomes come from."""

    name: str
    document_number: str
    path: str  # e.g. "3+2": 中职 then 高职


LEARNERS = (
    DemoLearner("李明", _resident_id("500112", "20040315", "231"), "3+2"),
    DemoLearner("王芳", _resident_id("510104", "20030709", "442"), "专本 3+2"),
    DemoLearner("张伟", _resident_id("500105", "20050121", "153"), "五年一贯制"),
    DemoLearner("刘洋", _resident_id("510107", "20021102", "374"), "3+4"),
    DemoLearner("陈静", _resident_id("500106", "20040830", "286"), "3+2"),
    DemoLearner("杨帆", _resident_id("510122", "20031224", "195"), "专本 3+2"),
)


def _course(  # noqa: PLR0917 - one positional column per course field keeps the table readable
    code: str,
    title: str,
    source: str,
    level: str,
    term: str,
    hours: int,
    credits: str,
    grade: tuple[str, str],
    completed: str,
    programme: str,
) -> dict[str, Any]:
    return {
        "kind": "course",
        "course_code": code,
        "title_zh": title,
        "source_institution": source,
        "level": level,
        "programme": programme,
        "term": term,
        "hours": hours,
        "credits": credits,
        "grade": {"scale": grade[0], "value": grade[1]},
        "completed_on": completed,
    }


def last_autumn(today: date) -> int:
    """The year the last finished autumn semester began (it ends mid-January)."""
    return today.year - 1 if (today.month, today.day) >= (1, 20) else today.year - 2


def _term(year: int, semester: int) -> str:
    return f"{year}-{year + 1}-{semester}"


def _outcomes(learner: DemoLearner, number: int, today: date) -> dict[str, list[dict[str, Any]]]:
    """Each learner's outcomes, by the institution that posts them, dated relative to today.

    The 本科 course is from the last finished autumn semester (year ``a``), the 高职 courses
    from the academic year before, the 中职 ones two years before that, so every outcome is
    in the past and within the policies' age limits (four years at least) whenever the
    demonstration is loaded, and each pathway recognises what the README says.
    """
    a = last_autumn(today)
    shift = number % 3
    zz = "CQ-ZZ-001" if number % 2 == 0 else "SC-ZZ-001"
    gz = "CQ-GZ-001" if number % 2 == 0 else "SC-GZ-001"
    scores = ("86", "92", "78")
    return {
        zz: [
            _course(
                "ZZ-JD101",
                "机械制图",
                zz,
                "zhongzhi",
                _term(a - 3, 1),
                72,
                "4",
                ("percent", scores[shift]),
                f"{a - 2}-01-15",
                "机电技术应用",
            ),
            _course(
                "ZZ-JD102",
                "电工基础",
                zz,
                "zhongzhi",
                _term(a - 3, 2),
                64,
                "3.5",
                ("five_level", ("优秀", "良好", "中等")[shift]),
                f"{a - 2}-07-02",
                "机电技术应用",
            ),
            _course(
                "ZZ-JC101",
                "数学Ⅰ",
                zz,
                "zhongzhi",
                _term(a - 3, 1),
                64,
                "4",
                ("percent", "74"),
                f"{a - 2}-01-15",
                "机电技术应用",
            ),
        ],
        "BJ-PJ-001": [
            {
                "kind": "certificate",
                "certificate_type": "one_plus_x",
                "title": "工业机器人操作与运维",
                "level": ("chuji", "zhongji", "gaoji")[shift],
                "certificate_number": f"GYJQR-{a - 2}-{number:05d}",
                "awarding_organisation": "工业机器人操作与运维 1+X 培训评价组织",
                "issued_on": f"{a - 2}-06-30",
                "expires_on": f"{a + 2}-06-30",
            },
        ],
        "CQ-QY-001": [
            {
                "kind": "training",
                "provider": "重庆长安汽车培训中心",
                "title": "智能网联汽车检测与运维实训",
                "hours": 120 + 40 * shift,
                "result": {"scale": "two_level", "value": "合格"},
                "started_on": f"{a - 2}-07-03",
                "completed_on": f"{a - 2}-08-25",
            },
        ],
        "CQ-PX-001": [
            {
                "kind": "award",
                "competition": "重庆市职业院校技能大赛",
                "level": "provincial",
                "rank": ("first_prize", "second_prize", "third_prize")[shift],
                "awarded_on": f"{a - 2}-05-20",
                "track": "工业机器人技术应用",
            },
        ],
        gz: [
            _course(
                "GZ-JD201",
                "液压与气动技术",
                gz,
                "gaozhi",
                _term(a - 1, 1),
                48,
                "3",
                ("percent", scores[(shift + 1) % 3]),
                f"{a}-01-12",
                "机电一体化技术",
            ),
            _course(
                "GZ-JD202",
                "PLC 应用技术",
                gz,
                "gaozhi",
                _term(a - 1, 2),
                64,
                "4",
                ("gpa4", "3.5"),
                f"{a}-07-05",
                "机电一体化技术",
            ),
            _course(
                "GZ-JC201",
                "高等数学",
                gz,
                "gaozhi",
                _term(a - 1, 1),
                64,
                "4",
                ("percent", "81"),
                f"{a}-01-12",
                "机电一体化技术",
            ),
        ],
        "CQ-BK-001": [
            _course(
                "BK-ZD301",
                "自动控制原理",
                "CQ-BK-001",
                "benke",
                _term(a, 1),
                56,
                "3.5",
                ("percent", "83"),
                f"{a + 1}-01-16",
                "机械设计制造及其自动化",
            ),
        ]
        if learner.path in ("专本 3+2", "3+4")
        else [],
    }


DEMO_POLICY = "cq-3plus2-industrial-robotics"


def _commit_first_evaluation(services: Services, learner_id: str, *, now: datetime) -> int:
    """Publish the 3+2 policy and commit the 高职's evaluation of the first learner.

    Returns how many courses it recognised (0 where the policy is not loaded).
    """
    policy = services.policies.get(DEMO_POLICY)
    if policy is None:
        return 0
    publish_policy(services.ledger, policy, actor=CONSOLE_ACTOR, now=now)
    institution = policy.programme.institution
    committed = commit_current(
        services.ledger,
        learner_id=learner_id,
        institution=institution,
        actor=f"institution:{institution}",
        by="demo",
        policy=policy,
        on=now.date(),
        now=now,
        revoke_dependents=DependentTranscripts(services.issuer_identity()).of_transfer,
    )
    return len(committed.transfers)


def _issue_demo_keys(ledger: Ledger, *, now: datetime) -> None:
    """Issue the demo keys the way a real instance gets them, every step on the record.

    The console issues the operator key and each institution's bootstrap key; the bootstrap key
    is exchanged for the institution's own admin key, which issues its poster and registrar
    keys. One more registrar key of 重庆工程职业技术学院 is issued by the operator and left
    pending, so its admin page shows one waiting for acceptance.
    """
    operator = known_secret(DEMO_KEYS["operator"][2])
    issue_client(ledger, None, Role.ADMIN, "运营人员", by=CONSOLE, now=now, secret=operator)
    institutions = sorted({i for i, _, _ in DEMO_KEYS.values() if i is not None})
    for code in institutions:
        bootstrap, _ = issue_client(ledger, code, Role.ADMIN, "初始密钥", by=CONSOLE, now=now)
        spent = ClientPrincipal(bootstrap.key_id, code, Role.ADMIN, bootstrap=True)
        own = next(
            (
                (label, known_secret(text))
                for label, (i, role, text) in DEMO_KEYS.items()
                if i == code and role is Role.ADMIN
            ),
            (f"{code.lower()}-admin", None),
        )
        admin, _ = issue_client(
            ledger, code, Role.ADMIN, own[0], by=Acting.of(spent), now=now, secret=own[1]
        )
        by_admin = Acting.of(ClientPrincipal(admin.key_id, code, Role.ADMIN))
        for label, (institution, role, text) in DEMO_KEYS.items():
            if institution == code and role is not Role.ADMIN:
                issue_client(
                    ledger, code, role, label, by=by_admin, now=now, secret=known_secret(text)
                )
    issue_client(ledger, "CQ-GZ-001", Role.REGISTRAR, "bank helpdesk", by=CONSOLE, now=now)


def _signed_batch(
    ledger: Ledger, institution: str, items: list[dict[str, Any]], *, now: datetime
) -> BatchRequest:
    """A batch the institution signs over its items, with a key it registers in the log.

    The private key is thrown away: the demo shows authorship a verifier checks without
    trusting the bank; an institution trying the demo registers its own key to sign more.
    """
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    added = add_signing_key(
        ledger, institution, public, actor=f"institution:{institution}", now=now
    )
    body = canonical_json({"records": items})
    today = now.date()
    records = [
        NewRecord(
            item["learner_id"],
            parse_outcome({k: v for k, v in item.items() if k != "learner_id"}, today=today),
        )
        for item in items
    ]
    signature = BatchSignature(added.key_id, sign_items(institution, items, key.sign), True)
    return BatchRequest(institution, "demo", f"demo-{institution}", body, records, signature)


def load_demo(services: Services, *, now: datetime) -> dict[str, int] | None:
    """Load everything once; return counts, or None when institutions already exist."""
    with read_connection(services.engine) as connection:
        if list_institutions(connection):
            return None
    ledger = services.ledger
    for info in INSTITUTIONS:
        register_institution(ledger, info, actor=CONSOLE_ACTOR, now=now)
    _issue_demo_keys(ledger, now=now)
    today = now.date()
    # Each learner's first school opens the account (a verified identity) and hands over the
    # activation code, which the learner uses to choose the demo password.
    accounts = []
    for number, who in enumerate(LEARNERS):
        document = parse_document("resident_id", who.document_number, today=today)
        school = next(iter(_outcomes(who, number, today)))
        [account] = open_accounts(
            ledger,
            services.sealer,
            [NewLearner(who.name, document)],
            opened_by=school,
            actor=f"institution:{school}",
            now=now,
        )
        assert account.activation_code is not None
        activate(services.engine, services.sealer, document, account.activation_code, DEMO_PASSWORD)
        accounts.append(account)
    records = 0
    by_institution: dict[str, list[dict[str, Any]]] = {}
    for number, (learner, account) in enumerate(zip(LEARNERS, accounts, strict=True)):
        for institution, items in _outcomes(learner, number, today).items():
            by_institution.setdefault(institution, []).extend(
                {"learner_id": account.learner_id, **item} for item in items
            )
    for institution, items in by_institution.items():
        post_batch(ledger, _signed_batch(ledger, institution, items, now=now), now=now)
        records += len(items)
    # The first learner lets the receiving 高职 and 本科 see their account.
    for institution in ("CQ-GZ-001", "CQ-BK-001"):
        grant_consent(
            ledger,
            accounts[0].learner_id,
            institution,
            ConsentScope.EVALUATE,
            now + timedelta(days=365),
            now=now,
        )
    transfers = _commit_first_evaluation(services, accounts[0].learner_id, now=now)
    ledger.publish_checkpoint()
    # One transcript of the first learner's records and transfers, so the demo has one to verify.
    issue_transcript(
        ledger,
        services.sealer,
        services.issuer_identity(),
        accounts[0].learner_id,
        witness_keys=services.settings.witness_keys,
        record_ids=None,
        language="zh",
        validity_days=180,
        now=now,
        actor="bank",
    )
    return {
        "institutions": len(INSTITUTIONS),
        "learners": len(accounts),
        "records": records,
        "transfers": transfers,
        "transcripts": 1,
        "size": ledger.head().size,
    }


# The page each role's sign-in opens.
ROLE_PAGES = {Role.ADMIN: "/institution", Role.POSTER: "/institution", Role.REGISTRAR: "/registrar"}


@dataclass(frozen=True)
class SignIn:
    """One role of the demonstration: who, the page to open, and what to paste where."""

    who: str
    url: str
    where: str
    secret: str


def demo_signins(base_url: str) -> list[SignIn]:
    """Every demo role, with the sign-in page that leads to its own page."""
    base = base_url.rstrip("/")
    first = LEARNERS[0]
    signins = [
        SignIn(
            f"learner {first.name}",
            f"{base}/signin?next=/portal",
            f"学习者登录 / Learner sign-in: 证件号码 {first.document_number}, 密码 / password",
            DEMO_PASSWORD,
        )
    ]
    names = {info.code: info.name_zh for info in INSTITUTIONS}
    for institution, role, text in DEMO_KEYS.values():
        if institution is None:
            who, page = "bank operator", "/admin"
        else:
            who, page = f"{names[institution]} {role.value}", ROLE_PAGES[role]
        signins.append(
            SignIn(
                who,
                f"{base}/signin?next={page}",
                "工作人员登录 / Staff sign-in: API 密钥 / API key",
                text,
            )
        )
    return signins


def demo_credentials(base_url: str = "http://127.0.0.1:8000") -> str:
    """The demonstration sign-ins, one URL per role, as ``scripts/serve`` prints them."""
    lines = ["Sign in (demo only: these keys are public; every demo learner has the password):"]
    for signin in demo_signins(base_url):
        lines += [
            f"  {signin.who}",
            f"      open   {signin.url}",
            f"      paste  {signin.where}: {signin.secret}",
        ]
    return "\n".join(lines)
