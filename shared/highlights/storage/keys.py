"""Object keys every store accepts: what OSS would store and could list back. The folder store adds
its own rules on top (no `.`/`..` or empty segments, no backslashes), never fewer."""

from __future__ import annotations

from highlights.ports import UnsafeKey

MAX_KEY_BYTES = 1023  # OSS's limit; keeps local and cloud keys interchangeable


def check_key(key: str) -> str:
    """The key, or UnsafeKey naming why OSS would refuse it."""
    if not isinstance(key, str) or not key:
        raise UnsafeKey(f"empty or non-string key: {key!r}")
    if key.startswith(("/", "\\")) or key.endswith("/"):
        raise UnsafeKey(f"key is absolute (starts with '/' or '\\') or ends with '/': {key!r}")
    if "\x00" in key:
        raise UnsafeKey(f"key contains NUL: {key!r}")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise UnsafeKey(f"key is not valid UTF-8: {key!r}") from None
    if size > MAX_KEY_BYTES:
        raise UnsafeKey(f"key longer than {MAX_KEY_BYTES} bytes: {key[:80]!r}…")
    return key
