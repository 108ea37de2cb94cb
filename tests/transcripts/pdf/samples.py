"""Transcript views to render: realistic mixes of records, of any length."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from creditbank.transcripts.view import RecordLine, TranscriptView

VERIFICATION_URL = "https://creditbank.example.cn/verify/K7QM-4XRP-9TWD"

_COURSES = (
    ("机械制图", "Mechanical Drawing", "中职", "92"),
    ("电工电子技术", "Electrical and Electronic Technology", "中职", "良好"),
    ("工业机器人编程与调试", "Industrial Robot Programming and Commissioning", "高职", "88"),
    ("可编程控制器应用技术", "PLC Application Technology", "高职", "优秀"),
    ("高等数学Ⅰ", "Advanced Mathematics I", "本科", "76"),
    ("大学英语", None, "高职", "合格"),
)
_INSTITUTIONS = (
    ("重庆工程职业技术学院", "Chongqing Vocational Institute of Engineering"),
    ("重庆市工业学校", "Chongqing Industrial School"),
    ("四川建筑职业技术学院", None),
    ("重庆科技大学", "Chongqing University of Science and Technology"),
)


def record(index: int) -> RecordLine:
    """The ``index``-th sample record, cycling through the kinds."""
    institution_zh, institution_en = _INSTITUTIONS[index % len(_INSTITUTIONS)]
    ledger_index = 1000 + 37 * index
    match index % 5:
        case 0 | 1:
            name_zh, name_en, level, result = _COURSES[index % len(_COURSES)]
            return RecordLine(
                kind="course",
                name_zh=name_zh,
                name_en=name_en,
                institution_zh=institution_zh,
                institution_en=institution_en,
                level=level,
                result=result,
                result_scale="percent" if result.isdigit() else "five_level",
                credits=Decimal("3.5") if index % 2 else Decimal("4.0"),
                hours=64 if index % 2 else 56,
                term=f"{2022 + index % 3}-{2023 + index % 3}-{1 + index % 2}",
                awarded_on=date(2023 + index % 3, 1 + index % 12, 1 + index % 28),
                ledger_index=ledger_index,
            )
        case 2:
            return RecordLine(
                kind="certificate",
                name_zh="工业机器人操作与运维职业技能等级证书",
                name_en="1+X Industrial Robot Operation and Maintenance",
                institution_zh="北京新奥时代科技有限责任公司",
                institution_en="Beijing Xin'ao Era Technology Co., Ltd.",
                level="中级",
                result="合格",
                credits=Decimal(2),
                hours=None,
                term=None,
                awarded_on=date(2024, 6, 20),
                ledger_index=ledger_index,
            )
        case 3:
            return RecordLine(
                kind="training",
                name_zh="智能制造产线运维企业培训",
                name_en="Smart Manufacturing Line Maintenance (enterprise training)",
                institution_zh="长安汽车培训中心",
                institution_en="Changan Automobile Training Centre",
                level=None,
                result="通过",
                credits=None,
                hours=120,
                term=None,
                awarded_on=date(2024, 8, 15),
                ledger_index=ledger_index,
            )
        case _:
            return RecordLine(
                kind="award",
                name_zh="全国职业院校技能大赛 工业机器人技术应用赛项",
                name_en="National Vocational Skills Competition: Industrial Robotics",
                institution_zh="教育部等",
                institution_en="Ministry of Education et al.",
                level="国家级",
                result="二等奖",
                credits=Decimal("1.5"),
                hours=None,
                term="2023-2024-2",
                awarded_on=date(2024, 5, 12),
                ledger_index=ledger_index,
            )


def view(count: int, *, records: tuple[RecordLine, ...] | None = None) -> TranscriptView:
    """A transcript of ``count`` sample records (or of the records given)."""
    return TranscriptView(
        credential_id="urn:uuid:3f1c2a9e-8b7d-4c6e-9f01-2a3b4c5d6e7f",
        learner_name="李明",
        learner_reference="CB-7Q4M-2XWD",
        issuer_name_zh="成渝地区双城经济圈学分银行",
        issuer_name_en="Chengdu-Chongqing Credit Bank",
        issued_at=datetime(2026, 12, 2, 8, 30, tzinfo=UTC),
        valid_from=datetime(2026, 12, 2, 8, 30, tzinfo=UTC),
        valid_until=datetime(2027, 3, 2, 8, 30, tzinfo=UTC),
        records=records if records is not None else tuple(record(i) for i in range(count)),
        verification_code="K7QM-4XRP-9TWD",
        verification_url=VERIFICATION_URL,
        checkpoint_size=1_048_576,
        checkpoint_root_b64="q5Vd3yC8m0rJtXkV1o9p0Qy2Hn8ZbA4sW6eR7tU3iLc=",
    )
