"""The bounds of the contracts' fields, stated once: the contracts declare them, producers
refuse values beyond them before anything is written, and every consumer's columns are at
least as wide (``String(limits.SECTION)``), so an event that passed its contract is never
refused by a consumer's storage.

They follow what the consumers stored before the bounds were written down (no producer
ever delivered a longer value, so writing them down changed no contract version) and leave
room for what real notices print: the longest heading of the seed notices is 35 characters,
the longest unit name 18. Free-form text (a task, a reason, a report) lives in ``Text``
columns; its bound only keeps one event to a sane size.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

GOVERNMENT_ID = 64  # a government (tenant) id
UUID = 36  # a UUID as text: a document's id, a progress report's
TASK_ID = 80  # a document id and the task's place in it
NUMBER = 40  # a task's number as printed: （二十一）, 3, 总体目标
SECTION = 300  # one heading of the notice, e.g. 一、全面提速建设现代化洛阳都市圈……
TITLE = 500  # a document's title
DOC_NUMBER = 100  # 文号
ISSUER = 200  # 发文机关
UNIT_NAME = 200  # a unit or a group of units, as printed or as in the directory
LEADER_NAME = 50  # 责任领导
ACTOR = 100  # who did it: a token's name, or 系统（…）
DEADLINE_PHRASE = 200  # a time node as printed: 6月底前
TARGET_PHRASE = 300  # a target as printed: 新增就业7400人以上
TARGET_SUBJECT = 200  # what a target measures
TARGET_UNIT = 20  # 亿元, %, 微克/立方米
PERIOD = 20  # a reporting round's name: 2026年第一季度
WORD = 20  # a code word: a status, role or kind (completion_requested is 20)
STEP = 10  # a reminder's step in working days: -5, 0, +1
DEDUP_KEY = 250  # a reminder's key; notify adds "|" and a recipient and keeps it in 500
EVENT_KEY = 300  # an event's key, its aggregate's id: government_id:name is up to 265
TEXT = 20_000  # free-form text: a task, a summary, a reason, a comment, a message
ITEMS = 100  # entries of one list a notice prints for a task: units, leaders, time nodes
YEAR_MIN, YEAR_MAX = 1900, 2100  # a work year; the parser reads 19xx and 20xx

UnitName = Annotated[str, StringConstraints(max_length=UNIT_NAME)]
LeaderName = Annotated[str, StringConstraints(max_length=LEADER_NAME)]
Heading = Annotated[str, StringConstraints(max_length=SECTION)]
Note = Annotated[str, StringConstraints(max_length=TEXT)]
