"""Each verification check in words, Chinese and English: its name and what it compares.

A reader of a verdict should see what was compared, in their own language, before the
verifier's technical detail; the texts live beside the checks so every edge says the same.
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["passed", "failed", "skipped"]

CHECK_NAMES: dict[str, tuple[str, str]] = {
    "credential shape": ("成绩单格式", "the transcript's format"),
    "issuer key": ("签发机构密钥", "the issuer's key"),
    "outer signature": ("成绩单签名", "the transcript's signature"),
    "nested signatures": ("各条记录的签名", "each record's signature"),
    "record content": ("记录内容", "the records' content"),
    "authorship": ("登记机构与来源", "who posted each record, and from whom"),
    "commitment opening": ("记录与账本承诺一致", "the records match the ledger's commitments"),
    "inclusion proof": (
        "记录在账本中（包含证明）",
        "the records are in the ledger (inclusion proof)",
    ),
    "checkpoint signature": ("账本检查点签名", "the ledger checkpoint's signature"),
    "checkpoint consistency": ("检查点与账本一致", "the checkpoint is consistent with the ledger"),
    "validity dates": ("有效期", "validity dates"),
    "status": ("未被撤销", "not revoked"),
    "witness cosignatures": ("见证方联署", "witness cosignatures"),
}

COMPARED: dict[str, tuple[str, str]] = {
    "credential shape": (
        "将成绩单的 @context 与类型同 W3C VC 2.0、CLR 2.0（或单条记录的 Open Badges 3.0）"
        "比较，并查找其中的记录凭证",
        "compared the @context and type with W3C VC 2.0 and CLR 2.0 (Open Badges 3.0 for a "
        "single record) and looked for the record credentials",
    ),
    "issuer key": (
        "将每个签名所用的验证方法与可信签发机构的密钥比较：是否在信任列表中、由签发机构控制、签名时有效",
        "compared each proof's verification method with the trusted issuer's keys: listed, "
        "controlled by the issuer, in force when it signed",
    ),
    "outer signature": (
        "用签发机构的公钥验证成绩单整体的 Ed25519 签名（eddsa-jcs-2022）",
        "checked the transcript's Ed25519 signature (eddsa-jcs-2022) with the issuer's key",
    ),
    "nested signatures": (
        "用签发机构的公钥逐条验证每条记录凭证的签名",
        "checked each record credential's signature with the issuer's key",
    ),
    "record content": (
        "将每条记录的名称、成绩、学分、学时、学期、日期和学习者与账本中承诺的记录逐项比较",
        "compared each record's title, result, credits, hours, term, dates and learner with "
        "the record committed in the ledger",
    ),
    "authorship": (
        "核对每条记录的登记机构与来源机构；二者不同时，核对账本中来源机构授予登记机构的委托"
        "（类别、生效期）和登记机构对该条记录的签名",
        "compared each record's poster with its source; where they differ, checked the "
        "delegation the source granted the poster in the ledger (kinds, dates) and the "
        "poster's signature over the record",
    ),
    "commitment opening": (
        "用盐值和记录内容重新计算承诺值，与账本条目中的承诺值比较",
        "recomputed each commitment from its salt and record and compared it with the ledger "
        "entry's",
    ),
    "inclusion proof": (
        "由包含证明算出账本的树根，与检查点中的树根比较",
        "computed the ledger's root from each inclusion proof and compared it with the "
        "checkpoint's root",
    ),
    "checkpoint signature": (
        "用可信的账本公钥验证检查点的签名",
        "checked the checkpoint's signature with the log's trusted keys",
    ),
    "checkpoint consistency": (
        "用一致性证明核对成绩单中的检查点是账本最新检查点的前缀",
        "checked with a consistency proof that the transcript's checkpoint is a prefix of the "
        "ledger's latest",
    ),
    "validity dates": (
        "将有效期（生效与截止时间）与当前时间比较",
        "compared the validity period (from, until) with the time now",
    ),
    "status": (
        "在签发机构签名的撤销状态列表中查看这份成绩单对应的位",
        "looked up the transcript's bit in the issuer's signed status list",
    ),
    "witness cosignatures": (
        "核对所要求的独立见证方对检查点的联署",
        "checked the required independent witnesses' cosignatures on the checkpoint",
    ),
}

_OUTCOMES: dict[Outcome, tuple[str, str]] = {
    "passed": ("结果一致。", "They agree."),
    "failed": ("结果不一致。", "They do not agree."),
    "skipped": ("未能检查。", "This could not be checked."),
}


def check_name(name: str, language: str) -> str:
    """A check's name as people read it."""
    zh, en = CHECK_NAMES.get(name, (name, name))
    return en if language == "en" else zh


def compared(name: str, outcome: Outcome, language: str) -> str:
    """What a check compared and how it came out, in ``language`` (zh or en)."""
    zh, en = COMPARED.get(name, (name, name))
    said_zh, said_en = _OUTCOMES[outcome]
    return f"{en}. {said_en}" if language == "en" else f"{zh}。{said_zh}"
