"""The signing algorithms against the providers' own published examples."""

from __future__ import annotations

import hashlib
import hmac

from simulators.signatures import (
    aliyun_percent_encode,
    aliyun_signature,
    parse_tc3_authorization,
    tc3_authorization,
    tc3_canonical_request,
    webhook_signature,
)

# Aliyun SMS document's SendSms example (GET, AccessKeySecret "testSecret").
ALIYUN_SMS_EXAMPLE = {
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

# Aliyun RPC signature document's DescribeRegions example (GET, "testsecret").
ALIYUN_RPC_EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}


def test_aliyun_matches_the_sms_document_example() -> None:
    assert (
        aliyun_signature("GET", ALIYUN_SMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_aliyun_matches_the_rpc_document_example() -> None:
    assert (
        aliyun_signature("GET", ALIYUN_RPC_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    )


def test_aliyun_signature_depends_on_method_secret_and_ignores_the_signature_parameter() -> None:
    base = aliyun_signature("GET", ALIYUN_RPC_EXAMPLE, "testsecret")
    assert aliyun_signature("POST", ALIYUN_RPC_EXAMPLE, "testsecret") != base
    assert aliyun_signature("GET", ALIYUN_RPC_EXAMPLE, "other") != base
    with_sig = {**ALIYUN_RPC_EXAMPLE, "Signature": "whatever"}
    assert aliyun_signature("GET", with_sig, "testsecret") == base


def test_aliyun_percent_encoding_rules() -> None:
    assert aliyun_percent_encode("a b*c~d/") == "a%20b%2Ac~d%2F"


# Tencent Cloud's "签名方法 v3" worked example (CVM DescribeInstances, 2019-02-25). The doc
# masks the key with asterisks, and the published signature is that of the masked string.
TC3_BODY = (
    b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)
TC3_HEADERS = {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}


def test_tc3_matches_the_documented_worked_example() -> None:
    canonical = tc3_canonical_request("POST", "", TC3_HEADERS, ["content-type", "host"], TC3_BODY)
    assert canonical.endswith("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    assert (
        hashlib.sha256(canonical.encode()).hexdigest()
        == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    auth = tc3_authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        "Gu5t9xGARNpq86cd98joQYCN3*******",
        service="cvm",
        timestamp=1551113065,
        headers=TC3_HEADERS,
        body=TC3_BODY,
    )
    assert auth == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )
    parsed = parse_tc3_authorization(auth)
    assert parsed is not None
    assert parsed["date"] == "2019-02-25" and parsed["service"] == "cvm"
    assert parse_tc3_authorization("Basic abc") is None


def test_webhook_signature_is_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert webhook_signature("k", "1700000000", b"{}") == expected
    assert webhook_signature("k", "1700000001", b"{}") != expected
