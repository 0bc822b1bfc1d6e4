"""The rules every view and document counts by, pure and stated once in words
(``RULES_TEXT``): the API returns them beside the figures and docs/reporting.md repeats them.

Some are the tasks service's, applied to what its events say (the task's figure is its
``task_percent``; rounds are named as it names them); the others are reporting's own: what
counts as done, on time, overdue, missing, and where a task stands against 序时进度.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from functools import cache

import chinese_calendar

ACTIVE = ("assigned", "acknowledged", "in_progress", "completion_requested")
DONE = "completed"
WITHDRAWN = "withdrawn"
ANSWERABLE = ("lead", "responsible")  # the roles a unit answers for (配合单位 do not)
GONE = ("returned", "removed")  # an assignment no longer held

STATUS_LABELS = {
    "assigned": "已交办",
    "acknowledged": "已签收",
    "in_progress": "推进中",
    "completion_requested": "申请办结",
    "completed": "已办结",
    "suspended": "已暂停",
    "withdrawn": "已撤销",
}
SIGNAL_LABELS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "已办结"}
ROLE_LABELS = {"lead": "牵头", "responsible": "责任", "cooperating": "配合"}


class Bucket(StrEnum):
    """Where a task (or a unit's share) stands, as circulars print it."""

    DONE = "已完成"
    AHEAD = "超序时进度"
    ON_SCHEDULE = "达序时进度"
    BEHIND = "欠序时进度"


AHEAD_MARGIN = 10  # percentage points above 序时进度 that count as 超序时进度

RULES_TEXT = {
    "task_percent": "任务进度取督办系统任务服务的计算结果：牵头单位和责任单位最近一次报送进度的"
    "平均值（尚未报送的单位按0%计，配合单位和已退回的单位不计），不是任一单位报过的最高值。",
    "schedule": "序时进度＝任务开始日（1月1日、通知成文日、任务登记日中最晚者）到任务期末"
    "（最后时间节点与当年12月31日中较晚者）已过天数的比例，四舍五入取整。",
    "buckets": "已完成：任务已办结（销号）；"
    f"超序时进度：进度高于序时进度{AHEAD_MARGIN}个百分点及以上；"
    "达序时进度：进度不低于序时进度；欠序时进度：进度低于序时进度。"
    "已暂停的任务按进度归类，已撤销的不计。",
    "completion_rate": "完成率＝已办结任务数÷任务总数（不含已撤销）。",
    "on_time_rate": "按时完成率＝在最后时间节点（无节点的按当年12月31日）当日或之前办结的任务数"
    "÷已办结任务数。",
    "overdue": "逾期：任务未办结、未暂停，且最早的时间节点已过（延期后按新日期）；"
    "逾期天数按工作日计"
    "（法定节假日和调休按国务院安排）。",
    "missing": "漏报：本轮（报送日期已过的最近一轮）牵头、责任单位在该轮没有报送进展；"
    "任务开始前截止的轮次不计，已办结、已暂停的任务不计。",
    "signal": "红黄绿灯取任务服务的判定；已办结的任务计为“已办结”，不计红黄灯。",
}


def day(d: date) -> int:
    return d.toordinal()


def work_started(year: int, issued: date | None, registered: date | None) -> date:
    """When the task's work began (the tasks service's rule): the latest of 1 January, the
    notice's date and the day it was registered, counting only dates within its year."""
    dates = [d for d in (issued, registered) if d and d.year == year]
    return max([date(year, 1, 1), *dates])


def expected_percent(today: int, start: int, end: int) -> int:
    """序时进度 on day ``today`` of a period from ``start`` to ``end`` (day numbers), rounded
    half up: the same integer arithmetic the SQL of the views does."""
    if today <= start:
        return 0
    if end <= start:
        return 100
    return min(100, (200 * (today - start) + (end - start)) // (2 * (end - start)))


def bucket(status: str, percent: int, expected: int, margin: int = AHEAD_MARGIN) -> Bucket:
    if status == DONE:
        return Bucket.DONE
    if percent >= expected + margin:
        return Bucket.AHEAD
    return Bucket.ON_SCHEDULE if percent >= expected else Bucket.BEHIND


def period_names(dates: list[date]) -> dict[date, str]:
    """Names of reporting rounds, as the tasks service names them: quarterly sets are
    2026-Q1…Q4; otherwise 6-30 is H1, 9-30 Q3, 12-31 the year (Y), 3-31 Q1, another date its
    month."""
    quarter_ends = [d for d in dates if d.month in (3, 6, 9, 12) and d.day >= 25]
    if len(dates) >= 4 and len(quarter_ends) == len(dates):
        names: dict[date, str] = {}
        for d in sorted(dates):
            quarter = f"{d.year}-Q{d.month // 3}"
            names[d] = f"{d.year}-Y" if quarter in names.values() else quarter
        return names
    named = {(6, 30): "H1", (12, 31): "Y", (3, 31): "Q1", (9, 30): "Q3"}
    return {d: f"{d.year}-{named.get((d.month, d.day), f'{d.month:02d}')}" for d in dates}


def default_rounds(year: int) -> list[date]:
    return [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), date(year, 12, 31)]


PERIOD_LABELS = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度"}
PERIOD_LABELS |= {"H1": "上半年", "Y": "全年"}


def period_label(period: str) -> str:
    """2022-Q3 → 2022年第三季度; 2022-07 → 2022年7月."""
    year, _, part = period.partition("-")
    if part in PERIOD_LABELS:
        return f"{year}年{PERIOD_LABELS[part]}"
    return f"{year}年{int(part)}月" if part.isdigit() else period


@cache
def is_workday(d: date) -> bool:
    """chinesecalendar's answer (statutory holidays and 调休), weekends only for a year it does
    not know. The tasks service adds its administrator's overrides; reporting does not see
    them (they are not events), so a figure may differ on a day an administrator moved."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def workdays_between(a: date, b: date) -> int:
    """Working days in (a, b]: ``workdays_between(due, today)`` is "overdue by N working
    days" (0 on the due day), as the tasks service counts them."""
    if b <= a:
        return 0
    return sum(
        1 for n in range(a.toordinal() + 1, b.toordinal() + 1) if is_workday(date.fromordinal(n))
    )


@dataclass(frozen=True)
class ScoringRule:
    """Points of the unit ranking: each of a unit's answerable shares (牵头、责任) earns the
    points of where it stands, less the penalties; the score is their mean. Outcomes only:
    never log-ins, time online or clicks (the rules against formalism forbid them)."""

    done_on_time: int = 100
    done_late: int = 80
    ahead: int = 90
    on_schedule: int = 80
    behind: int = 50
    overdue_penalty: int = 20
    missing_penalty: int = 10

    def text(self) -> str:
        return (
            f"每项牵头、责任任务计分后取平均：按时办结{self.done_on_time}分，逾期办结{self.done_late}分，"
            f"超序时进度{self.ahead}分，达序时进度{self.on_schedule}分，欠序时进度{self.behind}分；"
            f"时间节点逾期扣{self.overdue_penalty}分，本轮漏报扣{self.missing_penalty}分。"
            "只计工作成效，不计登录次数、在线时长等“痕迹”指标。同分按任务数多者在前。"
        )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def score(self, counts: dict[str, int]) -> float:
        """The mean points over ``counts["tasks"]`` shares, to one decimal."""
        n = counts["tasks"]
        if not n:
            return 0.0
        points = (
            self.done_on_time * counts["done_on_time"]
            + self.done_late * (counts["done"] - counts["done_on_time"])
            + self.ahead * counts["ahead"]
            + self.on_schedule * counts["on_schedule"]
            + self.behind * counts["behind"]
            - self.overdue_penalty * counts["overdue"]
            - self.missing_penalty * counts["missing"]
        )
        return round(points / n, 1)
