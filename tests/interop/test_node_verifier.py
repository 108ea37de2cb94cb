"""Issued transcripts through a third-party verifier: Digital Bazaar's vc stack from npm.

Records of every kind are posted through the API, so each transcript line is a real committed
record with its real ledger evidence; the transcript is assembled and signed by the project's
code; ``verify.mjs`` then checks it, offline, in JSON-LD safe mode with only the npm contexts,
CLR 2.0.1 (read in place from ``../shared``) and the project's own context file. The verifier
must accept the outer credential and every nested one, and reject each alteration.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.app import create_app
from creditbank.ledger.store import read_openings
from creditbank.services import EXTENSION, Services, initialise
from creditbank.storage.database import read_connection
from creditbank.transcripts.credential import (
    InstitutionName,
    Issuer,
    Language,
    RecordInput,
    TranscriptInput,
    transcript_credential,
)
from creditbank.transcripts.cryptosuite import sign_document, unsecured
from creditbank.transcripts.did import did_document, did_key, did_web, method_id
from creditbank.transcripts.evidence import build_evidence
from creditbank.transcripts.keys import IssuerKey
from creditbank.transcripts.status import status_entry, status_list_credential
from tests.api.world import World, build_world, course
from tests.conftest import make_settings
from tests.interop.node_verifier import describe, requires_node, run_verifier
from tests.shared_vectors import requires_shared

# CLR 2.0.1 is on no npm package: the verifier reads it from ../shared, so these need both.
pytestmark = [requires_node, requires_shared]

PUBLIC_URL = "https://creditbank.cq.edu.cn"
KINDS = ("course", "certificate", "training", "award")
STATUS_INDEX = 17
Credential = dict[str, Any]


def _outcomes() -> list[dict[str, Any]]:
    """Three records of each kind, on different grade scales and with optional parts varied."""
    return [
        course(),
        course(
            course_code="DZ204",
            title_zh="电工电子技术",
            title_en=None,
            grade={"scale": "five_level", "value": "良好"},
            credits="3.5",
            hours=56,
            term="2024-2025-2",
            completed_on="2025-06-20",
        ),
        course(
            course_code="SK310",
            title_zh="数控编程",
            title_en="CNC Programming",
            source_institution="SC-GZ-001",
            grade={"scale": "gpa4", "value": "3.7"},
            credits="2",
            hours=32,
            completed_on="2025-01-12",
        ),
        {
            "kind": "certificate",
            "certificate_type": "one_plus_x",
            "title": "工业机器人操作与运维",
            "level": "zhongji",
            "certificate_number": "1X-2024-000123",
            "awarding_organisation": "北京新奥时代科技有限责任公司",
            "issued_on": "2024-12-01",
            "expires_on": "2027-12-01",
        },
        {
            "kind": "certificate",
            "certificate_type": "vocational_qualification",
            "title": "电工",
            "level": "gaoji",
            "certificate_number": "ZG-5001-778",
            "awarding_organisation": "重庆市人力资源和社会保障局",
            "issued_on": "2024-03-15",
            "expires_on": None,
        },
        {
            "kind": "certificate",
            "certificate_type": "other",
            "title": "全国计算机等级考试二级",
            "level": None,
            "certificate_number": "NCRE-2023-42",
            "awarding_organisation": "教育部教育考试院",
            "issued_on": "2023-11-20",
            "expires_on": None,
        },
        {
            "kind": "training",
            "provider": "长安汽车股份有限公司",
            "title": "汽车装配质量控制",
            "hours": 40,
            "result": {"scale": "two_level", "value": "合格"},
            "started_on": "2024-07-01",
            "completed_on": "2024-07-20",
        },
        {
            "kind": "training",
            "provider": "重庆市职业技能鉴定中心",
            "title": "安全生产培训",
            "hours": 16,
            "result": {"scale": "percent", "value": "92.5"},
            "started_on": "2024-09-02",
            "completed_on": "2024-09-03",
        },
        {
            "kind": "training",
            "provider": "华为技术有限公司",
            "title": "网络工程实训",
            "hours": 80,
            "result": {"scale": "five_level", "value": "优秀"},
            "started_on": "2024-10-08",
            "completed_on": "2024-11-29",
        },
        {
            "kind": "award",
            "competition": "全国职业院校技能大赛",
            "level": "national",
            "rank": "second_prize",
            "awarded_on": "2024-06-15",
            "track": "工业机器人技术应用",
        },
        {
            "kind": "award",
            "competition": "重庆市职业院校技能大赛",
            "level": "municipal",
            "rank": "first_prize",
            "awarded_on": "2024-04-26",
            "track": None,
        },
        {
            "kind": "award",
            "competition": "世界技能大赛中国选拔赛",
            "level": "national",
            "rank": "gold",
            "awarded_on": "2025-03-02",
            "track": "数控铣",
        },
    ]


def _post_records(world: World) -> list[int]:
    """Post every outcome for learner li (A's poster) and return their ledger indices."""
    items = [{"learner_id": world.learners["li"], **outcome} for outcome in _outcomes()]
    answer = world.post(
        "/api/v1/records", "posterA", {"records": items}, **{"Idempotency-Key": "interop-1"}
    )
    assert answer.status_code == 201, answer.get_json()
    return [int(record["index"]) for record in answer.get_json()["records"]]


def _records(services: Services, indices: list[int]) -> list[RecordInput]:
    """Each record's committed payload and its evidence, proven against a fresh checkpoint."""
    checkpoint = services.ledger.publish_checkpoint(force=True)
    with read_connection(services.engine) as connection:
        openings = read_openings(connection, indices)
    entries = dict(services.ledger.entries(min(indices), max(indices) + 1))
    records = []
    for index in indices:
        salt, payload_bytes = openings[index]
        evidence = build_evidence(
            entries[index],
            salt,
            payload_bytes,
            services.ledger.inclusion_proof(index, checkpoint.size),
            checkpoint.size,
            checkpoint.note,
        )
        records.append(RecordInput(payload=json.loads(payload_bytes), evidence=evidence))
    return records


def _key() -> tuple[Ed25519PrivateKey, bytes]:
    private = Ed25519PrivateKey.generate()
    return private, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _issuer_key(public: bytes, now: datetime) -> IssuerKey:
    return IssuerKey(public, now - timedelta(days=1), None)


def did_key_issuer(now: datetime) -> Issuer:
    """The bank as a did:key issuer (a deployment without a domain)."""
    private, public = _key()
    did = did_key(public)
    return Issuer(did, method_id(did, _issuer_key(public, now)), private, PUBLIC_URL)


def did_web_issuer(now: datetime, directory: Path) -> tuple[Issuer, Path]:
    """The bank as a did:web issuer, with its DID document written where the verifier reads it."""
    private, public = _key()
    did = did_web(PUBLIC_URL)
    key = _issuer_key(public, now)
    path = directory / "did.json"
    path.write_text(json.dumps(did_document(did, [key])), encoding="utf-8")
    return Issuer(did, method_id(did, key), private, PUBLIC_URL), path


@dataclass(frozen=True)
class Bank:
    """A populated instance, module-wide: li's committed records and a way to issue them."""

    world: World
    records: list[RecordInput]
    now: datetime

    def issue(
        self,
        issuer: Issuer,
        *,
        language: Language = "zh",
        one_of_each: bool = False,
        status_list: int = 1,
    ) -> Credential:
        """A transcript of li's records (all twelve, or the first of each kind), assembled and
        signed by the project's code."""
        names = {
            code: InstitutionName(code, name, f"{code} College")
            for code, name in (
                ("CQ-GZ-001", "重庆工程职业技术学院"),
                ("SC-GZ-001", "四川工程职业技术学院"),
            )
        }
        request = TranscriptInput(
            transcript_id=str(uuid.uuid4()),
            learner_id=self.world.learners["li"],
            learner_name="李明",
            language=language,
            issued_at=self.now,
            valid_until=self.now + timedelta(days=90),
            verification_code="7KQ2-M9XD",
            verification_url=f"{PUBLIC_URL}/verify/7KQ2-M9XD",
            status_entry=status_entry(PUBLIC_URL, status_list, STATUS_INDEX),
            partial=False,
            # Posted three of each kind in KINDS order: every third is the first of a kind.
            records=self.records[::3] if one_of_each else self.records,
            names=names,
        )
        return transcript_credential(request, issuer)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    """One instance for the module (building one costs seconds; the tests only read it)."""
    settings = make_settings(tmp_path_factory.mktemp("interop") / "instance")
    services = initialise(settings)
    try:
        app = create_app(
            {
                "instance_path": settings.instance_path,
                "database_url": settings.database_url,
                "log_origin": settings.log_origin,
                "checkpoint_interval_seconds": 0.0,
            }
        )
        app.config["TESTING"] = True
        app.extensions[EXTENSION].set(services)
        world = build_world(app.test_client(), services)
        records = _records(services, _post_records(world))
        yield Bank(world, records, datetime.now(UTC).replace(microsecond=0))
    finally:
        services.close()


def nested(transcript: Credential) -> list[Credential]:
    """The record credentials inside a transcript."""
    inner: list[Credential] = transcript["credentialSubject"]["verifiableCredential"]
    return inner


def _first(transcript: Credential, kind: str) -> Credential:
    return next(c for c in nested(transcript) if c["credentialSubject"]["recordKind"] == kind)


def _grade_changed(t: Credential) -> None:
    result = _first(t, "course")["credentialSubject"]["result"][0]
    result["value"] = "99" if result["value"] != "99" else "98"


def _credits_changed(t: Credential) -> None:
    subject = _first(t, "course")["credentialSubject"]
    subject["creditsEarned"] = subject["creditsEarned"] + 1


def _training_hours_changed(t: Credential) -> None:
    _first(t, "training")["credentialSubject"]["hours"] += 8


def _award_rank_changed(t: Credential) -> None:
    _first(t, "award")["credentialSubject"]["result"][0]["value"] = "特等奖"


def _certificate_number_changed(t: Credential) -> None:
    _first(t, "certificate")["credentialSubject"]["licenseNumber"] = "1X-2024-999999"


def _evidence_salt_changed(t: Credential) -> None:
    _first(t, "course")["evidence"][0]["commitmentSalt"] = "00" * 32


def _flip(proof_value: str) -> str:
    # Another base58 character in the middle: still well formed, no longer the signature.
    middle = len(proof_value) // 2
    other = "2" if proof_value[middle] != "2" else "3"
    return proof_value[:middle] + other + proof_value[middle + 1 :]


def _nested_proof_flipped(t: Credential) -> None:
    proof = _first(t, "award")["proof"][0]
    proof["proofValue"] = _flip(proof["proofValue"])


def _outer_proof_flipped(t: Credential) -> None:
    t["proof"][0]["proofValue"] = _flip(t["proof"][0]["proofValue"])


def _outer_valid_until_changed(t: Credential) -> None:
    until = datetime.fromisoformat(t["validUntil"]) + timedelta(days=365)
    t["validUntil"] = until.isoformat().replace("+00:00", "Z")


def _record_dropped(t: Credential) -> None:
    del nested(t)[0]


def _unknown_term(where: str) -> Callable[[Credential], None]:
    def add(t: Credential) -> None:
        target = t
        if where != "outer":
            target = nested(t)[0]["credentialSubject"]
        if where == "nested-achievement":
            target = target["achievement"]
        target["studentRank"] = 1

    return add


# name: (alteration, whether the altered record's own credential fails too, not only the outer)
ALTERATIONS: dict[str, tuple[Callable[[Credential], None], bool]] = {
    "grade": (_grade_changed, True),
    "nested-credits": (_credits_changed, True),
    "training-hours": (_training_hours_changed, True),
    "award-rank": (_award_rank_changed, True),
    "certificate-number": (_certificate_number_changed, True),
    "evidence-salt": (_evidence_salt_changed, True),
    "nested-proof-value": (_nested_proof_flipped, True),
    "outer-proof-value": (_outer_proof_flipped, False),
    "outer-valid-until": (_outer_valid_until_changed, False),
    "record-dropped": (_record_dropped, False),
}
UNKNOWN_TERM_PLACES = ("outer", "nested-subject", "nested-achievement")


@dataclass(frozen=True)
class Verdicts:
    """What the verifier said of each named input, one node run for them all."""

    inputs: dict[str, Credential]
    results: dict[str, list[dict[str, Any]]]
    status: int


def verify_all(inputs: dict[str, Credential], args: Sequence[str] = ()) -> Verdicts:
    """Verify every input in one node run; results grouped per input (outer first)."""
    names = list(inputs)
    status, results = run_verifier([inputs[name] for name in names], args=args)
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for result in results:
        position = int(result["path"][2 : result["path"].index("]")])
        grouped[names[position]].append(result)
    return Verdicts(inputs, grouped, status)


@pytest.fixture(scope="module")
def did_key_bank_issuer(bank: Bank) -> Issuer:
    return did_key_issuer(bank.now)


@pytest.fixture(scope="module")
def verdicts(bank: Bank, did_key_bank_issuer: Issuer) -> Verdicts:
    """Issued transcripts, each record alone, every alteration: checked in one run.

    The alterations are made to a four-record transcript (the first record of each kind): each
    credential costs the verifier the same JSON-LD work, and one of each kind is all they need.
    """
    issuer = did_key_bank_issuer
    zh = bank.issue(issuer, language="zh")
    inputs: dict[str, Credential] = {"zh": zh, "en": bank.issue(issuer, language="en")}
    for i, record in enumerate(nested(zh)):
        inputs[f"record-{i}"] = record
    small = bank.issue(issuer, one_of_each=True)
    assert sorted(c["credentialSubject"]["recordKind"] for c in nested(small)) == sorted(KINDS)
    for name, (alter, _) in ALTERATIONS.items():
        inputs[f"altered-{name}"] = copy.deepcopy(small)
        alter(inputs[f"altered-{name}"])
    for where in UNKNOWN_TERM_PLACES:
        inputs[f"unknown-{where}"] = copy.deepcopy(small)
        _unknown_term(where)(inputs[f"unknown-{where}"])
    # A record credential that uses a term no context defines, correctly signed.
    record = unsecured(copy.deepcopy(nested(small)[0]))
    record["credentialSubject"]["studentRank"] = 1
    inputs["signed-undefined-term"] = sign_document(
        record, issuer.private_key, verification_method=issuer.method_id, created=bank.now
    )
    # The proof names the bank's key, but another key signed.
    forger = did_key_issuer(bank.now)
    inputs["impostor"] = bank.issue(
        Issuer(issuer.did, issuer.method_id, forger.private_key, PUBLIC_URL), one_of_each=True
    )
    return verify_all(inputs)


def _accepted(results: list[dict[str, Any]], count: int, status: str = "not checked") -> None:
    assert len(results) == 1 + count
    assert all(r["verified"] for r in results), describe(results)
    checks = {"safeMode": "ok", "proof": "ok", "status": status}
    assert all(r["checks"] == checks for r in results)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_accepts_a_did_key_transcript_and_every_nested_credential(
    verdicts: Verdicts, language: str
) -> None:
    transcript = verdicts.inputs[language]
    kinds = sorted(c["credentialSubject"]["recordKind"] for c in nested(transcript))
    assert kinds == sorted(kind for kind in KINDS for _ in range(3))
    results = verdicts.results[language]
    _accepted(results, 12)
    index = next(i for i, name in enumerate(verdicts.inputs) if name == language)
    assert [r["path"] for r in results] == [
        f"$[{index}]",
        *(f"$[{index}].credentialSubject.verifiableCredential[{i}]" for i in range(12)),
    ]
    assert [r["id"] for r in results[1:]] == [c["id"] for c in nested(transcript)]


def test_accepts_each_record_credential_on_its_own(verdicts: Verdicts) -> None:
    # Each record's credential names its own contexts, so it verifies outside the transcript.
    for i in range(12):
        _accepted(verdicts.results[f"record-{i}"], 0)


@pytest.mark.parametrize("name", list(ALTERATIONS))
def test_rejects_an_altered_transcript(verdicts: Verdicts, name: str) -> None:
    assert verdicts.status == 1
    results = verdicts.results[f"altered-{name}"]
    outer, inner = results[0], results[1:]
    assert not outer["verified"]
    assert outer["checks"]["proof"] == "failed"
    rejected = [r for r in inner if not r["verified"]]
    if ALTERATIONS[name][1]:
        # Exactly the altered record's credential fails inside; the others still verify.
        assert len(rejected) == 1, describe(results)
        assert any("Invalid signature" in e for e in rejected[0]["errors"])
    else:
        assert rejected == [], describe(results)


@pytest.mark.parametrize("where", UNKNOWN_TERM_PLACES)
def test_rejects_an_unknown_term_added(verdicts: Verdicts, where: str) -> None:
    results = verdicts.results[f"unknown-{where}"]
    failed = [r for r in results if r["checks"]["safeMode"] == "failed"]
    # The outer credential holds the nested ones, so it fails wherever the term was put.
    assert failed and failed[0] is results[0], describe(results)
    if where != "outer":
        assert [r["path"] for r in failed[1:]] == [results[1]["path"]]
    assert all(any("studentRank" in e for e in r["errors"]) for r in failed)


def test_safe_mode_rejects_an_undefined_term_even_under_a_valid_signature(
    verdicts: Verdicts,
) -> None:
    # The signature is good, yet the verifier must refuse: a JCS signature says nothing about
    # what the terms mean, and a term no context defines means nothing to a relying party.
    [result] = verdicts.results["signed-undefined-term"]
    assert result["checks"] == {"safeMode": "failed", "proof": "ok", "status": "not checked"}
    assert any("studentRank" in e for e in result["errors"])


def test_rejects_a_transcript_signed_by_another_key(verdicts: Verdicts) -> None:
    results = verdicts.results["impostor"]
    assert len(results) == 5
    assert all(any("Invalid signature" in e for e in r["errors"]) for r in results)


def test_accepts_a_did_web_transcript_given_the_did_document(bank: Bank, tmp_path: Path) -> None:
    issuer, did_file = did_web_issuer(bank.now, tmp_path)
    transcript = bank.issue(issuer)
    assert transcript["proof"][0]["verificationMethod"].startswith("did:web:")
    status, results = run_verifier([transcript], args=["--did-document", str(did_file)])
    assert status == 0, describe(results)
    _accepted(results, 12)


def test_refuses_a_did_web_transcript_without_the_did_document(bank: Bank, tmp_path: Path) -> None:
    issuer, _ = did_web_issuer(bank.now, tmp_path)
    status, results = run_verifier([bank.issue(issuer)])
    assert status == 1
    assert len(results) == 13
    assert all(
        any("DID not known to this offline verifier" in e for e in r["errors"]) for r in results
    )


def test_rejects_an_expired_transcript(bank: Bank, did_key_bank_issuer: Issuer) -> None:
    transcript = bank.issue(did_key_bank_issuer)
    later = (bank.now + timedelta(days=91)).isoformat()
    status, results = run_verifier([transcript], args=["--now", later])
    assert status == 1
    assert len(results) == 13
    assert all(any("validUntil" in e for e in r["errors"]) for r in results)


def test_checks_revocation_against_the_signed_status_lists(
    bank: Bank, did_key_bank_issuer: Issuer, tmp_path: Path
) -> None:
    # Three transcripts on three lists: one live, one revoked, one whose list a forger signed.
    issuer = did_key_bank_issuer
    forger = did_key_issuer(bank.now)
    lists: tuple[tuple[int, list[int], Ed25519PrivateKey], ...] = (
        (1, [3], issuer.private_key),
        (2, [3, STATUS_INDEX], issuer.private_key),
        (3, [], forger.private_key),
    )
    args: list[str] = []
    for list_id, bits, key in lists:
        path = tmp_path / f"status-{list_id}.json"
        credential = status_list_credential(
            public_url=PUBLIC_URL,
            list_id=list_id,
            revoked=bits,
            issuer=issuer.did,
            method_id=issuer.method_id,
            private_key=key,
            now=bank.now,
        )
        path.write_text(json.dumps(credential), encoding="utf-8")
        args += ["--status-list", str(path)]
    verdicts = verify_all(
        {
            "live": bank.issue(issuer, one_of_each=True, status_list=1),
            "revoked": bank.issue(issuer, one_of_each=True, status_list=2),
            "forged-list": bank.issue(issuer, one_of_each=True, status_list=3),
        },
        args,
    )
    assert verdicts.status == 1
    _accepted(verdicts.results["live"], 4, status="ok")
    revoked = verdicts.results["revoked"]
    assert all(r["checks"]["status"] == "revoked" for r in revoked), describe(revoked)
    assert all(r["checks"]["proof"] == "ok" and not r["verified"] for r in revoked)
    forged = verdicts.results["forged-list"]
    assert all(r["checks"]["status"] == "failed" for r in forged), describe(forged)
    assert all(any("not verified" in e for e in r["errors"]) for r in forged)
