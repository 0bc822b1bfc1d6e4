"""Attachments (附件): where a notice's own body ends and its task list begins.

Many notices are a short covering letter (its own requirements, signature and date) with
the task list as 附件 after it. The list is what is to be parsed; the letter is preamble.
"""

from __future__ import annotations

import re

_ATTACHMENT_LINE = re.compile(
    r"^附\s*件\s*[\d一二三四五六七八九十]*\s*[：:]?\s*(?P<title>[^。；]{0,60})$"
)
_MENTION = re.compile(r"附件|见附表|详见附表|任务分解表|任务清单")


def attachment_starts(lines: list[str]) -> list[int]:
    """Indices of lines that open an attachment ("附件", "附件1", "附件：…分解表")."""
    return [index for index, line in enumerate(lines) if _ATTACHMENT_LINE.match(line.strip())]


def announces_attachment(lines: list[str]) -> bool:
    """True when the text refers to an attachment or a task table it may not contain."""
    return any(_MENTION.search(line) for line in lines)
