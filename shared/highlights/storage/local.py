"""A local folder that acts as one bucket.

Keys are `/`-separated and map to `<root>/<key>`. Every key is validated and resolved (following
symlinks) before use, and refused unless it stays under the root, so nothing outside the folder is
read or written. Writes go to a temp file in the target directory and are renamed into place, so a
reader sees the old object or the new one, never a partial one.

A folder cannot hold both `a` and `a/b` (OSS can): such a write raises UnsafeKey.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import os
import secrets
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from highlights.keys import check_folder_key, is_temp_name
from highlights.ports import AlreadyExists, NotFound, StoredObject, UnsafeKey

_CHUNK = 1 << 20
_ETAG_CACHE_SIZE = 4096
_PUT_ATTEMPTS = 5


def _temp_name(name: str) -> str:
    # Truncated so that the temp name stays under NAME_MAX even for a long final name.
    return f".{name[:64]}.tmp-{secrets.token_hex(8)}"


def split_key(key: str) -> list[str]:
    """The key's segments, or UnsafeKey if it is not a plain relative `/`-separated key."""
    return check_folder_key(key)


def _md5_etag(fd: int) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := os.read(fd, _CHUNK):
        digest.update(chunk)
    return digest.hexdigest().upper()


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; some filesystems refuse fsync on a directory.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class LocalStore:
    """ObjectStore over a folder. Thread- and process-safe for concurrent writers."""

    def __init__(self, root: str | Path, bucket: str = "local") -> None:
        self.bucket = bucket
        root_path = Path(root)
        root_path.mkdir(parents=True, exist_ok=True)
        self._root = root_path.resolve(strict=True)
        # (dev, inode, size, mtime_ns) → etag: lets repeated list/head skip re-hashing.
        self._etags: OrderedDict[tuple[int, int, int, int], str] = OrderedDict()
        self._etags_lock = threading.Lock()

    @property
    def root(self) -> Path:
        return self._root

    def __repr__(self) -> str:
        return f"LocalStore(root={str(self._root)!r}, bucket={self.bucket!r})"

    # -- keys -------------------------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """The file that holds key (it may not exist yet); UnsafeKey if it would leave the root."""
        parts = split_key(key)
        try:
            resolved = self._root.joinpath(*parts).resolve()
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise UnsafeKey(f"key cannot be resolved: {key!r}") from exc
        if not self._inside(resolved):
            raise UnsafeKey(f"key leaves the store's root: {key!r}")
        return resolved

    def _inside(self, resolved: Path) -> bool:
        return resolved != self._root and resolved.is_relative_to(self._root)

    # -- reads ------------------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        fd = self._open_regular(self.path_for(key))
        if fd is None:
            raise NotFound(key)
        with os.fdopen(fd, "rb") as f:
            return f.read()

    def _open_regular(self, path: Path) -> int | None:
        """A read-only fd on a regular file, or None if path is missing or something else."""
        try:
            # O_NONBLOCK: opening a FIFO planted in the folder must not hang the caller.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        if not _is_regular(os.fstat(fd)):
            os.close(fd)
            return None
        return fd

    def head(self, key: str) -> StoredObject:
        found = self._stat_object(self.path_for(key), key)
        if found is None:
            raise NotFound(key)
        return found

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def _stat_object(self, path: Path, key: str) -> StoredObject | None:
        """StoredObject for a regular file, or None if it is missing or not a file."""
        fd = self._open_regular(path)
        if fd is None:
            return None
        try:
            # fstat and hash the same open file, so size and etag agree under concurrent writes.
            st = os.fstat(fd)
            return StoredObject(
                key=key, size=st.st_size, etag=self._etag(fd, st), last_modified=st.st_mtime
            )
        finally:
            os.close(fd)

    def _etag(self, fd: int, st: os.stat_result) -> str:
        cache_key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._etags_lock:
            etag = self._etags.get(cache_key)
            if etag is not None:
                self._etags.move_to_end(cache_key)
                return etag
        etag = _md5_etag(fd)
        with self._etags_lock:
            self._etags[cache_key] = etag
            while len(self._etags) > _ETAG_CACHE_SIZE:
                self._etags.popitem(last=False)
        return etag

    # -- writes -----------------------------------------------------------------------------------

    def put(
        self, key: str, data: bytes, *, create_only: bool = False, content_type: str | None = None
    ) -> StoredObject:
        """Write atomically; content_type is accepted for the port's sake and not stored."""
        data = bytes(data)
        path = self.path_for(key)
        for attempt in range(_PUT_ATTEMPTS):
            self._make_parent(path, key)
            try:
                st = self._write_and_publish(path, data, create_only=create_only)
            except FileNotFoundError:
                # A concurrent delete pruned the (then empty) parent directory: recreate it.
                if attempt == _PUT_ATTEMPTS - 1:
                    raise
                continue
            except FileExistsError:
                raise AlreadyExists(key) from None
            except IsADirectoryError:
                raise UnsafeKey(f"a folder store holds a directory at {key!r}") from None
            _fsync_dir(path.parent)
            etag = hashlib.md5(data, usedforsecurity=False).hexdigest().upper()
            return StoredObject(key=key, size=len(data), etag=etag, last_modified=st.st_mtime)
        raise AssertionError("unreachable")  # pragma: no cover

    def _make_parent(self, path: Path, key: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise UnsafeKey(f"a folder store holds a file where {key!r} needs a folder") from None
        # Re-check after creating folders: a component may have been swapped for a symlink.
        if not (path.parent == self._root or self._inside(path.parent.resolve())):
            raise UnsafeKey(f"key leaves the store's root: {key!r}")

    def _write_and_publish(self, path: Path, data: bytes, *, create_only: bool) -> os.stat_result:
        tmp = path.parent / _temp_name(path.name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                st = os.fstat(fd)
            finally:
                os.close(fd)
            if create_only:
                # link() fails if the name exists, atomically: no check-then-write race.
                os.link(tmp, path)
            else:
                os.replace(tmp, path)
        finally:
            # After replace the temp name is gone; after link (or a failure) it must go.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return st

    def delete(self, key: str) -> None:
        self.path_for(key)  # validates, including where symlinks lead
        # Unlink the name itself: a symlink is removed, not the file it points to.
        path = self._root.joinpath(*split_key(key))
        if path.is_dir() and not path.is_symlink():
            return  # a "folder" is not an object: nothing to delete
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        self._prune_empty_parents(path.parent)

    def _prune_empty_parents(self, directory: Path) -> None:
        # rmdir only removes empty folders, so a concurrent put's new file is never lost.
        while directory != self._root and self._inside(directory):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    # -- listing ----------------------------------------------------------------------------------

    def list(
        self, prefix: str = "", *, start_after: str = "", page_size: int = 1000
    ) -> Iterator[StoredObject]:
        """Keys starting with prefix and greater than start_after, in UTF-8 byte order, lazily.

        Walks one folder at a time, sorted, so memory grows with the depth and width of the tree,
        not with its size. page_size only matters for remote stores; it is validated here.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        return self._list(prefix, start_after)

    def _list(self, prefix: str, start_after: str) -> Iterator[StoredObject]:
        # Start from the deepest folder that the prefix names in full.
        dir_key = prefix[: prefix.rfind("/") + 1]
        start = self._root
        if dir_key:
            try:
                start = self.path_for(dir_key[:-1])
            except UnsafeKey:
                return  # no valid key can start with this prefix
            if start != self._root.joinpath(*split_key(dir_key[:-1])):
                return  # the walk never goes through a symlinked folder; nor does this shortcut
        yield from self._walk(start, dir_key, prefix, start_after)

    def _walk(
        self, directory: Path, dir_key: str, prefix: str, start_after: str
    ) -> Iterator[StoredObject]:
        for sort_name, entry in self._sorted_entries(directory):
            key = dir_key + sort_name
            if sort_name.endswith("/"):
                if _subtree_wanted(key, prefix, start_after):
                    yield from self._walk(Path(entry.path), key, prefix, start_after)
            elif key.startswith(prefix) and key > start_after:
                found = self._stat_object(Path(entry.path), key)
                if found is not None:  # vanished since the scan, or not a regular file
                    yield found

    def _sorted_entries(self, directory: Path) -> builtins.list[tuple[str, os.DirEntry[str]]]:
        """A folder's entries, sorted so that walking them yields keys in lexicographic order.

        A folder `d` sorts as `d/`, the prefix of every key under it: names may contain
        characters below `/` (`a-b`, `a.b`), which sort before `a/…` in full keys.
        """
        try:
            with os.scandir(directory) as it:
                entries = [e for e in it if not is_temp_name(e.name) and _utf8(e.name)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        named: list[tuple[str, os.DirEntry[str]]] = []
        for entry in entries:
            kind = self._kind(entry)
            if kind == "dir":
                named.append((entry.name + "/", entry))
            elif kind == "file":
                named.append((entry.name, entry))
        named.sort(key=lambda item: item[0])
        return named

    def _kind(self, entry: os.DirEntry[str]) -> str | None:
        """'dir', 'file', or None to skip; symlinks count only as files that stay inside root."""
        try:
            if not entry.is_symlink():
                if entry.is_dir(follow_symlinks=False):
                    return "dir"
                return "file" if entry.is_file(follow_symlinks=False) else None
            # Never descend through a symlink (no cycles, no duplicates, nothing outside root).
            target = Path(entry.path).resolve()
        except (OSError, RuntimeError):
            return None
        return "file" if self._inside(target) and target.is_file() else None


def _subtree_wanted(dir_key: str, prefix: str, start_after: str) -> bool:
    """Whether any key under dir_key (which ends with `/`) can match prefix and start_after."""
    if not (dir_key.startswith(prefix) or prefix.startswith(dir_key)):
        return False
    # Every key under dir_key is <= start_after iff start_after is past dir_key and not inside it.
    return not (start_after > dir_key and not start_after.startswith(dir_key))


def _is_regular(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode)


def _utf8(name: str) -> bool:
    # Undecodable bytes come back as lone surrogates; such a name can never be a key.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
