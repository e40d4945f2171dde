"""MemoryStore keeps the ObjectStore contract: unit tests and simulations run on it."""

from __future__ import annotations

import pytest

from highlights.ports import UnsafeKey
from highlights.storage.memory import MemoryStore
from tests.contract.store_contract import StoreContract


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore("test-bucket")


class TestMemoryStoreContract(StoreContract):
    pass


def test_keys_are_checked_like_oss_does(store: MemoryStore) -> None:
    for key in ("", "/abs", "dir/", "nul\x00", "x" * 1024):
        with pytest.raises(UnsafeKey):
            store.put(key, b"x")


def test_listing_sees_top_level_keys_and_only_the_prefix(store: MemoryStore) -> None:
    for key in ("a", "a-b", "a/b", "a/c/d", "ab", "b/x"):
        store.put(key, b"1")
    assert [o.key for o in store.list("a")] == ["a", "a-b", "a/b", "a/c/d", "ab"]
    assert [o.key for o in store.list("a/")] == ["a/b", "a/c/d"]
    assert [o.key for o in store.list("a/c")] == ["a/c/d"]
    assert [o.key for o in store.list("", start_after="a/c/d")] == ["ab", "b/x"]
