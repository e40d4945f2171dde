from __future__ import annotations

from highlights.fc.callback import parse_notice, sign, verify

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


def test_notice_tolerates_unknown_fields_and_string_bodies() -> None:
    body = b'{"EventType":"BatchProduceMediaComplete","UserId":1,"Extra":true,"MessageBody":"{\\"JobId\\":\\"ice-1\\",\\"UserData\\":\\"{\\\\\\"HighlightsJobId\\\\\\":\\\\\\"night-1\\\\\\"}\\"}"}'
    notice = parse_notice(body, {})
    assert notice.event_type == "BatchProduceMediaComplete"
    assert notice.ice_job_id == "ice-1"
    assert notice.job_id == "night-1"
    assert parse_notice(body, {"job": "from-query"}).job_id == "from-query"
