"""Chinese numerals to integers, enough for item numbers, months and plain counts.

Notices number items （三十五） and write months 十一月; a dependency such as cn2an is not
needed for numbers below ten thousand.
"""

from __future__ import annotations

DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
POWERS = {"十": 10, "百": 100, "千": 1000}


def chinese_to_int(text: str) -> int | None:
    """Convert "三十五", "十一", "二〇二二" or "12" to an int; None when it is not a numeral."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(ch in DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch in POWERS:
            total += (current or 1) * POWERS[ch]
            current = 0
        else:
            return None
    return total + current
