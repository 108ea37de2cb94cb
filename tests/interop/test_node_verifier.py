"""Issued transcripts through a third-party verifier: Digital Bazaar's vc stack from npm.

Records of every kind are posted through the API, so each transcript line is a real committed
record with its real ledger evidence; the transcript service issues it (did:web, and did:key
on the same instance); ``verify.mjs`` then checks it, offline, in JSON-LD safe mode with only
the npm contexts, CLR 2.0.1 (read in place from ``../shared``) and the project's own context
file. The verifier must accept the outer credential and every nested one, and reject each
alteration.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.app import create_app
from creditbank.transcripts.credential import Issuer, Language
from creditbank.transcripts.cryptosuite import sign_document, unsecured
from creditbank.transcripts.did import did_key, method_id
from creditbank.transcripts.issued import revoke_transcript
from creditbank.transcripts.issuer import did_document
from creditbank.transcripts.issuing import issue_transcript
from creditbank.transcripts.keys import IssuerKey
from creditbank.transcripts.status import status_list_credential
from creditbank.transcripts.status_lists import status_list_document
from creditbank.wiring import EXTENSION, Services, initialise
from tests.api.world import World, build_world, course
from tests.conftest import make_settings
from tests.interop.node_verifier import describe, requires_node, run_verifier
from tests.shared_vectors import requires_shared
from tests.transcripts.helpers import commit_transfers

# CLR 2.0.1 is on no npm package: the verifier reads it from ../shared, so these need both.
pytestmark = [requires_node, requires_shared]

PUBLIC_URL = "https://creditbank.cq.edu.cn"
KINDS = ("course", "certificate", "training", "award")
ONE_OF_EACH = len(KINDS) + 1  # the first record of each kind and one recognised transfer
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


def _post_records(world: World) -> list[str]:
    """Post every outcome for learner li (A's poster) and return their record ids.

    B delegates its courses to A first, so the course from B carries its delegation's
    evidence too, and the third-party verifier sees a record with two evidence objects.
    """
    delegated = world.post(
        "/api/v1/institutions/SC-GZ-001/delegations",
        "adminB",
        {"delegate": "CQ-GZ-001", "kinds": ["course"], "reason": "成渝互认：代为登记"},
    )
    assert delegated.status_code == 201, delegated.get_json()
    items = [{"learner_id": world.learners["li"], **outcome} for outcome in _outcomes()]
    answer = world.post(
        "/api/v1/records", "posterA", {"records": items}, **{"Idempotency-Key": "interop-1"}
    )
    assert answer.status_code == 201, answer.get_json()
    return [str(record["id"]) for record in answer.get_json()["records"]]


def did_key_issuer(now: datetime) -> Issuer:
    """A fresh did:key issuer (another party's key, for forgeries)."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    did = did_key(public)
    key = IssuerKey(public, now - timedelta(days=1), None)
    return Issuer(did, method_id(did, key), private, PUBLIC_URL)


@dataclass(frozen=True)
class Bank:
    """A populated instance, module-wide, issuing through the transcript service.

    ``web`` is the instance as deployed with a domain (did:web, the default); ``key`` is the
    same instance configured with ``issuer_did = "did:key"``. ``before_rotation`` was issued,
    then the signing key was rotated: everything else is signed with the newer key.
    """

    web: Services
    key: Services
    learner: str
    record_ids: list[str]
    transfer_ids: list[str]  # courses a committed 3+2 evaluation recognised
    before_rotation: Credential
    now: datetime

    def issue(
        self, *, did: str = "web", language: Language = "zh", one_of_each: bool = False
    ) -> Credential:
        """A transcript of li's records and transfers: all, or the first of each kind."""
        # Posted three of each kind in KINDS order: every third is the first of a kind.
        if one_of_each:
            chosen = [*self.record_ids[::3], self.transfer_ids[0]]
        else:
            chosen = [*self.record_ids, *self.transfer_ids]
        issuing = self.web if did == "web" else self.key
        issued = issue_transcript(
            issuing.ledger,
            issuing.sealer,
            issuing.issuer_identity(),
            self.learner,
            witness_keys=issuing.settings.witness_keys,
            record_ids=chosen,
            language=language,
            validity_days=90,
            now=self.now,
            actor="bank",
        )
        return issued.credential

    def did_document(self, path: Path) -> Path:
        """Write the bank's DID document (every key, current and retired) to ``path``."""
        document = did_document(self.web.issuer_identity(), self.web.ledger.keyring.verifiers())
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    def issuer(self, did: str = "web") -> Issuer:
        """The bank's current issuer (its DID, key and verification method)."""
        return (self.web if did == "web" else self.key).issuer_identity().current()


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    """One instance for the module (building one costs seconds; the tests only read it)."""
    settings = make_settings(tmp_path_factory.mktemp("interop") / "instance")
    services = initialise(settings)
    as_did_key = initialise(settings.with_overrides({"issuer_did": "did:key"}))
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
        record_ids = _post_records(world)
        transfer_ids = list(commit_transfers(services, world.learners["li"]).transfers)
        now = datetime.now(UTC).replace(microsecond=0)
        bank = Bank(services, as_did_key, world.learners["li"], record_ids, transfer_ids, {}, now)
        before = bank.issue(one_of_each=True)
        services.issuer_keys.rotate()
        yield Bank(
            services, as_did_key, world.learners["li"], record_ids, transfer_ids, before, now
        )
    finally:
        as_did_key.close()
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


def _transfer_credits_changed(t: Credential) -> None:
    _first(t, "transfer")["credentialSubject"]["creditsEarned"] += 1


def _transfer_policy_changed(t: Credential) -> None:
    _first(t, "transfer")["credentialSubject"]["transferRecognition"]["policyVersion"] = "2099.1"


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
    "transfer-credits": (_transfer_credits_changed, True),
    "transfer-policy": (_transfer_policy_changed, True),
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


def _resigned(credential: Credential, issuer: Issuer) -> Credential:
    """``credential`` with every proof (nested first) made again by ``issuer``'s key."""
    document = unsecured(copy.deepcopy(credential))
    subject = document["credentialSubject"]
    if "verifiableCredential" in subject:
        subject["verifiableCredential"] = [
            _resigned(inner, issuer) for inner in subject["verifiableCredential"]
        ]
    created = credential["proof"][0]["created"]
    return sign_document(
        document, issuer.private_key, verification_method=issuer.method_id, created=created
    )


@pytest.fixture(scope="module")
def did_file(bank: Bank, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bank.did_document(tmp_path_factory.mktemp("did") / "did.json")


@pytest.fixture(scope="module")
def verdicts(bank: Bank, did_file: Path) -> Verdicts:
    """Issued transcripts, each record alone, every alteration: checked in one run.

    The alterations are made to a four-record transcript (the first record of each kind): each
    credential costs the verifier the same JSON-LD work, and one of each kind is all they need.
    """
    zh = bank.issue(language="zh")
    inputs: dict[str, Credential] = {
        "zh": zh,
        "en": bank.issue(language="en"),
        "did-key": bank.issue(did="key"),
        "before-rotation": bank.before_rotation,
    }
    for i, record in enumerate(nested(zh)):
        inputs[f"record-{i}"] = record
    small = bank.issue(one_of_each=True)
    kinds = sorted(c["credentialSubject"]["recordKind"] for c in nested(small))
    assert kinds == sorted([*KINDS, "transfer"])
    for name, (alter, _) in ALTERATIONS.items():
        inputs[f"altered-{name}"] = copy.deepcopy(small)
        alter(inputs[f"altered-{name}"])
    for where in UNKNOWN_TERM_PLACES:
        inputs[f"unknown-{where}"] = copy.deepcopy(small)
        _unknown_term(where)(inputs[f"unknown-{where}"])
    # A record credential that uses a term no context defines, correctly signed by the bank.
    issuer = bank.issuer()
    record = unsecured(copy.deepcopy(nested(small)[0]))
    record["credentialSubject"]["studentRank"] = 1
    inputs["signed-undefined-term"] = sign_document(
        record, issuer.private_key, verification_method=issuer.method_id, created=bank.now
    )
    # The proofs name the bank's key, but another key made them.
    forger = did_key_issuer(bank.now)
    inputs["impostor"] = _resigned(
        small, Issuer(issuer.did, issuer.method_id, forger.private_key, PUBLIC_URL)
    )
    return verify_all(inputs, ["--did-document", str(did_file)])


def _accepted(results: list[dict[str, Any]], count: int, status: str = "not checked") -> None:
    assert len(results) == 1 + count
    assert all(r["verified"] for r in results), describe(results)
    checks = {"safeMode": "ok", "proof": "ok", "status": status}
    assert all(r["checks"] == checks for r in results)


@pytest.mark.parametrize("name", ["zh", "en", "did-key"])
def test_accepts_an_issued_transcript_and_every_nested_credential(
    verdicts: Verdicts, bank: Bank, name: str
) -> None:
    transcript = verdicts.inputs[name]
    method = transcript["proof"][0]["verificationMethod"]
    assert method.startswith("did:key:" if name == "did-key" else "did:web:")
    kinds = sorted(c["credentialSubject"]["recordKind"] for c in nested(transcript))
    transfers = len(bank.transfer_ids)
    assert transfers >= 2
    assert kinds == sorted([*(kind for kind in KINDS for _ in range(3)), *["transfer"] * transfers])
    count = 12 + transfers
    results = verdicts.results[name]
    _accepted(results, count)
    index = list(verdicts.inputs).index(name)
    assert [r["path"] for r in results] == [
        f"$[{index}]",
        *(f"$[{index}].credentialSubject.verifiableCredential[{i}]" for i in range(count)),
    ]
    assert [r["id"] for r in results[1:]] == [c["id"] for c in nested(transcript)]


def test_accepts_a_transcript_signed_before_a_key_rotation(verdicts: Verdicts, bank: Bank) -> None:
    old = verdicts.inputs["before-rotation"]["proof"][0]["verificationMethod"]
    assert old != bank.issuer().method_id
    _accepted(verdicts.results["before-rotation"], ONE_OF_EACH)


def test_accepts_each_record_credential_on_its_own(verdicts: Verdicts) -> None:
    # Each record's credential names its own contexts, so it verifies outside the transcript.
    for i in range(len(nested(verdicts.inputs["zh"]))):
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
    assert len(results) == ONE_OF_EACH + 1
    assert all(any("Invalid signature" in e for e in r["errors"]) for r in results)


def test_refuses_a_did_web_transcript_without_the_did_document(bank: Bank) -> None:
    status, results = run_verifier([bank.issue(one_of_each=True)])
    assert status == 1
    assert len(results) == ONE_OF_EACH + 1
    assert all(
        any("DID not known to this offline verifier" in e for e in r["errors"]) for r in results
    )


def test_rejects_an_expired_transcript(bank: Bank, did_file: Path) -> None:
    transcript = bank.issue(one_of_each=True)
    later = (bank.now + timedelta(days=91)).isoformat()
    status, results = run_verifier(
        [transcript], args=["--now", later, "--did-document", str(did_file)]
    )
    assert status == 1
    assert len(results) == ONE_OF_EACH + 1
    assert all(any("validUntil" in e for e in r["errors"]) for r in results)


def _list_id(credential: Credential) -> int:
    return int(credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1])


def test_checks_revocation_against_the_bank_status_lists(
    bank: Bank, did_file: Path, tmp_path: Path
) -> None:
    live = bank.issue(one_of_each=True)
    revoked = bank.issue(one_of_each=True)
    revoke_transcript(
        bank.web.ledger,
        bank.web.issuer_identity(),
        revoked["id"].removeprefix("urn:uuid:"),
        bank.learner,
        reason="interop test",
        now=bank.now,
    )
    args = ["--did-document", str(did_file)]
    for list_id in sorted({_list_id(live), _list_id(revoked)}):
        path = tmp_path / f"status-{list_id}.json"
        document = status_list_document(bank.web.engine, list_id)
        path.write_text(json.dumps(document), encoding="utf-8")
        args += ["--status-list", str(path)]
    verdicts = verify_all({"live": live, "revoked": revoked}, args)
    assert verdicts.status == 1
    _accepted(verdicts.results["live"], ONE_OF_EACH, status="ok")
    results = verdicts.results["revoked"]
    assert results[0]["checks"] == {"safeMode": "ok", "proof": "ok", "status": "revoked"}
    assert not results[0]["verified"]


def test_refuses_a_status_list_another_key_signed(
    bank: Bank, did_file: Path, tmp_path: Path
) -> None:
    transcript = bank.issue(one_of_each=True)
    issuer = bank.issuer()
    forger = did_key_issuer(bank.now)
    forged = status_list_credential(
        public_url=PUBLIC_URL,
        list_id=_list_id(transcript),
        revoked=[],
        issuer=issuer.did,
        method_id=issuer.method_id,
        private_key=forger.private_key,
        now=bank.now,
    )
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    status, results = run_verifier(
        [transcript], args=["--did-document", str(did_file), "--status-list", str(path)]
    )
    assert status == 1
    assert results[0]["checks"]["status"] == "failed"
    assert any("not verified" in e for e in results[0]["errors"])
