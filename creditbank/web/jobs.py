"""How the administration pages word scheduled jobs and their runs, in both languages."""

from __future__ import annotations

from datetime import datetime

from creditbank.operations.jobs import Daily, JobSpec
from creditbank.web.i18n import CHINA, tr

# Chinese titles of the registered jobs; a job not listed here shows its registry description.
TITLES_ZH = {
    "checkpoint": "签署账本检查点",
    "audit": "增量审计账本",
    "audit-full": "全量审计账本",
    "audit-partition": "轮流审计一个账本分区",
    "partitions": "提前创建账本分区",
    "expire-consents": "记录到期的授权",
    "flag-certificates": "标记过期证书",
    "prune-job-runs": "清理旧的运行记录",
    "status-lists": "重新签名状态列表",
    "backup": "备份账本",
    "cohorts": "运行批量评估",
    "dashboard": "更新驾驶舱指标",
}
STATUSES = ("ok", "error", "running", "abandoned")
_STATUS_TEXT = {
    "ok": ("成功", "ok"),
    "error": ("失败", "error"),
    "running": ("运行中", "running"),
    "abandoned": ("已中止", "abandoned"),
}


def title(spec: JobSpec) -> str:
    """The job's short title in the language of this request."""
    return tr(TITLES_ZH.get(spec.name, spec.description), spec.description)


def schedule(spec: JobSpec) -> str:
    """When the job runs, in words."""
    trigger = spec.trigger
    if isinstance(trigger, Daily):
        beijing = (trigger.hour + 8) % 24
        return tr(
            f"每天 UTC {trigger.hour:02d}:00（北京时间 {beijing:02d}:00）",
            f"daily at {trigger.hour:02d}:00 UTC ({beijing:02d}:00 Beijing time)",
        )
    return tr(f"每 {trigger.seconds:g} 秒", f"every {trigger.seconds:g} s")


def status_text(status: str) -> str:
    """A run's status in words."""
    zh, en = _STATUS_TEXT.get(status, (status, status))
    return tr(zh, en)


def age(seconds: float) -> str:
    """A duration as people read it: 4 秒, 3 分钟, 2 小时."""
    whole = int(seconds)
    if whole < 120:
        return tr(f"{whole} 秒", f"{whole} s")
    if whole < 2 * 3600:
        return tr(f"{whole // 60} 分钟", f"{whole // 60} min")
    if whole < 2 * 86400:
        return tr(f"{whole // 3600} 小时", f"{whole // 3600} h")
    return tr(f"{whole // 86400} 天", f"{whole // 86400} days")


def took(started: datetime, finished: datetime | None) -> str:
    """How long a run took (— while it runs)."""
    if finished is None:
        return "—"
    seconds = (finished - started).total_seconds()
    return tr(f"{seconds:.2f} 秒", f"{seconds:.2f} s") if seconds < 120 else age(seconds)


def exact(moment: datetime | None) -> str:
    """A time to the second in UTC+8 (runs a few seconds apart must read apart)."""
    if moment is None:
        return "—"
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+8)"
