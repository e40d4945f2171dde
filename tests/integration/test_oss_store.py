"""OssStore over real HTTP: the whole store contract, plus what only OSS can get wrong."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator

import oss2
import pytest

from highlights.credentials import from_env as credentials_from_env
from highlights.ports import (
    AlreadyExists,
    NotFound,
    ServiceRefused,
    TransientError,
    UnsafeKey,
)
from highlights.storage.oss import OssStore, check_key, oss_endpoint
from tests.contract.store_contract import StoreContract
from tests.integration.oss_server import OssTestServer

CREDS = ("test-key-id", "test-key-secret-value", None)
STS_CREDS = ("STS.test-key-id", "sts-secret-value", "sts-security-token-value")
CONTRACT_BUCKET = "contract-bucket"
FAULT_BUCKET = "fault-bucket"


class Sleeps:
    """An injected sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture(scope="module")
def buckets(oss_server: OssTestServer) -> OssTestServer:
    for name in (CONTRACT_BUCKET, FAULT_BUCKET):
        oss_server.create_bucket(name)
    return oss_server


@pytest.fixture
def server(buckets: OssTestServer) -> Iterator[OssTestServer]:
    buckets.dialect.reset()
    yield buckets
    buckets.dialect.reset()


@pytest.fixture
def store(server: OssTestServer) -> OssStore:
    return OssStore(
        CONTRACT_BUCKET, region="cn-shanghai", endpoint=server.endpoint, credentials=CREDS
    )


class TestOssStoreContract(StoreContract):
    pass


def make_store(server: OssTestServer, **kwargs: object) -> tuple[OssStore, Sleeps]:
    sleeps = Sleeps()
    options: dict[str, object] = {"credentials": CREDS, "sleep": sleeps, "max_attempts": 3}
    options.update(kwargs)
    store = OssStore(
        FAULT_BUCKET,
        region="cn-shanghai",
        endpoint=server.endpoint,
        **options,  # type: ignore[arg-type]
    )
    return store, sleeps


def unique(name: str) -> str:
    return f"oss-{uuid.uuid4().hex[:10]}/{name}"


# -- endpoints, credentials, construction -----------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "endpoint", "internal", "expected"),
    [
        ("cn-shanghai", None, False, "https://oss-cn-shanghai.aliyuncs.com"),
        ("cn-shanghai", None, True, "https://oss-cn-shanghai-internal.aliyuncs.com"),
        ("ap-southeast-1", None, False, "https://oss-ap-southeast-1.aliyuncs.com"),
        (
            "cn-beijing",
            "oss-cn-beijing-internal.aliyuncs.com",
            False,
            "https://oss-cn-beijing-internal.aliyuncs.com",
        ),
        ("cn-beijing", "http://127.0.0.1:9000", True, "http://127.0.0.1:9000"),
        ("cn-beijing", "https://oss.example.com/", False, "https://oss.example.com"),
        ("cn-beijing", "  ", False, "https://oss-cn-beijing.aliyuncs.com"),
    ],
)
def test_endpoint(region: str, endpoint: str | None, internal: bool, expected: str) -> None:
    assert oss_endpoint(region, endpoint=endpoint, internal=internal) == expected


@pytest.mark.parametrize(
    ("region", "endpoint"), [("", None), ("CN Shanghai", None), ("x", "ftp://h")]
)
def test_bad_endpoint_or_region(region: str, endpoint: str | None) -> None:
    with pytest.raises(ValueError, match=r"region|endpoint"):
        oss_endpoint(region, endpoint=endpoint)


def test_store_uses_the_built_endpoint() -> None:
    store = OssStore("my-bucket", region="cn-hangzhou", internal=True, credentials=CREDS)
    assert store.endpoint == "https://oss-cn-hangzhou-internal.aliyuncs.com"
    assert store.bucket == "my-bucket"


def test_credentials_from_env() -> None:
    assert credentials_from_env({}) is None
    assert credentials_from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "id"}) is None
    plain = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}
    assert credentials_from_env(plain) == ("id", "s", None)
    sts = {**plain, "ALIBABA_CLOUD_SECURITY_TOKEN": "t"}
    assert credentials_from_env(sts) == ("id", "s", "t")


def test_plain_auth_from_env(server: OssTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", CREDS[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", CREDS[1])
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    store = OssStore(FAULT_BUCKET, region="cn-shanghai", endpoint=server.endpoint)
    assert isinstance(store._bucket.auth, oss2.Auth)
    assert not store.uses_sts
    store.put(unique("plain"), b"x")
    (put,) = [r for r in server.dialect.requests if r.method == "PUT"]
    assert put.headers["authorization"].startswith(f"OSS {CREDS[0]}:")
    assert "x-oss-security-token" not in put.headers


def test_sts_auth_from_env(server: OssTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", STS_CREDS[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", STS_CREDS[1])
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", STS_CREDS[2])
    store = OssStore(FAULT_BUCKET, region="cn-shanghai", endpoint=server.endpoint)
    assert isinstance(store._bucket.auth, oss2.StsAuth)
    assert store.uses_sts
    store.put(unique("sts"), b"x")
    (put,) = [r for r in server.dialect.requests if r.method == "PUT"]
    assert put.headers["x-oss-security-token"] == STS_CREDS[2]
    assert put.headers["authorization"].startswith(f"OSS {STS_CREDS[0]}:")


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    with pytest.raises(ServiceRefused) as caught:
        OssStore("my-bucket", region="cn-shanghai")
    assert caught.value.code == "InvalidCredentials"


def test_repr_has_no_secrets() -> None:
    store = OssStore("my-bucket", region="cn-shanghai", credentials=STS_CREDS)
    assert STS_CREDS[1] not in repr(store)
    assert STS_CREDS[2] not in repr(store)


def test_invalid_bucket_name() -> None:
    with pytest.raises(ValueError, match="bucket"):
        OssStore("Not_A_Bucket!", region="cn-shanghai", credentials=CREDS)


def test_importing_the_module_does_not_import_oss2() -> None:
    code = (
        "import sys, highlights.storage.oss, highlights.ports\n"
        "assert 'oss2' not in sys.modules, 'oss2 imported at module import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- keys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["", "/abs", "\\x", "dir/", "a\x00b", "\udcff", "x" * 1024, "中" * 342]
)
def test_invalid_keys_are_refused_before_any_request(server: OssTestServer, key: str) -> None:
    store, _ = make_store(server)
    with pytest.raises(UnsafeKey):
        check_key(key)
    for call in (
        lambda: store.get(key),
        lambda: store.head(key),
        lambda: store.exists(key),
        lambda: store.put(key, b"x"),
        lambda: store.delete(key),
    ):
        with pytest.raises(UnsafeKey):
            call()
    assert server.dialect.requests == []


def test_longest_key_is_accepted(server: OssTestServer) -> None:
    store, _ = make_store(server)
    key = "k/" + "é" * 510 + "x"  # 1023 bytes
    assert len(key.encode()) == 1023
    store.put(key, b"long")
    assert store.get(key) == b"long"
    store.delete(key)


def test_page_size_is_validated_and_capped(server: OssTestServer) -> None:
    store, _ = make_store(server)
    with pytest.raises(ValueError, match="page_size"):
        store.list("", page_size=0)
    prefix = unique("")
    store.put(prefix + "a", b"x")
    assert [o.key for o in store.list(prefix, page_size=5000)] == [prefix + "a"]
    (listing,) = [r for r in server.dialect.requests if r.method == "GET"]
    assert "max-keys=1000" in listing.query


def test_listing_fetches_one_page_at_a_time(server: OssTestServer) -> None:
    store, _ = make_store(server)
    prefix = unique("")
    for i in range(5):
        store.put(f"{prefix}{i}", b"x")
    server.dialect.reset()
    listing = store.list(prefix, page_size=2)
    assert next(listing).key == prefix + "0"
    assert server.dialect.count("GET") == 1
    assert [o.key for o in listing] == [f"{prefix}{i}" for i in range(1, 5)]
    assert server.dialect.count("GET") == 3


def test_folder_markers_are_not_listed(server: OssTestServer) -> None:
    store, _ = make_store(server)
    prefix = unique("")
    store._bucket.put_object(prefix + "folder/", b"")  # as the console creates them
    store.put(prefix + "folder/file", b"x")
    assert [o.key for o in store.list(prefix)] == [prefix + "folder/file"]


# -- retries and error mapping ----------------------------------------------------------------------


def test_transient_503_is_retried_then_succeeds(server: OssTestServer) -> None:
    store, sleeps = make_store(server)
    key = unique("retry")
    server.dialect.fail_next(2, status=503, method="PUT")
    stored = store.put(key, b"payload")
    assert stored.etag == hashlib.md5(b"payload").hexdigest().upper()
    assert server.dialect.count("PUT") == 3
    assert len(sleeps.delays) == 2
    assert all(0 <= d < 5.0 for d in sleeps.delays)
    assert store.get(key) == b"payload"


def test_persistent_503_gives_up_after_max_attempts(server: OssTestServer) -> None:
    store, sleeps = make_store(server, max_attempts=3)
    server.dialect.fail_next(10, status=503, code="ServiceUnavailable", method="GET")
    with pytest.raises(TransientError) as caught:
        store.get(unique("gone"))
    assert caught.value.code == "ServiceUnavailable"
    assert server.dialect.count("GET") == 3
    assert len(sleeps.delays) == 2


@pytest.mark.parametrize(
    ("status", "code"), [(500, "InternalError"), (429, "TooManyRequests"), (400, "RequestTimeout")]
)
def test_other_transient_answers(server: OssTestServer, status: int, code: str) -> None:
    store, _ = make_store(server, max_attempts=2)
    key = unique("t")
    store.put(key, b"x")
    server.dialect.fail_next(1, status=status, code=code, method="HEAD")
    assert store.head(key).size == 1
    assert server.dialect.count("HEAD") == 2


def test_403_is_a_refused_caller_and_not_retried(server: OssTestServer) -> None:
    store, sleeps = make_store(server)
    server.dialect.fail_next(5, status=403, code="AccessDenied", method="PUT")
    with pytest.raises(ServiceRefused) as caught:
        store.put(unique("denied"), b"x")
    assert caught.value.code == "AccessDenied"
    assert "403" in caught.value.message
    assert server.dialect.count("PUT") == 1
    assert sleeps.delays == []


def test_missing_bucket_is_refused_not_not_found(server: OssTestServer) -> None:
    store = OssStore(
        "no-such-bucket-here", region="cn-shanghai", endpoint=server.endpoint, credentials=CREDS
    )
    with pytest.raises(ServiceRefused) as caught:
        store.get("k")
    assert caught.value.code == "NoSuchBucket"
    assert not isinstance(caught.value, NotFound)


def test_head_and_delete_of_a_missing_key(server: OssTestServer) -> None:
    store, _ = make_store(server)
    with pytest.raises(NotFound):
        store.head(unique("missing"))
    store.delete(unique("missing"))  # no error


def test_dropped_connection_is_retried(server: OssTestServer) -> None:
    store, sleeps = make_store(server)
    key = unique("drop")
    store.put(key, b"data")
    server.dialect.drop_next(1, method="GET")
    assert store.get(key) == b"data"
    assert server.dialect.count("GET") == 2
    assert len(sleeps.delays) == 1


def test_persistent_network_errors_end_in_a_transient_error(server: OssTestServer) -> None:
    store, _ = make_store(server, max_attempts=2)
    server.dialect.drop_next(5, method="HEAD")
    with pytest.raises(TransientError) as caught:
        store.exists(unique("x"))
    assert caught.value.code == "NetworkError"
    assert server.dialect.count("HEAD") == 2


def test_stall_past_the_timeout_is_retried(server: OssTestServer) -> None:
    store, _ = make_store(server, timeout=0.3)
    key = unique("slow")
    store.put(key, b"data")
    server.dialect.stall_next(1.0, method="GET")
    assert store.get(key) == b"data"
    assert server.dialect.count("GET") == 2


def test_lost_answer_to_a_create_only_write_is_not_an_already_exists(server: OssTestServer) -> None:
    store, _ = make_store(server)
    key = unique("lost")
    server.dialect.drop_next(1, after_app=True, method="PUT")  # written, answer lost
    stored = store.put(key, b"mine", create_only=True)
    assert stored.etag == hashlib.md5(b"mine").hexdigest().upper()
    assert server.dialect.count("PUT") == 2
    assert store.get(key) == b"mine"


def test_lost_answer_does_not_hide_another_writer(server: OssTestServer) -> None:
    store, _ = make_store(server)
    key = unique("other")
    store.put(key, b"theirs")
    server.dialect.drop_next(1, method="PUT")  # dropped before it reached the bucket
    with pytest.raises(AlreadyExists):
        store.put(key, b"mine", create_only=True)
    assert store.get(key) == b"theirs"


def test_list_retries_a_failed_page(server: OssTestServer) -> None:
    store, _ = make_store(server)
    prefix = unique("")
    for i in range(4):
        store.put(f"{prefix}{i}", b"x")
    listing = store.list(prefix, page_size=2)
    assert next(listing).key == prefix + "0"
    server.dialect.fail_next(1, status=503, method="GET")
    assert [o.key for o in listing] == [f"{prefix}{i}" for i in range(1, 4)]


# -- secrets ----------------------------------------------------------------------------------------


def test_secrets_stay_out_of_errors_and_logs(
    server: OssTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    store, _ = make_store(server, credentials=STS_CREDS)
    caplog.set_level(logging.DEBUG)
    store.put(unique("logged"), b"x")  # oss2 logs the request headers at DEBUG
    echo = f"StringToSign: PUT\nx-oss-security-token:{STS_CREDS[2]}\n secret {STS_CREDS[1]}"
    server.dialect.fail_next(
        1, status=403, code="SignatureDoesNotMatch", message=echo, method="PUT"
    )
    with pytest.raises(ServiceRefused) as caught:
        store.put(unique("denied"), b"x")
    assert caught.value.__cause__ is None
    text = str(caught.value) + caught.value.message
    text += "\n".join(record.getMessage() for record in caplog.records)
    assert any("oss2" in record.name for record in caplog.records)
    for secret in STS_CREDS[1:]:
        assert secret is not None
        assert secret not in text
