"""The ObjectStore contract: what every store (a folder, OSS) must do the same way.

Subclass `StoreContract` in a test module that provides a `store` fixture (an empty store, or a
shared one: every test writes under its own unique prefix, `ns`). Keys avoid being both an object
and a "folder" (`a` and `a/b`), which a folder store cannot hold.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from highlights.ports import AlreadyExists, NotFound, ObjectStore, StoredObject

# Keys whose order differs between a naive folder walk and byte order (`-`, `.`, ` `, `+`, `%`,
# `=` sort below `/`), plus upper case, digits, non-ASCII and nesting.
ORDERING_KEYS = (
    "a-b",
    "a/b",
    "a/c/d",
    "a/c-d",
    "a.b",
    "a b",
    "a+b",
    "a%2Fb",
    "a=b",
    "a0",
    "ab",
    "b",
    "Z",
    "é",
    "中文/视频.mp4",
    "中文-x",
)

ODD_KEYS = (
    "with space.txt",
    "dir with space/file name.json",
    "plus+sign+.bin",
    "percent%20and%25.txt",
    "equals=key=value&x=1",
    "中文目录/精彩片段_1.mp4",
    "tilde~and'quote'(paren)",
    "emoji-🎬.txt",
    ".highlights/jobs/job-1.json",
)


def _etag_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest().upper()


def _keys(objects: Iterator[StoredObject]) -> list[str]:
    return [o.key for o in objects]


def _byte_order(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


class StoreContract:
    """Tests that any ObjectStore must pass; needs a `store` fixture."""

    @pytest.fixture
    def ns(self) -> str:
        """A prefix no other test uses, so the suite also runs against a shared bucket."""
        return f"contract-{uuid.uuid4().hex[:12]}/"

    # -- shape --------------------------------------------------------------------------------

    def test_is_an_object_store(self, store: ObjectStore) -> None:
        assert isinstance(store, ObjectStore)
        assert isinstance(store.bucket, str)
        assert store.bucket

    # -- put / get / head -----------------------------------------------------------------------

    def test_put_get_round_trip(self, store: ObjectStore, ns: str) -> None:
        data = bytes(range(256)) * 4
        before = time.time()
        stored = store.put(ns + "x/y.bin", data, content_type="application/octet-stream")
        assert stored.key == ns + "x/y.bin"
        assert stored.size == len(data)
        assert stored.etag.strip('"').upper() == _etag_of(data)
        assert abs(stored.last_modified - before) < 120
        assert store.get(ns + "x/y.bin") == data

    def test_empty_object(self, store: ObjectStore, ns: str) -> None:
        stored = store.put(ns + "empty", b"")
        assert stored.size == 0
        assert store.get(ns + "empty") == b""
        assert store.head(ns + "empty").size == 0

    def test_larger_object(self, store: ObjectStore, ns: str) -> None:
        data = uuid.uuid4().bytes * 65536  # 1 MiB
        store.put(ns + "big", data)
        assert store.get(ns + "big") == data
        assert store.head(ns + "big").size == len(data)

    def test_head_matches_put(self, store: ObjectStore, ns: str) -> None:
        stored = store.put(ns + "h", b"hello")
        head = store.head(ns + "h")
        assert head.key == ns + "h"
        assert head.size == 5
        assert head.etag == stored.etag
        assert abs(head.last_modified - stored.last_modified) < 2

    def test_overwrite_replaces_content_and_etag(self, store: ObjectStore, ns: str) -> None:
        first = store.put(ns + "k", b"one")
        second = store.put(ns + "k", b"two, longer")
        assert store.get(ns + "k") == b"two, longer"
        assert second.etag != first.etag
        assert store.head(ns + "k").etag == second.etag
        assert store.head(ns + "k").size == len(b"two, longer")

    def test_create_only_creates_a_new_key(self, store: ObjectStore, ns: str) -> None:
        stored = store.put(ns + "new", b"first", create_only=True)
        assert stored.size == 5
        assert store.get(ns + "new") == b"first"

    def test_create_only_refuses_an_existing_key(self, store: ObjectStore, ns: str) -> None:
        original = store.put(ns + "once", b"original")
        with pytest.raises(AlreadyExists):
            store.put(ns + "once", b"intruder", create_only=True)
        assert store.get(ns + "once") == b"original"
        assert store.head(ns + "once").etag == original.etag

    def test_missing_key(self, store: ObjectStore, ns: str) -> None:
        with pytest.raises(NotFound):
            store.get(ns + "missing")
        with pytest.raises(NotFound):
            store.head(ns + "missing")
        assert store.exists(ns + "missing") is False

    def test_exists(self, store: ObjectStore, ns: str) -> None:
        store.put(ns + "here", b"x")
        assert store.exists(ns + "here") is True

    def test_a_folder_is_not_an_object(self, store: ObjectStore, ns: str) -> None:
        store.put(ns + "dir/file", b"x")
        assert store.exists(ns + "dir") is False
        with pytest.raises(NotFound):
            store.get(ns + "dir")
        with pytest.raises(NotFound):
            store.head(ns + "dir")

    # -- delete ---------------------------------------------------------------------------------

    def test_delete_removes_and_is_idempotent(self, store: ObjectStore, ns: str) -> None:
        store.put(ns + "d/gone", b"x")
        store.put(ns + "d/kept", b"y")
        store.delete(ns + "d/gone")
        assert store.exists(ns + "d/gone") is False
        with pytest.raises(NotFound):
            store.get(ns + "d/gone")
        store.delete(ns + "d/gone")
        store.delete(ns + "never/existed")
        assert _keys(store.list(ns)) == [ns + "d/kept"]

    def test_put_after_delete(self, store: ObjectStore, ns: str) -> None:
        store.put(ns + "p/q", b"1")
        store.delete(ns + "p/q")
        store.put(ns + "p/q", b"2", create_only=True)
        assert store.get(ns + "p/q") == b"2"

    # -- list -----------------------------------------------------------------------------------

    def test_list_is_in_byte_order(self, store: ObjectStore, ns: str) -> None:
        for key in ORDERING_KEYS:
            store.put(ns + key, key.encode())
        expected = _byte_order([ns + k for k in ORDERING_KEYS])
        assert _keys(store.list(ns)) == expected

    def test_list_reports_size_and_etag(self, store: ObjectStore, ns: str) -> None:
        stored = store.put(ns + "obj", b"12345")
        (listed,) = store.list(ns)
        assert listed.key == ns + "obj"
        assert listed.size == 5
        assert listed.etag == stored.etag
        assert abs(listed.last_modified - stored.last_modified) < 2

    def test_list_from_the_bucket_root_includes_our_keys(self, store: ObjectStore, ns: str) -> None:
        for key in ("b", "a/1", "a-1"):
            store.put(ns + key, b"x")
        ours = [k for k in _keys(store.list()) if k.startswith(ns)]
        assert ours == [ns + "a-1", ns + "a/1", ns + "b"]

    def test_list_prefix_is_a_string_prefix(self, store: ObjectStore, ns: str) -> None:
        for key in ("ab/1", "ab/2", "abc", "ab-x", "a/b", "b/ab"):
            store.put(ns + key, b"x")
        assert _keys(store.list(ns + "ab")) == [ns + "ab-x", ns + "ab/1", ns + "ab/2", ns + "abc"]
        assert _keys(store.list(ns + "ab/")) == [ns + "ab/1", ns + "ab/2"]
        assert _keys(store.list(ns + "ab/2")) == [ns + "ab/2"]
        assert _keys(store.list(ns + "zz")) == []
        assert _keys(store.list(ns + "ab/1/")) == []

    def test_list_start_after(self, store: ObjectStore, ns: str) -> None:
        for key in ORDERING_KEYS:
            store.put(ns + key, b"x")
        ordered = _byte_order([ns + k for k in ORDERING_KEYS])
        for i, after in enumerate(ordered):
            assert _keys(store.list(ns, start_after=after)) == ordered[i + 1 :]
        # start_after need not be a key: folders and in-between strings work too.
        for after in (ns + "a/", ns + "a/c", ns + "a-", ns + "a/zzz", ns, ns + "中"):
            expected = [k for k in ordered if k.encode() > after.encode()]
            assert _keys(store.list(ns, start_after=after)) == expected, after

    def test_start_after_before_prefix_and_past_it(self, store: ObjectStore, ns: str) -> None:
        store.put(ns + "m/1", b"x")
        store.put(ns + "m/2", b"x")
        assert _keys(store.list(ns + "m/", start_after=ns + "a")) == [ns + "m/1", ns + "m/2"]
        assert _keys(store.list(ns + "m/", start_after=ns + "n")) == []

    def test_pagination_does_not_change_the_result(self, store: ObjectStore, ns: str) -> None:
        keys = [f"p/{i:02d}" for i in range(13)] + ["p-", "q", "p/x/y", "p/x-y"]
        for key in keys:
            store.put(ns + key, b"x")
        full = _keys(store.list(ns, page_size=1000))
        assert full == _byte_order([ns + k for k in keys])
        for size in (1, 2, 3, 5, 7, 13, 100):
            assert _keys(store.list(ns, page_size=size)) == full, size
            middle = full[5]
            assert _keys(store.list(ns, start_after=middle, page_size=size)) == full[6:]

    def test_list_is_lazy(self, store: ObjectStore, ns: str) -> None:
        for i in range(30):
            store.put(ns + f"lazy/{i:03d}/obj", b"x")
        listing = store.list(ns, page_size=2)
        assert isinstance(listing, Iterator)
        assert next(listing).key == ns + "lazy/000/obj"
        assert next(listing).key == ns + "lazy/001/obj"
        # A fresh listing is independent of the one left half-read.
        assert next(iter(store.list(ns + "lazy/029/"))).key == ns + "lazy/029/obj"

    def test_list_is_empty_for_an_unused_prefix(self, store: ObjectStore, ns: str) -> None:
        assert list(store.list(ns)) == []

    # -- awkward keys ---------------------------------------------------------------------------

    def test_odd_keys_survive_put_list_get(self, store: ObjectStore, ns: str) -> None:
        for key in ODD_KEYS:
            store.put(ns + key, key.encode("utf-8"))
        assert _keys(store.list(ns)) == _byte_order([ns + k for k in ODD_KEYS])
        for key in ODD_KEYS:
            assert store.get(ns + key) == key.encode("utf-8")
            assert store.head(ns + key).key == ns + key
            assert store.exists(ns + key)
        for key in ODD_KEYS:
            assert _keys(store.list(ns + key)) == [ns + key]
            store.delete(ns + key)
        assert _keys(store.list(ns)) == []

    # -- concurrency ----------------------------------------------------------------------------

    def test_concurrent_create_only_has_one_winner(self, store: ObjectStore, ns: str) -> None:
        results = _race(
            8, lambda i: store.put(ns + "race", f"writer {i}".encode(), create_only=True)
        )
        winners = [i for i, r in results.items() if isinstance(r, StoredObject)]
        losers = [i for i, r in results.items() if isinstance(r, AlreadyExists)]
        assert len(winners) == 1, results
        assert len(losers) == 7, results
        assert store.get(ns + "race") == f"writer {winners[0]}".encode()

    def test_concurrent_overwrites_leave_one_whole_value(self, store: ObjectStore, ns: str) -> None:
        payloads = {i: bytes([65 + i]) * (1000 + i) for i in range(8)}
        results = _race(8, lambda i: store.put(ns + "same", payloads[i]))
        assert all(isinstance(r, StoredObject) for r in results.values()), results
        assert store.get(ns + "same") in payloads.values()
        assert _keys(store.list(ns)) == [ns + "same"]


def _race(n: int, work: Callable[[int], object]) -> dict[int, object]:
    """Run work(i) on n threads released together; map each i to its result or exception."""
    barrier = threading.Barrier(n)
    results: dict[int, object] = {}

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # the caller inspects which exceptions happened
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results
