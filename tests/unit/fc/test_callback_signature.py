from __future__ import annotations

from highlights.callback_auth import job_token, notify_address, sign, verify_token, without_token
from highlights.callback_auth import verify_signature as verify
from highlights.fc.http import parse_notice

URL = "https://cb.example.com/ice"


def test_signature_is_md5_of_url_timestamp_key() -> None:
    # md5("https://cb.example.com/ice|1700000000|Key123abc")
    import hashlib

    expected = hashlib.md5(b"https://cb.example.com/ice|1700000000|Key123abc").hexdigest()
    assert sign(URL, 1700000000, "Key123abc") == expected


def test_any_rotating_key_verifies() -> None:
    sig = sign(URL, 1000, "old")
    assert verify([URL], "1000", sig, ["new", "old"], now=1000)
    assert not verify([URL], "1000", sig, ["new"], now=1000)


def test_stale_or_future_timestamps_are_refused() -> None:
    sig = sign(URL, 1000, "k")
    assert verify([URL], "1000", sig, ["k"], now=1299)
    assert not verify([URL], "1000", sig, ["k"], now=1301)
    assert not verify([URL], "1000", sig, ["k"], now=699)


def test_missing_or_malformed_headers_are_refused() -> None:
    assert not verify([URL], None, "x", ["k"], now=0)
    assert not verify([URL], "1000", None, ["k"], now=1000)
    assert not verify([URL], "abc", sign(URL, "abc", "k"), ["k"], now=1000)
    assert not verify([URL], "1000", sign("https://evil.example.com", 1000, "k"), ["k"], now=1000)


def test_untrusted_timestamp_headers_are_refused_without_raising() -> None:
    sig = sign(URL, 1000, "k")
    for timestamp in ("²", "١٠٠٠", "9" * 5000, " 1000", "1000\n", "-1000", "1e3"):
        assert not verify([URL], timestamp, sig, ["k"], now=1000)
    assert not verify([URL], "1000", "x" * 5000, ["k"], now=1000)
    assert not verify([URL], "1000", "é" * 32, ["k"], now=1000)


def test_job_tokens_are_per_job_and_per_key() -> None:
    token = job_token("night-3f2a", "NewKey")
    assert len(token) == 22  # 128 bits, base64url without padding
    assert verify_token("night-3f2a", token, ["NewKey"])
    assert verify_token("night-3f2a", token, ["Other", "NewKey"])  # rotation
    assert not verify_token("night-3f2a", token, ["Other"])
    assert not verify_token("other-job", token, ["NewKey"])
    assert not verify_token(
        "night-3f2a", token[:-1] + ("A" if token[-1] != "A" else "B"), ["NewKey"]
    )
    assert not verify_token("night-3f2a", None, ["NewKey"])
    assert not verify_token(None, token, ["NewKey"])
    assert not verify_token("night-3f2a", "x" * 5000, ["NewKey"])


def test_notify_address_carries_the_token_and_documents_do_not() -> None:
    address = notify_address("https://cb.example.com/ice", "night-1", ["NewKey", "OldKey"])
    assert address == f"https://cb.example.com/ice?job=night-1&t={job_token('night-1', 'NewKey')}"
    assert without_token(address) == "https://cb.example.com/ice?job=night-1"
    assert notify_address("https://cb.example.com/ice?a=1", "j", []) == (
        "https://cb.example.com/ice?a=1&job=j"
    )
    assert without_token("https://cb.example.com/ice?t=x") == "https://cb.example.com/ice"


def test_notice_tolerates_unknown_fields_and_string_bodies() -> None:
    body = b'{"EventType":"BatchProduceMediaComplete","UserId":1,"Extra":true,"MessageBody":"{\\"JobId\\":\\"ice-1\\",\\"UserData\\":\\"{\\\\\\"HighlightsJobId\\\\\\":\\\\\\"night-1\\\\\\"}\\"}"}'
    notice = parse_notice(body, {})
    assert notice.event_type == "BatchProduceMediaComplete"
    assert notice.producer_job_id == "ice-1"
    assert notice.job_id == "night-1"
    assert parse_notice(body, {"job": "from-query"}).job_id == "from-query"
