"""Every internal code in words: one catalogue, keyed by vocabulary and code, in zh and en.

The closed vocabularies of the domain (roles, statuses, document kinds, grade scales, ledger
entry kinds …) are ``StrEnum`` s spread over the packages; their codes go into JSON, SQL and
the ledger, never in front of a reader. This module, at the bottom of the import layers,
holds their labels so that the web pages, the PDF and the command line all say the same
words. It imports nothing of the project: a vocabulary is named by its class name, and
:func:`label` takes any ``StrEnum`` member. The outcome vocabularies of
:mod:`creditbank.records.vocabulary` read their labels from here (``Vocabulary.label``). A
test checks that every vocabulary of the code is labelled here, member by member.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Literal

Lang = Literal["zh", "en"]


# vocabulary (its class name) → code → (zh, en)
CATALOGUE: dict[str, dict[str, tuple[str, str]]] = {
    # The outcome vocabularies (creditbank.records.vocabulary), and institutions' kinds.
    "Level": {
        "zhongzhi": ("中职", "secondary vocational"),
        "putong_gaozhong": ("普通高中", "general high school"),
        "gaozhi": ("高职/专科", "higher vocational"),
        "benke": ("本科", "bachelor"),
    },
    # How a course's grade was earned: at the regular exam or at a make-up (补考).
    "Attempt": {
        "regular": ("正考", "regular exam"),
        "makeup": ("补考", "make-up exam"),
    },
    "InstitutionKind": {
        "zhongzhi_school": ("中职学校", "secondary vocational school"),
        "putong_gaozhong_school": ("普通高中", "general upper-secondary school"),
        "gaozhi_college": ("高职院校", "higher vocational college"),
        "university": ("本科院校", "university"),
        "enterprise": ("企业", "enterprise"),
        "training_organisation": ("培训机构", "training organisation"),
        "evaluation_organisation": (
            "1+X 培训评价组织",
            "1+X training and evaluation organisation",
        ),
    },
    "OutcomeKind": {
        "course": ("课程", "course"),
        "certificate": ("证书", "certificate"),
        "training": ("培训", "training"),
        "award": ("竞赛获奖", "competition award"),
    },
    "CertificateType": {
        "one_plus_x": (
            "1+X 职业技能等级证书",
            "1+X vocational skill-level certificate",
        ),
        "vocational_qualification": ("职业资格证书", "vocational qualification"),
        "other": ("其他证书", "other certificate"),
    },
    "CertificateLevel": {
        "chuji": ("初级", "elementary"),
        "zhongji": ("中级", "intermediate"),
        "gaoji": ("高级", "advanced"),
    },
    "CompetitionLevel": {
        "school": ("校级", "school"),
        "municipal": ("市级", "municipal"),
        "provincial": ("省级", "provincial"),
        "national": ("国家级", "national"),
    },
    "AwardRank": {
        "first_prize": ("一等奖", "first prize"),
        "second_prize": ("二等奖", "second prize"),
        "third_prize": ("三等奖", "third prize"),
        "honourable_mention": ("优秀奖", "honourable mention"),
        "gold": ("金牌", "gold medal"),
        "silver": ("银牌", "silver medal"),
        "bronze": ("铜牌", "bronze medal"),
    },
    "Region": {
        "chongqing": ("重庆", "Chongqing"),
        "sichuan": ("四川", "Sichuan"),
        "other": ("其他地区", "other region"),
    },
    # Everything else a person may meet.
    "DocumentKind": {
        "resident_id": ("居民身份证", "resident identity card"),
        "passport": ("护照", "passport"),
        "hk_macao_permit": ("港澳居民来往内地通行证", "Mainland travel permit (Hong Kong/Macao)"),
        "taiwan_permit": ("台湾居民来往大陆通行证", "Mainland travel permit (Taiwan)"),
        "hmt_residence_permit": ("港澳台居民居住证", "residence permit (HK/Macao/Taiwan)"),
    },
    "Sex": {"male": ("男", "male"), "female": ("女", "female")},
    "Role": {
        "poster": ("登记员", "poster"),
        "registrar": ("教务员", "registrar"),
        "admin": ("机构管理员", "institution admin"),
    },
    "RecordStatus": {"active": ("有效", "active"), "revoked": ("已撤销", "revoked")},
    "Action": {
        "posted": ("登记", "posted"),
        "corrected": ("更正", "corrected"),
        "revoked": ("撤销", "revoked"),
        "moved": ("并户转入", "moved on merge"),
    },
    "GradeScale": {
        "percent": ("百分制", "percentage"),
        "five_level": ("五级制", "five-level scale"),
        "two_level": ("二级制（合格/不合格）", "pass/fail"),
        "gpa4": ("四分制绩点", "GPA (4-point)"),
        "gpa5": ("五分制绩点", "GPA (5-point)"),
        "letter": ("字母等级", "letter grades"),
        "ects": ("欧洲学分互认等级（ECTS）", "ECTS grades"),
        "ten_point": ("十分制", "10-point scale"),
    },
    "KeyStatus": {
        "pending": ("待机构确认", "pending acceptance"),
        "bootstrap": ("初始密钥（仅可换发）", "bootstrap (exchange only)"),
        "active": ("有效", "active"),
        "revoked": ("已吊销", "revoked"),
    },
    "Issuer": {
        "operator": ("银行运营人员", "the bank's operator"),
        "institution": ("机构管理员", "the institution's admin"),
        "legacy": ("未记录（早期密钥）", "not recorded (an early key)"),
    },
    "VerdictClass": {
        "erased": ("学习者数据已删除", "learner's data erased"),
        "valid": ("有效", "valid"),
        "revocation_not_checked": ("未检查撤销状态", "revocation not checked"),
        "revoked": ("已撤销", "revoked"),
        "expired": ("已过期", "expired"),
        "not_yet_valid": ("尚未生效", "not yet in force"),
        "altered": ("已被篡改", "altered"),
        "issuer_not_trusted": ("签发机构不可信", "issuer not trusted"),
        "status_unavailable": ("取不到撤销状态", "status unavailable"),
    },
    "RevocationCategory": {
        "learner_data_erased": ("学习者的数据已删除", "the learner's data was erased"),
        "withdrawn_by_learner": ("学习者本人撤回", "withdrawn by the learner"),
        "record_changed": ("其中一条记录已被更正或撤销", "a record on it was corrected or revoked"),
        "transfer_superseded": (
            "其中一项学分认定已被新的评估取代",
            "a recognised transfer on it was superseded",
        ),
    },
    "ConsentScope": {
        "read": ("仅查看", "read only"),
        "evaluate": ("查看并评估", "read and evaluate"),
    },
    "Assurance": {
        "self_asserted": ("本人登记，未核验", "self-asserted, not verified"),
        "institution_verified": ("已由院校核验", "verified by an institution"),
    },
    # Why an account was closed: the learner's request or a ground of PIPL article 47.
    "ClosureGround": {
        "learner_request": ("学习者本人申请注销", "the learner asked for it"),
        "purpose_achieved": (
            "处理目的已实现、无法实现或不再必要",
            "the purpose was achieved, cannot be achieved or is no longer needed",
        ),
        "service_ended": (
            "停止提供服务或保存期限届满",
            "the service ended or the retention period ran out",
        ),
        "unlawful_processing": (
            "违反法律法规或约定处理",
            "processing broke the law or the agreement",
        ),
        "other_legal": ("法律、行政法规规定的其他情形", "another ground the law provides"),
        "retention_expired": (
            "长期未激活，按保存期限注销",
            "never activated, closed by the retention rule",
        ),
    },
    "RetentionKind": {
        "closed_account": (
            "注销账户（删除前的宽限期）",
            "closed account (grace period before erasure)",
        ),
        "notice": ("通知", "notice"),
        "learner_token": ("登录令牌", "sign-in token"),
        "unactivated_account": ("未激活账户", "account never activated"),
    },
    # The columns of a cohort's results (cohorts.service.HEADER) and a name column the web
    # download adds for learners the registrar may read.
    "CohortColumn": {
        "learner_id": ("学习者编号", "learner id"),
        "learner_name": ("姓名", "name"),
        "recognised_credits": ("已认定学分", "recognised credits"),
        "remaining_credits": ("尚需学分", "credits remaining"),
        "missing_courses": ("尚缺课程", "missing courses"),
        "result_hash": ("结果哈希", "result hash"),
        "skipped": ("未评估原因", "not evaluated because"),
    },
    # A registrar's decision in one evaluation (its ``type`` in the API).
    "ExceptionType": {
        "force": ("强制认定", "force"),
        "waive": ("免修", "waive"),
        "exclude": ("排除记录", "exclude a record"),
        "cap": ("设定上限", "set a cap"),
        "credits": ("设定课程学分", "set a course's credits"),
    },
    # The caps a registrar may set for one learner (rules.evaluate.CAP_NAMES), the fixed ones.
    "CapName": {
        "total_credits": ("认定总学分上限", "total credits recognised"),
        "per_institution": ("每所来源机构的上限", "per source institution"),
        "per_academic_year": ("每学年的上限", "per academic year"),
        "certificates": ("证书认定的上限", "recognised through certificates"),
    },
    "ApplicationState": {
        "applied": ("已申请，待审核", "applied, awaiting review"),
        "in_notice": ("审核通过，公示中", "approved, on public notice"),
        "recognised": ("已认定", "recognised"),
        "rejected": ("未通过", "rejected"),
    },
    # Why a recognised transfer went under review.
    "ChangeKind": {
        "record_corrected": ("所依据的记录已被更正", "a record it relied on was corrected"),
        "record_revoked": ("所依据的记录已被撤销", "a record it relied on was revoked"),
        "consent_withdrawn": (
            "学习者撤回了对认定机构的评估授权",
            "the learner withdrew the evaluate consent it relied on",
        ),
    },
    "EntryKind": {
        "learner.closed": ("学习账户注销", "learning account closed"),
        "learner.erased": ("学习者个人数据删除", "learner's personal data erased"),
        "retention.applied": ("按保存期限清理", "retention applied"),
        "transfer.under_review": ("转换学分进入复查", "transfer under review"),
        "transfer.confirmed": ("复查后确认转换学分", "transfer confirmed after review"),
        "application.step": ("学分认定申请步骤", "recognition application step"),
        "application.objection": ("公示期异议", "objection during public notice"),
        "institution.registered": ("机构加入", "institution registered"),
        "institution.key_added": ("机构签名密钥添加", "institution signing key added"),
        "institution.key_revoked": ("机构签名密钥吊销", "institution signing key revoked"),
        "institution.updated": ("机构信息更新", "institution updated"),
        "institution.left": ("机构退出", "institution left"),
        "delegation.granted": ("授予代为登记委托", "delegation granted"),
        "delegation.ended": ("结束代为登记委托", "delegation ended"),
        "learner.opened": ("开设学习账户", "learning account opened"),
        "learner.registration": ("学习者自行注册", "learner registered"),
        "learner.claim_set_aside": ("搁置身份认领", "identity claim set aside"),
        "learner.merged": ("合并学习账户", "learning accounts merged"),
        "record.posted": ("登记学习成果", "record posted"),
        "record.corrected": ("更正学习成果", "record corrected"),
        "record.revoked": ("撤销学习成果", "record revoked"),
        "consent.granted": ("授权", "consent granted"),
        "consent.withdrawn": ("撤回授权", "consent withdrawn"),
        "consent.expired": ("授权到期", "consent expired"),
        "policy.published": ("发布认定政策", "policy published"),
        "evaluation.committed": ("提交学分认定评估", "evaluation committed"),
        "override.recorded": ("记录人工认定", "manual decision recorded"),
        "transfer.recognised": ("认定转换学分", "transfer recognised"),
        "transfer.superseded": ("学分认定被取代", "transfer superseded"),
        "transcript.issued": ("签发成绩单", "transcript issued"),
        "transcript.revoked": ("撤销成绩单", "transcript revoked"),
        "log.key_rotated": ("轮换账本签名密钥", "log signing key rotated"),
        "client.issued": ("签发 API 密钥", "API key issued"),
        "client.accepted": ("确认 API 密钥", "API key accepted"),
        "client.revoked": ("吊销 API 密钥", "API key revoked"),
        "operator.signed_in": ("运营人员登录", "operator signed in"),
        "issuer.key_rotated": ("轮换成绩单签发密钥", "transcript signing key rotated"),
        "learner.data_exported": ("下载本人数据副本", "copy of the learner's data downloaded"),
        "correction.requested": ("申请更正记录", "correction requested"),
        "correction.answered": ("答复更正申请", "correction answered"),
    },
    "RoundingMode": {
        "half_up": ("四舍五入", "round half up"),
        "down": ("向下取整", "round down"),
    },
    "Combine": {
        "sum": ("累加", "add up"),
        "sum_distinct": ("同名只计一次（取最大）", "add up, same titles once (the largest)"),
    },
    "Below": {
        "nothing": ("不认定", "nothing"),
        "proportional": ("按比例认定", "in proportion"),
    },
    "Grant": {
        "target": ("目标课程学分", "the target course's credits"),
        "min": ("取较小值", "the smaller of the two"),
    },
    "YearBasis": {
        "completed_on": ("完成日期", "date completed"),
        "term": ("学期", "term"),
    },
    "Recipient": {
        "learner": ("学习者", "learner"),
        "institution": ("机构", "institution"),
    },
    "NoticeKind": {
        "transfers_under_review": ("学分转换正在复查", "transfers under review"),
        "transfer_confirmed": ("复查后学分转换继续有效", "transfer confirmed"),
        "application_changed": ("认定申请状态更新", "application changed"),
        "objection_lodged": ("公示期收到异议", "objection lodged"),
        "transcript_revoked": ("成绩单已撤销", "transcript revoked"),
        "transfers_superseded": ("学分认定被取代", "transfers superseded"),
        "evaluation_decided": ("学分认定已作出", "evaluation decided"),
        "appeal_decided": ("申诉已裁决", "appeal decided"),
        "consent_expiring": ("授权即将到期", "consent about to expire"),
        "key_issued": ("已签发密钥", "key issued"),
        "correction_requested": ("收到更正申请", "correction requested"),
        "correction_answered": ("更正申请已答复", "correction answered"),
    },
    # How a policy's version is chosen for a learner (creditbank.rules.policy).
    "AppliesBy": {
        "evaluation_date": ("按评估日期选版本", "by evaluation date"),
        "entry_date": ("按入学日期选版本", "by entry date"),
        "intake": ("按入学年级选版本", "by intake year"),
    },
    # What a registrar read of a learner's account (creditbank.auth.access_log).
    "ReadKind": {
        "account": ("账户信息", "your account"),
        "records": ("成果列表", "your list of records"),
        "record": ("一条成果记录", "one record"),
        "transfers": ("认定的转换学分", "your recognised transfers"),
        "evaluation-what-if": ("试算评估（未记录）", "a what-if evaluation (not recorded)"),
        "evaluation": ("学分转换评估", "a credit-transfer evaluation"),
        "cohort-evaluation": ("批量评估", "a cohort evaluation"),
    },
    # Where a learner's request to correct a record stands (creditbank.rights.corrections).
    "CorrectionStatus": {
        "open": ("待答复", "awaiting the answer"),
        "corrected": ("已更正", "corrected"),
        "revoked": ("已撤销记录", "record revoked"),
        "declined": ("不予更正", "declined"),
    },
    # A cohort evaluation's background job (creditbank.cohorts).
    "CohortStatus": {
        "queued": ("排队中", "queued"),
        "running": ("运行中", "running"),
        "done": ("已完成", "done"),
        "failed": ("失败", "failed"),
    },
    # The scheduled jobs (creditbank.wiring registers them by these names).
    "Job": {
        "audit-partition": ("轮流审计一个账本分区", "audit one log partition in turn"),
        "partitions": ("提前创建账本分区", "create log partitions ahead"),
        "erase-closed": (
            "删除宽限期已满的注销账户数据",
            "erase closed accounts past their grace period",
        ),
        "retention": ("按保存期限清理数据", "apply the retention periods"),
        "checkpoint": ("签署账本检查点", "sign a log checkpoint"),
        "audit": ("增量审计账本", "audit the log's new entries"),
        "audit-full": ("全量审计账本", "audit the whole log"),
        "expire-consents": ("记录到期的授权", "record expired consents"),
        "consent-reminders": ("提醒即将到期的授权", "remind learners of consents ending soon"),
        "outbox": ("发送通知邮件", "e-mail notices"),
        "flag-certificates": ("标记过期证书", "flag expired certificates"),
        "prune-job-runs": ("清理旧的运行记录", "delete old job runs"),
        "status-lists": ("重新签名状态列表", "re-sign status lists"),
        "backup": ("备份账本", "back up the log"),
        "cohorts": ("运行批量评估", "run cohort evaluations"),
        "dashboard": ("更新驾驶舱指标", "update the dashboard's figures"),
    },
    # A scheduled job's run (creditbank.operations): not a StrEnum, the strings of its table.
    "JobRunStatus": {
        "ok": ("成功", "ok"),
        "error": ("失败", "error"),
        "running": ("运行中", "running"),
        "abandoned": ("已中止", "abandoned"),
    },
    # A verification check's outcome (creditbank.transcripts.verify).
    "CheckOutcome": {
        "passed": ("通过", "passed"),
        "failed": ("未通过", "failed"),
        "skipped": ("未检查", "not checked"),
    },
}


def label(value: StrEnum | str | None, lang: Lang = "zh", vocabulary: str | None = None) -> str:
    """The words for a code in ``lang``: an enum member, or a plain code of ``vocabulary``.

    An unknown code comes back as it is (the test of this module sees that none is left out).
    """
    if value is None:
        return "—"
    name = vocabulary or type(value).__name__
    pair = CATALOGUE.get(name, {}).get(str(value))
    if pair is None:
        return str(value)
    return pair[0] if lang == "zh" else pair[1]


def has_label(value: StrEnum | str, vocabulary: str | None = None) -> bool:
    """Whether a code (an enum member, or a plain code of ``vocabulary``) has words here."""
    return str(value) in CATALOGUE.get(vocabulary or type(value).__name__, {})


def all_labels() -> Iterator[tuple[str, str]]:
    """Every (zh, en) pair of the catalogue."""
    for codes in CATALOGUE.values():
        yield from codes.values()
