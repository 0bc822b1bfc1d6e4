"""Aliyun and Tencent SMS, phone numbers, templates and the failover, against the simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from provider_helpers import (
    HANG_LONG,
    HANG_SHORT,
    PHONE,
    aliyun,
    arm,
    closed_port_url,
    received,
    stats,
    tencent,
)

from services.notify.providers import FailoverSms, InvalidPhone, SmsMessage, normalize_phone
from services.notify.providers.aliyun import pop_signature
from services.notify.providers.sms import seconds_until_tomorrow
from services.notify.providers.tencent import tc3_authorization

MESSAGE = SmsMessage(
    phone="+86 139-1234-5678",
    kind="before_due",
    params={"task": "任务3", "deadline": "12月1日"},
    out_id="dlv-42:13912345678:sms",
)


# --- signing against the providers' published examples --------------------------------------


def test_pop_signature_matches_aliyuns_sendsms_example() -> None:
    example = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert pop_signature("GET", example, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_tc3_matches_tencents_worked_example() -> None:
    body = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    auth = tc3_authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        "Gu5t9xGARNpq86cd98joQYCN3*******",
        service="cvm",
        timestamp=1551113065,
        headers={
            "content-type": "application/json; charset=utf-8",
            "host": "cvm.tencentcloudapi.com",
        },
        body=body,
        signed_headers=("content-type", "host"),
    )
    assert auth.endswith(
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["13912345678", "+8613912345678", "008613912345678", "8613912345678", " 139 1234 5678 "],
)
def test_phone_numbers_are_normalised(raw: str) -> None:
    assert normalize_phone(raw) == "13912345678"


@pytest.mark.parametrize(
    "raw", ["", "1391234567", "23912345678", "+85213912345678", "12012345678", "139123456789"]
)
def test_bad_phone_numbers_are_refused_masked(raw: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    digits = "".join(c for c in raw if c.isdigit())
    assert digits[:-4] == "" or digits[:-4] not in str(caught.value)  # only the last four


def test_an_invalid_number_fails_before_any_request(sim: str) -> None:
    chain = FailoverSms([aliyun(sim), tencent(sim)])
    result = chain.send(SmsMessage("12345", "before_due", MESSAGE.params, "k"))
    assert (result.status, result.code, result.invalid_recipients) == (
        "failed",
        "invalid_phone",
        ("12345",),
    )
    assert stats(sim)["aliyun"]["accepted"] == stats(sim)["tencent"]["accepted"] == 0


def test_a_kind_without_template_or_a_missing_parameter_fails_permanently(sim: str) -> None:
    result = aliyun(sim).send(SmsMessage(PHONE, "circular", {}, "k"))
    assert (result.status, result.code) == ("failed", "no_template")
    result = tencent(sim).send(SmsMessage(PHONE, "before_due", {"task": "任务3"}, "k"))
    assert (result.status, result.code) == ("failed", "missing_param")
    assert "deadline" in result.message


def test_seconds_until_tomorrow_is_china_midnight() -> None:
    china = timezone(timedelta(hours=8))
    assert seconds_until_tomorrow(datetime(2026, 12, 1, 23, 0, tzinfo=china)) == 3600
    assert seconds_until_tomorrow(datetime(2026, 12, 1, 15, 30, tzinfo=UTC)) == 30 * 60


UTC_ = UTC


# --- Aliyun ----------------------------------------------------------------------------------


def test_aliyun_happy_path_request_shape(sim: str) -> None:
    client = aliyun(sim)
    result = client.send(MESSAGE)
    assert (result.status, result.accepted, result.provider) == ("delivered", True, "aliyun")
    (got,) = received(sim, target="aliyun")
    assert got["recipient"] == PHONE and got["provider_id"] == result.provider_id
    body = got["body"]
    assert body["Action"] == "SendSms" and body["Version"] == "2017-05-25"
    assert body["PhoneNumbers"] == PHONE
    assert body["SignName"] == "督办系统" and body["TemplateCode"] == "SMS_DUBAN_REMIND"
    assert json.loads(body["TemplateParam"]) == {"task": "任务3", "deadline": "12月1日"}
    assert body["OutId"] == MESSAGE.out_id
    assert (
        got["content"]
        == "【督办系统】您有督办任务《任务3》将于12月1日到期，请及时登录督办系统报送进展。"
    )
    assert client.safe_to_resend is False


def test_aliyun_signs_each_request_anew(sim: str) -> None:
    client = aliyun(sim)
    assert client.send(MESSAGE).status == "delivered"
    assert client.send(MESSAGE).status == "delivered"  # a reused nonce would be refused
    assert len(received(sim, target="aliyun")) == 2  # and Aliyun does not deduplicate


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("busy", "retry", "isp.SYSTEM_ERROR"),
        ("rate_limited", "retry", "Throttling.User"),
        ("server_error", "retry", "HTTP 502"),
        ("bad_number", "failed", "isv.MOBILE_NUMBER_ILLEGAL"),
        ("template_rejected", "failed", "isv.SMS_TEMPLATE_ILLEGAL"),
        ("timeout_after", "in_doubt", "ReadTimeout"),
        ("timeout_before", "in_doubt", "HTTP 504"),
    ],
)
def test_aliyun_faults(sim: str, mode: str, status: str, code: str) -> None:
    hang = HANG_SHORT if mode == "timeout_before" else HANG_LONG
    arm(sim, "aliyun", mode, hang_s=hang)
    result = aliyun(sim).send(MESSAGE)
    assert (result.status, result.code, result.accepted) == (status, code, False)
    if mode == "bad_number":
        assert result.invalid_recipients == (MESSAGE.phone,)
    assert "13912345678" not in result.message


def test_aliyun_throttled_is_a_retry_after_the_window(sim: str) -> None:
    arm(sim, "aliyun", "throttled")  # 触发分钟级流控
    result = aliyun(sim).send(MESSAGE)
    assert (result.status, result.code, result.retry_after_s) == (
        "retry",
        "isv.BUSINESS_LIMIT_CONTROL",
        60.0,
    )


def test_aliyun_connection_refused_is_a_retry() -> None:
    result = aliyun(closed_port_url()).send(MESSAGE)
    assert (result.status, result.code) == ("retry", "ConnectError")


def test_aliyun_wrong_secret_is_permanent(sim: str) -> None:
    result = aliyun(sim, access_key_secret="wrong-secret").send(MESSAGE)
    assert (result.status, result.code) == ("failed", "SignatureDoesNotMatch")
    assert "wrong-secret" not in result.message


# --- Tencent ---------------------------------------------------------------------------------


def test_tencent_happy_path_request_shape(sim: str) -> None:
    result = tencent(sim).send(MESSAGE)
    assert (result.status, result.accepted, result.provider) == ("delivered", True, "tencent")
    (got,) = received(sim, target="tencent")
    assert got["provider_id"] == result.provider_id
    body = got["body"]
    assert body["PhoneNumberSet"] == ["+8613912345678"]
    assert body["TemplateId"] == "1000001" and body["SmsSdkAppId"] == "1400000001"
    assert body["TemplateParamSet"] == ["任务3", "12月1日"]  # in the configured order
    assert body["SessionContext"] == MESSAGE.out_id
    assert (
        got["content"]
        == "【督办系统】您有督办任务《任务3》将于12月1日到期，请及时登录督办系统报送进展。"
    )


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("busy", "retry", "InternalError"),
        ("rate_limited", "retry", "RequestLimitExceeded"),
        ("server_error", "retry", "HTTP 502"),
        ("bad_number", "failed", "InvalidParameterValue.IncorrectPhoneNumber"),
        ("template_rejected", "failed", "FailedOperation.TemplateIncorrectOrUnapproved"),
        ("timeout_after", "in_doubt", "ReadTimeout"),
    ],
)
def test_tencent_faults(sim: str, mode: str, status: str, code: str) -> None:
    arm(sim, "tencent", mode, hang_s=HANG_LONG)
    result = tencent(sim).send(MESSAGE)
    assert (result.status, result.code) == (status, code)
    if mode == "bad_number":
        assert result.invalid_recipients == (MESSAGE.phone,)


def test_tencent_throttled_is_a_retry_after(sim: str) -> None:
    arm(sim, "tencent", "throttled")
    result = tencent(sim).send(MESSAGE)
    assert (result.status, result.code) == ("retry", "LimitExceeded.DeliveryFrequencyLimit")
    assert result.retry_after_s == 60.0


def test_tencent_daily_limit_waits_until_tomorrow(sim: str) -> None:
    client = tencent(sim)
    for _ in range(10):  # the simulator's default daily cap per number
        assert client.send(MESSAGE).status == "delivered"
    result = client.send(MESSAGE)
    assert (result.status, result.code) == ("retry", "LimitExceeded.PhoneNumberDailyLimit")
    assert result.retry_after_s is not None and 0 < result.retry_after_s <= 86400


def test_tencent_signs_the_real_host_and_a_wrong_key_is_permanent(sim: str) -> None:
    result = tencent(sim, sign_host="sms.example.com").send(MESSAGE)
    assert (result.status, result.code) == ("failed", "AuthFailure.SignatureFailure")
    result = tencent(sim, secret_key="wrong-key").send(MESSAGE)
    assert (result.status, result.code) == ("failed", "AuthFailure.SignatureFailure")
    assert "wrong-key" not in result.message


def test_tencent_clock_skew_is_permanent_with_an_ntp_hint(sim: str) -> None:
    result = tencent(sim, clock=lambda: 1_000_000_000.0).send(MESSAGE)
    assert (result.status, result.code) == ("failed", "AuthFailure.SignatureExpire")
    assert "时钟" in result.message


# --- failover --------------------------------------------------------------------------------


def chain(base: str) -> FailoverSms:
    return FailoverSms([aliyun(base), tencent(base)])


@pytest.mark.parametrize("mode", ["busy", "rate_limited", "server_error", "template_rejected"])
def test_failover_when_aliyun_did_not_accept(sim: str, mode: str) -> None:
    arm(sim, "aliyun", mode)
    result = chain(sim).send(MESSAGE)
    assert (result.status, result.provider) == ("delivered", "tencent")
    assert received(sim, target="aliyun") == []
    assert len(received(sim, target="tencent")) == 1  # exactly one SMS


def test_failover_when_aliyun_cannot_be_reached(sim: str) -> None:
    sms = FailoverSms([aliyun(closed_port_url()), tencent(sim)])
    assert sms.send(MESSAGE).provider == "tencent"
    assert len(received(sim)) == 1


def test_no_failover_after_aliyun_accepted(sim: str) -> None:
    result = chain(sim).send(MESSAGE)
    assert (result.status, result.provider) == ("delivered", "aliyun")
    assert stats(sim)["tencent"]["accepted"] == 0


@pytest.mark.parametrize(
    ("mode", "hang"), [("timeout_after", HANG_LONG), ("timeout_before", HANG_SHORT)]
)
def test_no_failover_when_aliyun_may_have_sent_it(sim: str, mode: str, hang: float) -> None:
    arm(sim, "aliyun", mode, hang_s=hang)
    result = chain(sim).send(MESSAGE)
    assert (result.status, result.provider) == ("in_doubt", "aliyun")
    assert stats(sim)["tencent"]["accepted"] == 0
    assert received(sim, target="tencent") == []


@pytest.mark.parametrize("mode", ["bad_number", "throttled"])
def test_no_failover_when_the_reason_is_the_number(sim: str, mode: str) -> None:
    arm(sim, "aliyun", mode)
    result = chain(sim).send(MESSAGE)
    assert (result.provider, result.accepted) == ("aliyun", False)
    assert stats(sim)["tencent"]["accepted"] == 0


def test_every_provider_refusing_is_a_retry_if_any_refusal_was_temporary(sim: str) -> None:
    arm(sim, "aliyun", "template_rejected")
    arm(sim, "tencent", "busy")
    result = chain(sim).send(MESSAGE)
    assert (result.status, result.provider) == ("retry", "tencent")
    assert "aliyun" in result.message and "tencent" in result.message
    arm(sim, "aliyun", "template_rejected")
    arm(sim, "tencent", "template_rejected")
    assert chain(sim).send(MESSAGE).status == "failed"
    assert received(sim) == []


def test_failover_declares_our_daily_cap() -> None:
    sms = FailoverSms([aliyun("http://x")], daily_cap_per_number=7)
    ((limit),) = sms.rate_limits
    assert (limit.scope, limit.limit, limit.window_s) == ("recipient", 7, 86400)
