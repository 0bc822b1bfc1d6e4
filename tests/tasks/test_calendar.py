"""Working days around Chinese holidays, the State Council notice parser and the data file."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.tasks.calendar import (
    CalendarDataError,
    HolidayNoticeError,
    Override,
    OverridesFileError,
    WorkCalendar,
    dump_csv,
    load_overrides_file,
    looks_like_notice,
    notice_year,
    parse_csv,
    parse_notice,
)

D = date.fromisoformat

NOTICE_2025 = """国务院办公厅关于2025年部分节假日安排的通知
国办发明电〔2024〕12号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　根据《国务院关于修改〈全国年节及纪念日放假办法〉的决定》，经国务院批准，现将2025年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：1月1日（周三）放假1天，不调休。
　　二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
　　三、清明节：4月4日（周五）至6日（周日）放假，共3天。
　　四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
　　五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
　　六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
　　节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。

国务院办公厅
2024年11月11日
"""

NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
国办发明电〔2025〕7号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
　　二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
　　三、清明节：4月4日（周六）至6日（周一）放假，共3天。
　　四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
　　五、端午节：6月19日（周五）至21日（周日）放假，共3天。
　　六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
　　七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
　　节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。

国务院办公厅
2025年11月4日
"""

# Older style (星期六, the year written on the first date), the year of the acceptance test.
NOTICE_2022 = """国务院办公厅关于2022年部分节假日安排的通知
国办发明电〔2021〕11号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2022年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：2022年1月1日至3日放假，共3天。
　　二、春节：1月31日至2月6日放假调休，共7天。1月29日（星期六）、1月30日（星期日）上班。
　　三、清明节：4月3日至5日放假调休，共3天。4月2日（星期六）上班。
　　四、劳动节：4月30日至5月4日放假调休，共5天。4月24日（星期日）、5月7日（星期六）上班。
　　五、端午节：6月3日至5日放假，共3天。
　　六、中秋节：9月10日至12日放假，共3天。
　　七、国庆节：10月1日至7日放假调休，共7天。10月8日（星期六）、10月9日（星期日）上班。
"""

# INVENTED for tests: no 2027 notice exists at the time of writing. Same style as the real ones;
# the weekdays are correct for 2027 and the single-day form (端午节, 中秋节) is exercised.
NOTICE_2027_INVENTED = """国务院办公厅关于2027年部分节假日安排的通知
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：1月1日（周五）至3日（周日）放假，共3天。
　　二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。2月20日（周六）上班。
　　三、清明节：4月3日（周六）至5日（周一）放假，共3天。
　　四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
　　五、端午节：6月9日（周三）放假，共1天。
　　六、中秋节：9月15日（周三）放假，共1天。
　　七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
国务院办公厅
"""

LIBRARY = WorkCalendar()


def by_kind(overrides: list[Override], kind: str) -> set[date]:
    return {o.date for o in overrides if o.kind == kind}


# -- 2022 National Day: 10-01..07 off, Saturday 10-08 and Sunday 10-09 are make-up workdays -----


def test_national_day_2022_add_workdays() -> None:
    assert LIBRARY.add_workdays(D("2022-09-30"), 1) == D("2022-10-08")
    assert LIBRARY.add_workdays(D("2022-09-30"), 2) == D("2022-10-09")
    assert LIBRARY.add_workdays(D("2022-10-10"), -5) == D("2022-09-28")
    assert LIBRARY.add_workdays(D("2022-10-08"), -1) == D("2022-09-30")
    assert LIBRARY.add_workdays(D("2022-10-03"), 0) == D("2022-10-08")
    assert LIBRARY.add_workdays(D("2022-09-30"), 0) == D("2022-09-30")
    assert LIBRARY.next_workday(D("2022-10-01")) == D("2022-10-08")
    assert LIBRARY.previous_workday(D("2022-10-07")) == D("2022-09-30")
    assert LIBRARY.is_workday(D("2022-10-09")) and not LIBRARY.is_workday(D("2022-10-07"))


def test_national_day_2022_workdays_between() -> None:
    assert LIBRARY.workdays_between(D("2022-09-30"), D("2022-09-30")) == 0
    assert LIBRARY.workdays_between(D("2022-09-30"), D("2022-10-07")) == 0
    assert LIBRARY.workdays_between(D("2022-09-30"), D("2022-10-08")) == 1
    assert LIBRARY.workdays_between(D("2022-09-30"), D("2022-10-10")) == 3
    assert LIBRARY.workdays_between(D("2022-10-10"), D("2022-09-30")) == -3
    assert LIBRARY.workdays_between(D("2022-09-26"), D("2022-10-14")) == 11


def test_spring_festival_2026() -> None:
    assert LIBRARY.year_status(2026) == "library"
    assert LIBRARY.add_workdays(D("2026-02-13"), 1) == D("2026-02-14")  # Saturday, 调休上班
    assert LIBRARY.add_workdays(D("2026-02-14"), 1) == D("2026-02-24")
    assert LIBRARY.workdays_between(D("2026-02-14"), D("2026-02-24")) == 1
    assert not any(LIBRARY.is_workday(D("2026-02-15") + timedelta(i)) for i in range(9))


# -- unknown years -------------------------------------------------------------------------------


def test_2027_without_data_is_weekends_only_and_warns() -> None:
    assert LIBRARY.year_status(2027) == "unknown"
    assert LIBRARY.is_workday(D("2027-01-01"))  # a Friday: no guessed holiday
    assert not LIBRARY.is_workday(D("2027-01-02"))
    assert LIBRARY.add_workdays(D("2026-12-31"), 1) == D("2027-01-01")
    warning = "2027年法定节假日安排尚未录入，暂按周末计算工作日；请管理员导入国务院办公厅通知。"
    assert LIBRARY.warnings_for([2026, 2027, 2027]) == [warning]
    assert LIBRARY.warnings_between(D("2026-12-20"), D("2027-01-10")) == [warning]
    assert LIBRARY.warnings_for([2025, 2026]) == []


def test_2027_with_invented_notice_loaded() -> None:
    calendar = WorkCalendar(load_overrides_file(NOTICE_2027_INVENTED))
    assert calendar.year_status(2027) == "admin"
    assert calendar.warnings_for([2027]) == []
    assert calendar.add_workdays(D("2026-12-31"), 1) == D("2027-01-04")
    assert calendar.add_workdays(D("2027-02-04"), 1) == D("2027-02-15")
    assert calendar.is_workday(D("2027-02-20")) and not calendar.is_workday(D("2027-06-09"))
    assert calendar.workdays_between(D("2027-09-30"), D("2027-10-09")) == 2  # 10-08 Fri, 10-09 Sat
    assert calendar.override(D("2027-06-09")) == Override(D("2027-06-09"), "holiday", "端午节")


@pytest.mark.parametrize("year", [1900, 1949, 2003, 2027, 2100])
def test_years_outside_the_library_never_crash(year: int) -> None:
    assert LIBRARY.year_status(year) == "unknown"
    start = date(year, 1, 1)
    assert LIBRARY.workdays_between(start, LIBRARY.add_workdays(start, 300)) == 300
    assert LIBRARY.add_workdays(date(year, 12, 31), -260) < date(year, 12, 31)


# -- overrides -----------------------------------------------------------------------------------


def test_overrides_beat_the_library() -> None:
    calendar = WorkCalendar({D("2022-10-08"): "holiday", D("2022-10-07"): "workday"})
    assert calendar.add_workdays(D("2022-09-30"), 1) == D("2022-10-07")
    assert calendar.add_workdays(D("2022-10-07"), 1) == D("2022-10-09")
    assert LIBRARY.add_workdays(D("2022-09-30"), 1) == D("2022-10-08")  # others unaffected


def test_a_local_override_need_not_mark_the_year_scheduled() -> None:
    local = [Override(D("2027-03-01"), "holiday", "县庆")]
    assert WorkCalendar(local).year_status(2027) == "admin"
    strict = WorkCalendar(local, schedule_years=())
    assert strict.year_status(2027) == "unknown" and not strict.is_workday(D("2027-03-01"))


def test_conflicting_overrides_are_refused() -> None:
    rows = [Override(D("2027-01-01"), "holiday"), Override(D("2027-01-01"), "workday")]
    with pytest.raises(CalendarDataError, match="2027-01-01"):
        WorkCalendar(rows)


@pytest.mark.parametrize("year", [2025, 2026])
def test_without_overrides_the_library_is_followed_every_day(year: int) -> None:
    day = date(year, 1, 1)
    while day.year == year:
        assert LIBRARY.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# -- the notice parser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year"), [(NOTICE_2022, 2022), (NOTICE_2025, 2025), (NOTICE_2026, 2026)]
)
def test_real_notices_agree_with_the_library(text: str, year: int) -> None:
    overrides = parse_notice(text)
    assert notice_year(text) == year and {o.date.year for o in overrides} == {year}
    holidays, workdays = by_kind(overrides, "holiday"), by_kind(overrides, "workday")
    assert all(not chinese_calendar.is_workday(d) for d in holidays)
    assert all(chinese_calendar.is_workday(d) and d.weekday() >= 5 for d in workdays)
    library_off = {d for d in chinese_calendar.holidays if d.year == year}
    assert holidays <= library_off  # the library also lists 2022-12-31, part of 2023's 元旦
    assert {d for d in library_off if d.weekday() < 5} <= holidays
    assert workdays == {d for d in chinese_calendar.workdays if d.year == year}


def test_notice_details_2026() -> None:
    overrides = parse_notice(NOTICE_2026)
    spring = [o for o in overrides if o.note == "春节"]
    assert [o.date for o in spring] == [D("2026-02-15") + timedelta(i) for i in range(9)]
    assert Override(D("2026-02-28"), "workday", "春节调休上班") in overrides
    assert len(by_kind(overrides, "holiday")) == 3 + 9 + 3 + 5 + 3 + 3 + 7


def test_notice_year_rollover_and_pdf_line_breaks() -> None:
    text = (
        "国务院办公厅关于2022年部分节假日安排的通知\n"
        "一、元旦：12月31日（周五）至1月2日（周日）放假，\n共3天。\n"
        "二、虚构节：12月30日（星期五）至1月2日（星期一）放假调休，共4天。12月24日（星期六）上班。\n"
    )
    overrides = parse_notice(text)
    assert by_kind(overrides, "holiday") == {D("2021-12-31"), D("2022-01-01"), D("2022-01-02")} | {
        D("2022-12-30"),
        D("2022-12-31"),
        D("2023-01-01"),
        D("2023-01-02"),
    }
    assert by_kind(overrides, "workday") == {D("2022-12-24")}


def test_a_make_up_sentence_on_its_own_line_is_not_dropped() -> None:
    text = NOTICE_2026.replace("共9天。2月14日", "共9天。\n\n2月14日")
    assert parse_notice(text) == parse_notice(NOTICE_2026)
    with pytest.raises(HolidayNoticeError, match="无法识别"):
        parse_notice(
            NOTICE_2026.replace("共9天。2月14日", "共9天。\n2月14日（周六）补班。\n2月14日")
        )


@pytest.mark.parametrize("text", [NOTICE_2026, NOTICE_2027_INVENTED])
def test_notice_pasted_as_one_line(text: str) -> None:
    one_line = "".join(line.strip() for line in text.splitlines())
    assert parse_notice(one_line) == parse_notice(text)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("二、春节：2月15日（周一）至23日放假调休，共9天。", "第二项“春节"),
        ("三、清明节：4月4日（周六）至6日（周一）放假，共4天。", "共4天"),
        ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）补班。", "无法识别"),
        ("一、元旦：1月4日（周日）上班。", "没有放假日期"),
        ("一、元旦：2月30日放假。", "不是有效日期"),
    ],
)
def test_notice_errors_name_the_item(body: str, message: str) -> None:
    with pytest.raises(HolidayNoticeError, match=message):
        parse_notice("国务院办公厅关于2026年部分节假日安排的通知\n" + body)


def test_notice_without_year_or_items_is_refused() -> None:
    with pytest.raises(HolidayNoticeError, match="年份"):
        parse_notice("一、元旦：1月1日（周四）放假，共1天。")
    with pytest.raises(HolidayNoticeError, match="未找到"):
        parse_notice("国务院办公厅关于2026年部分节假日安排的通知\n经国务院批准。")
    with pytest.raises(HolidayNoticeError, match="2027年"):
        parse_notice(NOTICE_2026, year=2027)


# -- the data file -------------------------------------------------------------------------------


def test_csv_with_bom_header_comments_and_both_kind_spellings() -> None:
    text = "\ufeffdate,kind,note\n# 县里自定\n2027-01-01,休,元旦\n\n2027/2/20,workday,春节调休\n"
    assert not looks_like_notice(text)
    assert load_overrides_file(text) == [
        Override(D("2027-01-01"), "holiday", "元旦"),
        Override(D("2027-02-20"), "workday", "春节调休"),
    ]


def test_notice_text_is_detected_and_csv_round_trips() -> None:
    assert looks_like_notice(NOTICE_2027_INVENTED)
    overrides = load_overrides_file(NOTICE_2027_INVENTED)
    assert parse_csv(dump_csv(overrides)) == overrides


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-01-01,休\n2027-01-02,请假\n", "第2行"),
        ("2027-13-01,休\n", "第1行"),
        ("01/01/2027,休\n", "无法识别"),
        ("2027-01-01,休\n2027-01-01,班\n", "第2行"),
        ("date,kind,note\n", "没有任何日期"),
        ("2027-01-01\n", "三列"),
    ],
)
def test_csv_errors_give_the_line(text: str, message: str) -> None:
    with pytest.raises(OverridesFileError, match=message):
        parse_csv(text)


# -- properties ----------------------------------------------------------------------------------

DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
STEPS = st.integers(min_value=-600, max_value=600)
PROPERTY_CALENDAR = WorkCalendar(parse_notice(NOTICE_2027_INVENTED))


@given(DATES, STEPS)
def test_round_trip_from_a_workday(d: date, n: int) -> None:
    start = PROPERTY_CALENDAR.add_workdays(d, 0)
    assert PROPERTY_CALENDAR.add_workdays(PROPERTY_CALENDAR.add_workdays(start, n), -n) == start


@given(DATES, STEPS.filter(bool))
def test_shifted_dates_are_workdays_and_counted_exactly(d: date, n: int) -> None:
    shifted = PROPERTY_CALENDAR.add_workdays(d, n)
    assert PROPERTY_CALENDAR.is_workday(shifted)
    assert (shifted > d) == (n > 0)
    if n > 0:
        assert PROPERTY_CALENDAR.workdays_between(d, shifted) == n


@given(DATES, DATES, STEPS, STEPS)
def test_monotonic(a: date, b: date, m: int, n: int) -> None:
    (a, b), (m, n) = sorted((a, b)), sorted((m, n))
    assert PROPERTY_CALENDAR.add_workdays(a, n) <= PROPERTY_CALENDAR.add_workdays(b, n)
    assert PROPERTY_CALENDAR.add_workdays(a, m) <= PROPERTY_CALENDAR.add_workdays(a, n)
    assert PROPERTY_CALENDAR.workdays_between(a, b) == -PROPERTY_CALENDAR.workdays_between(b, a)


@given(st.dates(min_value=date(2024, 11, 1), max_value=date(2028, 2, 1)), st.integers(-40, 40))
def test_matches_day_by_day_stepping(d: date, n: int) -> None:
    step = timedelta(days=1 if n >= 0 else -1)
    expected, left = d, abs(n)
    if n == 0:
        while not PROPERTY_CALENDAR.is_workday(expected):
            expected += step
    while left:
        expected += step
        left -= PROPERTY_CALENDAR.is_workday(expected)
    assert PROPERTY_CALENDAR.add_workdays(d, n) == expected
    assert PROPERTY_CALENDAR.shift_many([d, d], n) == [expected, expected]
