"""Reading a contact list: CSV (UTF-8, or GBK/GB18030 as Excel saves "CSV" on Windows) or
Excel (.xlsx). Columns: 单位 or 领导 (one of them per row), 岗位, 姓名, 企业微信账号, 手机号,
接收渠道 (e.g. "企业微信、短信"), 免打扰豁免 (是/否), and optionally OA账号.

All or nothing: every bad row is named in Chinese and nothing is imported."""

from __future__ import annotations

import csv
import io

from services.notify.contacts.phones import normalise_mobile
from services.notify.contacts.service import DEFAULT_POST, ContactData
from services.notify.errors import Invalid
from shared.contracts import limits
from shared.spreadsheets import UnreadableTable, table_text

CHANNEL_WORDS = {
    "企业微信": "wecom_app",
    "企业微信应用": "wecom_app",
    "wecom_app": "wecom_app",
    "群机器人": "wecom_robot",
    "机器人": "wecom_robot",
    "wecom_robot": "wecom_robot",
    "短信": "sms",
    "sms": "sms",
    "OA": "oa_todo",
    "oa": "oa_todo",
    "OA待办": "oa_todo",
    "oa_todo": "oa_todo",
}
YES = {"是", "y", "yes", "true", "1", "豁免"}
NO = {"", "否", "n", "no", "false", "0"}
MAX_ROWS = 5000


def channel_names(cell: str) -> list[str]:
    """ "企业微信、短信" → ["wecom_app", "sms"]; ValueError naming an unknown word."""
    names: list[str] = []
    for word in cell.replace("，", "、").replace(",", "、").replace(";", "、").split("、"):
        word = word.strip()
        if not word:
            continue
        if word not in CHANNEL_WORDS:
            known = "、".join(w for w in CHANNEL_WORDS if not w.isascii())
            raise ValueError(f"接收渠道“{word}”无法识别（可填：{known}）")
        if CHANNEL_WORDS[word] not in names:
            names.append(CHANNEL_WORDS[word])
    return names


def read_contacts_file(data: bytes) -> list[ContactData]:
    return parse_contacts_csv(_table(data))


def _cell(row: dict[str, str | None], *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def parse_contacts_csv(text: str) -> list[ContactData]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = set(reader.fieldnames or ())
    if not headers & {"单位", "领导"} or "姓名" not in headers:
        raise Invalid("文件缺少表头：至少需要“单位”或“领导”列，以及“姓名”列")
    rows: list[ContactData] = []
    errors: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise Invalid(f"一次最多导入 {MAX_ROWS} 行")
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        problems: list[str] = []
        unit, leader = _cell(row, "单位"), _cell(row, "领导")
        if bool(unit) == bool(leader):
            problems.append("“单位”与“领导”须填且只填一项")
        owner_kind, owner = ("unit", unit) if unit else ("leader", leader)
        post = _cell(row, "岗位") or (DEFAULT_POST if unit else "本人")
        name = _cell(row, "姓名")
        if not name:
            problems.append("缺少姓名")
        mobile_cell = _cell(row, "手机号", "手机")
        mobile = None
        if mobile_cell:
            try:
                mobile = normalise_mobile(mobile_cell)
            except ValueError as exc:
                problems.append(str(exc))
        userid = _cell(row, "企业微信账号", "企业微信")
        try:
            channels = channel_names(_cell(row, "接收渠道"))
        except ValueError as exc:
            problems.append(str(exc))
            channels = []
        exempt_word = _cell(row, "免打扰豁免").lower()
        if exempt_word not in YES | NO:
            problems.append(f"免打扰豁免“{exempt_word}”应填“是”或“否”")
        if not (mobile or userid or _cell(row, "OA账号")):
            problems.append("企业微信账号、手机号至少填一项")
        lengths = ((owner, limits.UNIT_NAME, "单位/领导"), (post, 60, "岗位"), (name, 50, "姓名"))
        problems += [f"{what}超过 {n} 个字符" for value, n, what in lengths if len(value) > n]
        if len(userid) > 64:
            problems.append("企业微信账号超过 64 个字符")
        key = (owner_kind, owner, post)
        if key in seen and owner:
            problems.append(f"与第 {seen[key]} 行重复（{owner}的{post}）")
        seen.setdefault(key, line)
        if problems:
            errors.append(f"第 {line} 行：" + "；".join(problems))
            continue
        rows.append(
            ContactData(
                owner_kind,
                owner,
                post,
                name,
                userid or None,
                mobile,
                _cell(row, "OA账号") or None,
                channels,
                exempt_word in YES,
            )
        )
    if errors:
        raise Invalid(f"导入失败，{len(errors)} 行有误，未导入任何联系人", errors)
    if not rows:
        raise Invalid("文件中没有联系人")
    return rows


def _table(data: bytes) -> str:
    try:
        return table_text(data)
    except UnreadableTable as exc:
        raise Invalid(str(exc)) from None
