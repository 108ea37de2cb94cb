"""Demonstration data for a fresh instance: real-sounding 成渝 member institutions.

Loaded by ``scripts/serve`` through ``creditbank demo load``; it does nothing on a log that
already has entries, so restarts never duplicate it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import AppendResult, NewEntry
from creditbank.services import Services


@dataclass(frozen=True)
class DemoInstitution:
    """A member institution as the demo registers it."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    level: str
    region: str


INSTITUTIONS = (
    DemoInstitution(
        "CQ-ZZ-001",
        "重庆市渝北职业教育中心",
        "Chongqing Yubei Vocational Education Centre",
        "zhongzhi_school",
        "zhongzhi",
        "重庆",
    ),
    DemoInstitution(
        "CQ-GZ-001",
        "重庆工程职业技术学院",
        "Chongqing Vocational Institute of Engineering",
        "gaozhi_college",
        "gaozhi",
        "重庆",
    ),
    DemoInstitution(
        "SC-GZ-001",
        "四川工程职业技术学院",
        "Sichuan Engineering Technical College",
        "gaozhi_college",
        "gaozhi",
        "四川",
    ),
    DemoInstitution(
        "CQ-BK-001",
        "重庆科技大学",
        "Chongqing University of Science and Technology",
        "university",
        "benke",
        "重庆",
    ),
    DemoInstitution(
        "CQ-QY-001",
        "重庆长安汽车培训中心",
        "Chongqing Changan Automobile Training Centre",
        "enterprise",
        "gaozhi",
        "重庆",
    ),
    DemoInstitution(
        "BJ-PX-001",
        "工业机器人操作与运维职业技能等级证书评价组织",
        "Industrial Robot Operation and Maintenance 1+X Evaluation Organisation",
        "evaluation_organisation",
        "gaozhi",
        "北京",
    ),
)


def load_demo(services: Services) -> AppendResult | None:
    """Register the demo institutions in an empty log; return None if the log has entries."""
    ledger = services.ledger
    if ledger.head().size > 0:
        return None
    result = ledger.append(
        [
            NewEntry(EntryKind.INSTITUTION_REGISTERED, "bank", asdict(institution))
            for institution in INSTITUTIONS
        ]
    )
    ledger.publish_checkpoint()
    return result
