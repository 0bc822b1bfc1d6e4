"""Leaders named in a heading: "一、常务副县长刘某某负责的工作", "（二）李某副县长分管".

Notices grouped by leader name the leader once, in the section heading, and mean every task
under it until the next heading of the same or higher level. Only the position words of
Chinese local government are used (县长, 副区长, 常委 …), never a particular person.
"""

from __future__ import annotations

import re

_PLACE = "省市县区州盟旗镇乡"
_TITLE = (
    rf"(?:常务)?副?[{_PLACE}]长|[{_PLACE}]委(?:副)?书记|[{_PLACE}]委常委|"
    rf"[{_PLACE}]政府党组(?:副书记|成员)|[{_PLACE}]人大常委会(?:副)?主任|[{_PLACE}]政协(?:副)?主席|"
    r"(?:常务)?副(?:县|区|市)长|秘书长|党组成员|主任"
)
_NAME = r"[\u4e00-\u9fff]{2,3}?"
_NAMES = rf"{_NAME}(?:[、，,和及]{_NAME}){{0,6}}"
_DUTY = r"(?:同志)?(?:负责|分管|牵头|联系|主抓|包抓|领办)"
_TITLE_FIRST = re.compile(rf"(?:{_TITLE})(?P<names>{_NAMES}){_DUTY}")
_NAME_FIRST = re.compile(rf"(?P<names>{_NAMES})(?:同志)?(?:{_TITLE})(?:同志)?{_DUTY}")
HEADING_MAX = 80
_NOT_A_NAME = re.compile(r"^(?:同志|领导|负责|分管|牵头|工作|政府|人民|副|常务)")


def heading_leaders(heading: str) -> list[str]:
    """Names of the leaders a heading puts in charge, or [] when it names none.

    Only the first ``HEADING_MAX`` characters are read: a heading naming leaders is short,
    and a bound keeps a pathological line linear.
    """
    heading = heading[:HEADING_MAX]
    for pattern in (_TITLE_FIRST, _NAME_FIRST):
        match = pattern.search(heading)
        if match:
            names = [n for n in re.split(r"[、，,和及]", match.group("names")) if n]
            if names and not any(_NOT_A_NAME.match(name) for name in names):
                return names
    return []
