"""Aliyun and Tencent SendSms: the answers as documented, the signatures checked, the limits
kept, the injected failures, and no deduplication by either."""

from __future__ import annotations

import time
from dataclasses import replace

from fastapi.testclient import TestClient
from sim_helpers import (
    CONFIG,
    aliyun_params,
    fault,
    make_client,
    received,
    tencent_body,
    tencent_request,
)


def aliyun(client: TestClient, **kwargs: object) -> tuple[int, dict]:
    r = client.post("/aliyun/", data=aliyun_params(**kwargs))  # type: ignore[arg-type]
    return r.status_code, r.json()


def tencent(client: TestClient, body: dict, **kwargs: object) -> dict:
    raw, headers = tencent_request(body, **kwargs)  # type: ignore[arg-type]
    return client.post("/tencent/", content=raw, headers=headers).json()


# --- Aliyun ---------------------------------------------------------------------------------


def test_aliyun_send_answers_as_documented(client: TestClient) -> None:
    status, answer = aliyun(client, phones="13800138000,+8613900139000")
    assert status == 200
    assert set(answer) == {"Code", "Message", "BizId", "RequestId"}
    assert (answer["Code"], answer["Message"]) == ("OK", "OK")
    got = received(client, target="aliyun")
    assert [r["recipient"] for r in got] == ["13800138000", "13900139000"]
    assert (
        got[0]["content"]
        == "【督办系统】您有督办任务《老旧小区改造》将于6月30日到期，请及时登录督办系统报送进展。"
    )
    assert got[0]["provider_id"] == answer["BizId"] and got[0]["body"]["OutId"] == "reminder-1"


def test_aliyun_also_takes_a_signed_query_string(client: TestClient) -> None:
    params = aliyun_params(method="GET")
    assert client.get("/aliyun/", params=params).json()["Code"] == "OK"


def test_aliyun_refuses_a_bad_signature_and_an_unknown_key(client: TestClient) -> None:
    status, answer = aliyun(client, secret="not-the-secret")
    assert status == 400 and answer["Code"] == "SignatureDoesNotMatch"
    assert "server string to sign is:POST&%2F&" in answer["Message"]
    tampered = aliyun_params()
    tampered["PhoneNumbers"] = "13700137000"
    assert client.post("/aliyun/", data=tampered).json()["Code"] == "SignatureDoesNotMatch"
    unknown = aliyun_params()
    unknown["AccessKeyId"] = "LTAIother"
    assert client.post("/aliyun/", data=unknown).status_code == 404
    assert received(client) == []


def test_aliyun_refuses_a_reused_nonce(client: TestClient) -> None:
    params = aliyun_params()
    assert client.post("/aliyun/", data=params).json()["Code"] == "OK"
    again = client.post("/aliyun/", data=params)
    assert again.status_code == 400 and again.json()["Code"] == "SignatureNonceUsed"


def test_aliyun_does_not_deduplicate(client: TestClient) -> None:
    first = aliyun(client, out_id="same")[1]
    second = aliyun(client, out_id="same")[1]
    assert first["Code"] == second["Code"] == "OK" and first["BizId"] != second["BizId"]
    assert len(received(client, target="aliyun", recipient="13800138000")) == 2


def test_aliyun_business_errors(client: TestClient) -> None:
    assert aliyun(client, phones="1380013")[1]["Code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    assert aliyun(client, sign="别的签名")[1]["Code"] == "isv.SMS_SIGNATURE_ILLEGAL"
    assert aliyun(client, template="SMS_000")[1]["Code"] == "isv.SMS_TEMPLATE_ILLEGAL"
    status, answer = aliyun(client, params={"task": "x"})
    assert (status, answer["Code"]) == (200, "isv.TEMPLATE_MISSING_PARAMETERS")
    assert received(client) == []


def test_aliyun_daily_cap_per_number_per_sign_and_template(client: TestClient) -> None:
    client.post("/_control/clock", json={"set": 1_800_000_000})
    for _ in range(50):
        assert aliyun(client)[1]["Code"] == "OK"
    assert aliyun(client)[1]["Code"] == "isv.BUSINESS_LIMIT_CONTROL"
    urge = {"task": "x", "days": "3"}
    assert aliyun(client, template="SMS_DUBAN_URGE", params=urge)[1]["Code"] == "OK"
    assert aliyun(client, phones="13900139000")[1]["Code"] == "OK"
    client.post("/_control/clock", json={"advance": 86400})
    assert aliyun(client)[1]["Code"] == "OK"


def test_aliyun_injected_failures(client: TestClient) -> None:
    expected = {
        "busy": "isp.SYSTEM_ERROR",
        "throttled": "isv.BUSINESS_LIMIT_CONTROL",
        "bad_number": "isv.MOBILE_NUMBER_ILLEGAL",
        "template_rejected": "isv.SMS_TEMPLATE_ILLEGAL",
    }
    for mode, code in expected.items():
        fault(client, target="aliyun", mode=mode)
        assert aliyun(client)[1]["Code"] == code, mode
    fault(client, target="aliyun", mode="rate_limited")
    status, answer = aliyun(client)
    assert (status, answer["Code"]) == (400, "Throttling.User")
    fault(client, target="aliyun", mode="server_error")
    assert client.post("/aliyun/", data=aliyun_params()).status_code == 502
    assert received(client) == []
    assert client.get("/_control/stats").json()["aliyun"]["failed"] == dict.fromkeys(
        [*expected, "rate_limited", "server_error"], 1
    )


def test_aliyun_fault_matches_one_number(client: TestClient) -> None:
    fault(client, target="aliyun", mode="bad_number", match="+8613900139000")
    assert aliyun(client)[1]["Code"] == "OK"
    assert aliyun(client, phones="13900139000")[1]["Code"] == "isv.MOBILE_NUMBER_ILLEGAL"


# --- Tencent --------------------------------------------------------------------------------


def test_tencent_send_answers_as_documented(client: TestClient) -> None:
    answer = tencent(client, tencent_body(["+8613800138000", "+8613900139000"]))
    response = answer["Response"]
    assert set(response) == {"SendStatusSet", "RequestId"}
    first = response["SendStatusSet"][0]
    assert set(first) == {
        "SerialNo",
        "PhoneNumber",
        "Fee",
        "SessionContext",
        "Code",
        "Message",
        "IsoCode",
    }
    assert (
        first["PhoneNumber"],
        first["Fee"],
        first["Code"],
        first["Message"],
        first["IsoCode"],
    ) == (
        "+8613800138000",
        1,
        "Ok",
        "send success",
        "CN",
    )
    assert first["SessionContext"] == "reminder-1" and first["SerialNo"]
    got = received(client, target="tencent")
    assert [r["recipient"] for r in got] == ["13800138000", "13900139000"]
    assert (
        got[0]["content"]
        == "【督办系统】您有督办任务《老旧小区改造》将于6月30日到期，请及时登录督办系统报送进展。"
    )


def test_tencent_checks_the_signature_over_the_configured_host(client: TestClient) -> None:
    body = tencent_body(["+8613800138000"])
    wrong_key = tencent(client, body, secret_key="nope")["Response"]["Error"]["Code"]
    assert wrong_key == "AuthFailure.SignatureFailure"
    # signing the host the request really went to is wrong: the client signs the real host
    assert (
        tencent(client, body, host="testserver")["Response"]["Error"]["Code"]
        == "AuthFailure.SignatureFailure"
    )
    raw, headers = tencent_request(body)
    tampered = raw.replace(b"13800138000", b"13700137000")
    r = client.post("/tencent/", content=tampered, headers=headers).json()
    assert r["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    old = tencent(client, body, timestamp=int(time.time()) - 600)
    assert old["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"
    assert received(client) == []
    assert "Error" not in tencent(client, body)["Response"]


def test_tencent_per_number_and_request_errors(client: TestClient) -> None:
    answer = tencent(client, tencent_body(["+8613800138000", "+86123"]))
    codes = [s["Code"] for s in answer["Response"]["SendStatusSet"]]
    assert codes == ["Ok", "InvalidParameterValue.IncorrectPhoneNumber"]
    bad_template = tencent(client, tencent_body(["+8613800138000"], TemplateId="999"))
    assert (
        bad_template["Response"]["Error"]["Code"] == "FailedOperation.TemplateIncorrectOrUnapproved"
    )
    short = tencent(client, tencent_body(["+8613800138000"], params=["only one"]))
    assert (
        short["Response"]["Error"]["Code"]
        == "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
    )
    as_dict = tencent(client, {**tencent_body(["+8613800138000"]), "TemplateParamSet": {"1": "x"}})
    assert (
        as_dict["Response"]["Error"]["Code"] == "InvalidParameterValue.TemplateParameterFormatError"
    )


def test_tencent_does_not_deduplicate(client: TestClient) -> None:
    body = tencent_body(["+8613800138000"])
    a = tencent(client, body)["Response"]["SendStatusSet"][0]
    b = tencent(client, body)["Response"]["SendStatusSet"][0]
    assert a["Code"] == b["Code"] == "Ok" and a["SerialNo"] != b["SerialNo"]
    assert len(received(client, target="tencent")) == 2


def test_tencent_daily_limit_and_same_content_rule() -> None:
    config = replace(CONFIG, tencent_daily_limit_per_number=2, tencent_same_content_interval_s=30)
    with make_client(config) as c:
        c.post("/_control/clock", json={"set": 1_800_000_000})
        body = tencent_body(["+8613800138000"])
        assert tencent(c, body)["Response"]["SendStatusSet"][0]["Code"] == "Ok"
        second = tencent(c, body)["Response"]["SendStatusSet"][0]["Code"]
        assert second == "LimitExceeded.DeliveryFrequencyLimit"
        c.post("/_control/clock", json={"advance": 31})
        assert tencent(c, body)["Response"]["SendStatusSet"][0]["Code"] == "Ok"
        c.post("/_control/clock", json={"advance": 31})
        third = tencent(c, body)["Response"]["SendStatusSet"][0]["Code"]
        assert third == "LimitExceeded.PhoneNumberDailyLimit"


def test_tencent_injected_failures(client: TestClient) -> None:
    fault(client, target="tencent", mode="throttled", match="13900139000")
    answer = tencent(client, tencent_body(["+8613800138000", "+8613900139000"]))
    codes = [s["Code"] for s in answer["Response"]["SendStatusSet"]]
    assert codes == ["Ok", "LimitExceeded.DeliveryFrequencyLimit"]
    for mode, code in {
        "bad_number": "InvalidParameterValue.IncorrectPhoneNumber",
        "template_rejected": "FailedOperation.TemplateIncorrectOrUnapproved",
    }.items():
        fault(client, target="tencent", mode=mode)
        status = tencent(client, tencent_body(["+8613800138000"]))["Response"]["SendStatusSet"][0]
        assert (status["Code"], status["SerialNo"], status["Fee"]) == (code, "", 0)
    for mode, code in {"busy": "InternalError", "rate_limited": "RequestLimitExceeded"}.items():
        fault(client, target="tencent", mode=mode)
        assert (
            tencent(client, tencent_body(["+8613800138000"]))["Response"]["Error"]["Code"] == code
        )
    assert len(received(client, target="tencent")) == 1
