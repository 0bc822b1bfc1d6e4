"""Whatever text or bytes arrive, the parser and the readers raise only their own typed
errors: a clerk gets a message, never a stack trace."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.parsing import ParsedNotice, ParseError, parse_notice
from services.intake.readers import ReadError, read_document

NOTICE_WORDS = st.sampled_from(
    [
        "一、",
        "（一）",
        "1.",
        "2、",
        "（3）",
        "责任领导：",
        "牵头单位：",
        "责任单位：",
        "配合单位：",
        "完成时限：",
        "县发改委",
        "、",
        "，",
        "。",
        "\n",
        "6月底前",
        "年底前",
        "增长6%左右",
        "3000人以上",
        "关于印发",
        "的通知",
        "青政〔2026〕3号",
        "各乡镇人民政府：",
        "“十一”前",
        "— 1 —",
        "  ",
        "\u3000",
        "：",
        "|",
        "\t",
    ]
)
NOTICE_LIKE = st.lists(st.one_of(NOTICE_WORDS, st.text(max_size=8)), max_size=80).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=2000), NOTICE_LIKE))
def test_parse_notice_returns_a_notice_or_raises_parse_error(text: str) -> None:
    try:
        result = parse_notice(text)
    except ParseError as exc:
        assert str(exc)
        return
    assert isinstance(result, ParsedNotice)
    assert result.task_count == len(result.tasks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=4000),
        st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=2000).map(lambda b: b"%PDF-1.7\n" + b),
        st.binary(max_size=2000).map(lambda b: bytes.fromhex("D0CF11E0A1B11AE1") + b),
    ),
    st.sampled_from(["a.txt", "a.docx", "a.pdf", "a.ofd", "a.doc", ""]),
)
def test_read_document_returns_text_or_raises_read_error(data: bytes, name: str) -> None:
    try:
        result = read_document(data, name)
    except ReadError as exc:
        assert exc.code and exc.message
        return
    assert isinstance(result.text, str)
