"""LocalStore: the ObjectStore contract, plus what only a folder can get wrong."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from pathlib import Path

import pytest

from highlights.ports import AlreadyExists, NotFound, UnsafeKey
from highlights.storage import local
from highlights.storage.local import LocalStore, is_temp_name
from tests.contract.store_contract import StoreContract


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "bucket", bucket="test-bucket")


class TestLocalStoreContract(StoreContract):
    pass


def _files_under(root: Path) -> set[str]:
    return {
        Path(dirpath, name).relative_to(root).as_posix()
        for dirpath, _, names in os.walk(root)
        for name in names
    }


# -- construction ---------------------------------------------------------------------------------


def test_root_is_created_and_resolved(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path / "new" / "deep"))
    assert store.root == (tmp_path / "new" / "deep").resolve()
    assert store.root.is_dir()
    assert store.bucket == "local"


def test_path_for_maps_key_under_root(store: LocalStore) -> None:
    assert store.path_for("a/b c/中文.mp4") == store.root / "a" / "b c" / "中文.mp4"


def test_etag_is_uppercase_md5(store: LocalStore) -> None:
    expected = hashlib.md5(b"payload").hexdigest().upper()
    assert store.put("k", b"payload").etag == expected
    assert store.head("k").etag == expected
    assert [o.etag for o in store.list()] == [expected]


def test_etag_follows_a_file_changed_in_place(store: LocalStore) -> None:
    store.put("k", b"one")
    assert store.head("k").etag == hashlib.md5(b"one").hexdigest().upper()
    # The render engine writes through path_for; the etag cache must not serve a stale value.
    store.path_for("k").write_bytes(b"two!")
    assert store.head("k").etag == hashlib.md5(b"two!").hexdigest().upper()


# -- unsafe keys ----------------------------------------------------------------------------------

UNSAFE_KEYS = [
    "",
    ".",
    "..",
    "../x",
    "a/../../x",
    "a/..",
    "a/./b",
    "/etc/passwd",
    "//x",
    "a//b",
    "a/",
    "a\\b",
    "..\\x",
    "a\x00b",
    "\udcff",  # not encodable as UTF-8
    "x" * 1024,
    "a/" + "x" * 256,
    ".name.tmp-0123456789abcdef",
]


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_unsafe_keys_are_refused_everywhere(store: LocalStore, tmp_path: Path, key: str) -> None:
    for call in (
        lambda: store.get(key),
        lambda: store.head(key),
        lambda: store.exists(key),
        lambda: store.put(key, b"x"),
        lambda: store.put(key, b"x", create_only=True),
        lambda: store.delete(key),
        lambda: store.path_for(key),
    ):
        with pytest.raises(UnsafeKey):
            call()
    assert {p.name for p in tmp_path.iterdir()} == {"bucket"}
    assert _files_under(store.root) == set()


def test_unsafe_key_is_a_value_error(store: LocalStore) -> None:
    with pytest.raises(ValueError, match="absolute"):
        store.get("/etc/passwd")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret").write_bytes(b"top secret")
    return folder


def test_symlinked_folder_leading_outside_is_refused(store: LocalStore, outside: Path) -> None:
    (store.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeKey):
        store.get("link/secret")
    with pytest.raises(UnsafeKey):
        store.head("link/secret")
    with pytest.raises(UnsafeKey):
        store.put("link/new", b"x")
    with pytest.raises(UnsafeKey):
        store.put("link/secret", b"overwritten")
    with pytest.raises(UnsafeKey):
        store.delete("link/secret")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (outside / "secret").read_bytes() == b"top secret"
    assert list(store.list()) == []
    assert list(store.list("link/")) == []


def test_symlinked_file_leading_outside_is_refused(store: LocalStore, outside: Path) -> None:
    (store.root / "evil").symlink_to(outside / "secret")
    with pytest.raises(UnsafeKey):
        store.get("evil")
    with pytest.raises(UnsafeKey):
        store.put("evil", b"overwritten")
    with pytest.raises(UnsafeKey):
        store.exists("evil")
    assert (outside / "secret").read_bytes() == b"top secret"
    assert list(store.list()) == []


def test_symlink_staying_inside_is_allowed(store: LocalStore) -> None:
    store.put("real/file", b"data")
    (store.root / "alias").symlink_to(store.root / "real" / "file")
    assert store.get("alias") == b"data"
    assert [o.key for o in store.list()] == ["alias", "real/file"]
    store.delete("alias")  # removes the link, not its target
    assert store.get("real/file") == b"data"


def test_symlink_loop_is_not_followed(store: LocalStore) -> None:
    (store.root / "loop").symlink_to(store.root / "loop")
    with pytest.raises((UnsafeKey, NotFound)):
        store.get("loop")
    assert list(store.list()) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_not_objects(store: LocalStore) -> None:
    os.mkfifo(store.root / "fifo")
    with pytest.raises(NotFound):
        store.get("fifo")  # must not block
    with pytest.raises(NotFound):
        store.head("fifo")
    assert not store.exists("fifo")
    assert list(store.list()) == []


# -- atomic writes --------------------------------------------------------------------------------


def test_no_temp_files_are_left(store: LocalStore) -> None:
    store.put("a/b", b"1")
    store.put("a/b", b"2")
    store.put("c", b"3", create_only=True)
    with pytest.raises(AlreadyExists):
        store.put("c", b"4", create_only=True)
    assert _files_under(store.root) == {"a/b", "c"}


def test_failed_replace_keeps_the_old_object(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put("dir/k", b"old content")

    def crash(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk on fire"):
        store.put("dir/k", b"new content that never lands")
    assert store.get("dir/k") == b"old content"
    assert [o.key for o in store.list()] == ["dir/k"]
    assert _files_under(store.root) == {"dir/k"}


def test_failed_link_creates_nothing(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "link", crash)
    with pytest.raises(OSError, match="disk on fire"):
        store.put("k", b"never", create_only=True)
    assert not store.exists("k")
    assert _files_under(store.root) == set()


def test_leftover_temp_file_of_a_crashed_writer_is_invisible(store: LocalStore) -> None:
    store.put("dir/k", b"old")
    leftover = store.root / "dir" / ".k.tmp-0123456789abcdef"
    leftover.write_bytes(b"half writ")
    assert is_temp_name(leftover.name)
    assert [o.key for o in store.list()] == ["dir/k"]
    assert [o.key for o in store.list("dir/.k")] == []
    assert store.get("dir/k") == b"old"


def test_put_survives_a_concurrent_prune_of_its_folder(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = store._make_parent
    calls = []

    def make_then_lose_parent(path: Path, key: str) -> None:
        original(path, key)
        calls.append(key)
        if len(calls) == 1:
            path.parent.rmdir()  # what a delete of the folder's last object does

    monkeypatch.setattr(store, "_make_parent", make_then_lose_parent)
    store.put("p/q/k", b"x")
    assert store.get("p/q/k") == b"x"
    assert len(calls) == 2


def test_file_and_folder_under_one_name_conflict(store: LocalStore) -> None:
    store.put("a/b", b"x")
    with pytest.raises(UnsafeKey):
        store.put("a", b"y")
    store.put("f", b"x")
    with pytest.raises(UnsafeKey):
        store.put("f/g", b"y")
    assert _files_under(store.root) == {"a/b", "f"}


def test_delete_prunes_empty_folders_only(store: LocalStore) -> None:
    store.put("x/y/z/1", b"1")
    store.put("x/2", b"2")
    store.delete("x/y/z/1")
    assert not (store.root / "x" / "y").exists()
    assert (store.root / "x").is_dir()
    store.delete("x/2")
    assert list(store.root.iterdir()) == []
    assert store.root.is_dir()


def test_delete_of_a_folder_name_does_nothing(store: LocalStore) -> None:
    store.put("d/k", b"x")
    store.delete("d")
    assert store.get("d/k") == b"x"


def _create_only_in_child(root: str, i: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait()
    try:
        LocalStore(root).put("race", f"process {i}".encode(), create_only=True)
    except AlreadyExists:
        sys.exit(1)
    sys.exit(0)


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork for speed"
)
def test_create_only_is_race_free_across_processes(store: LocalStore) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    procs = [
        ctx.Process(target=_create_only_in_child, args=(str(store.root), i, barrier))
        for i in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=20)
    codes = sorted(p.exitcode for p in procs)
    assert codes == [0, 1, 1, 1]
    winner = next(i for i, p in enumerate(procs) if p.exitcode == 0)
    assert store.get("race") == f"process {winner}".encode()


# -- listing --------------------------------------------------------------------------------------


@pytest.fixture
def scandir_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths that the store scans, relative to nothing: recorded as given."""
    calls: list[str] = []
    real = os.scandir

    def counting(path: object) -> object:
        calls.append(os.fspath(path))  # type: ignore[arg-type]
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(local.os, "scandir", counting)
    return calls


def test_first_item_needs_only_the_first_folders(
    store: LocalStore, scandir_calls: list[str]
) -> None:
    for i in range(40):
        store.put(f"d{i:02d}/x/obj", b"x")
    scandir_calls.clear()
    assert next(store.list()).key == "d00/x/obj"
    assert len(scandir_calls) == 3  # root, d00, d00/x


def test_prefix_starts_the_walk_in_its_folder(store: LocalStore, scandir_calls: list[str]) -> None:
    for i in range(20):
        store.put(f"d{i:02d}/obj", b"x")
    scandir_calls.clear()
    assert [o.key for o in store.list("d07/")] == ["d07/obj"]
    assert scandir_calls == [str(store.root / "d07")]


def test_start_after_skips_whole_folders(store: LocalStore, scandir_calls: list[str]) -> None:
    for i in range(20):
        store.put(f"d{i:02d}/obj", b"x")
    scandir_calls.clear()
    assert next(store.list(start_after="d15/obj")).key == "d16/obj"
    assert scandir_calls == [str(store.root), str(store.root / "d15"), str(store.root / "d16")]


def test_list_rejects_a_bad_page_size(store: LocalStore) -> None:
    with pytest.raises(ValueError, match="page_size"):
        store.list(page_size=0)


def test_list_with_an_unsafe_prefix_is_empty(store: LocalStore) -> None:
    store.put("a/b", b"x")
    assert list(store.list("../")) == []
    assert list(store.list("a//")) == []
    assert list(store.list("/a/")) == []


def test_undecodable_names_are_skipped(store: LocalStore) -> None:
    store.put("ok", b"x")
    try:
        (store.root / os.fsdecode(b"bad\xff")).write_bytes(b"x")
    except (OSError, UnicodeEncodeError):
        pytest.skip("filesystem refuses non-UTF-8 names")
    assert [o.key for o in store.list()] == ["ok"]
