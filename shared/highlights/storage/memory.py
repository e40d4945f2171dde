"""A bucket in memory: the ObjectStore contract without a disk or a network.

For unit tests (which keep off the disk) and simulations (a day of jobs in seconds). It keeps the
same rules as the other stores: OSS's key rules, create-only writes, listing in UTF-8 byte order a
page at a time (code-point order is UTF-8 byte order), ETags as upper-case MD5.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from highlights.keys import check_key
from highlights.ports import AlreadyExists, NotFound, StoredObject


@dataclass(frozen=True)
class _Object:
    data: bytes
    etag: str
    last_modified: float


class MemoryStore:
    """ObjectStore over a dict. Thread-safe."""

    def __init__(self, bucket: str = "memory", *, clock: Callable[[], float] = time.time) -> None:
        self.bucket = bucket
        self._clock = clock
        self._lock = threading.Lock()
        self._objects: dict[str, _Object] = {}
        # keys by folder: a listing sorts only the folders under its prefix, not the whole bucket
        self._folders: dict[str, set[str]] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(bucket={self.bucket!r}, objects={len(self._objects)})"

    def get(self, key: str) -> bytes:
        return self._find(key).data

    def head(self, key: str) -> StoredObject:
        found = self._find(key)
        return StoredObject(key, len(found.data), found.etag, found.last_modified)

    def exists(self, key: str) -> bool:
        check_key(key)
        with self._lock:
            return key in self._objects

    def put(
        self, key: str, data: bytes, *, create_only: bool = False, content_type: str | None = None
    ) -> StoredObject:
        check_key(key)
        data = bytes(data)
        stored = _Object(data, hashlib.md5(data, usedforsecurity=False).hexdigest().upper(), 0.0)
        with self._lock:
            if create_only and key in self._objects:
                raise AlreadyExists(key)
            stored = _Object(stored.data, stored.etag, self._clock())
            self._objects[key] = stored
            self._folders.setdefault(_folder(key), set()).add(key)
        return StoredObject(key, len(data), stored.etag, stored.last_modified)

    def delete(self, key: str) -> None:
        check_key(key)
        with self._lock:
            if self._objects.pop(key, None) is not None:
                folder = self._folders[_folder(key)]
                folder.discard(key)
                if not folder:
                    del self._folders[_folder(key)]

    def list(
        self, prefix: str = "", *, start_after: str = "", page_size: int = 1000
    ) -> Iterator[StoredObject]:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        return self._list(prefix, start_after)

    def _list(self, prefix: str, start_after: str) -> Iterator[StoredObject]:
        with self._lock:
            keys = sorted(
                key
                for folder, members in self._folders.items()
                if not folder
                or (folder + "/").startswith(prefix)
                or prefix.startswith(folder + "/")
                for key in members
                if key.startswith(prefix) and key > start_after
            )
        for key in keys:
            with self._lock:
                found = self._objects.get(key)
            if found is not None:  # deleted since the page was read: OSS would not list it
                yield StoredObject(key, len(found.data), found.etag, found.last_modified)

    def _find(self, key: str) -> _Object:
        check_key(key)
        with self._lock:
            found = self._objects.get(key)
        if found is None:
            raise NotFound(key)
        return found


def _folder(key: str) -> str:
    return key.rsplit("/", 1)[0] if "/" in key else ""
