"""Object keys: one definition of what each store accepts, and of what the pipeline may write.

- `key_problem`: what OSS would refuse or could not list back (every store refuses these);
- `folder_key_problem`: what the folder store adds (no `.`/`..` or empty segments, no backslashes,
  no over-long segments, no temp-file names), never fewer;
- `output_key_problem`: a key the pipeline writes for a manifest (videos, result manifests): both of
  the above, no control characters, and nothing under the pipeline's own prefixes. Manifest
  validation checks output addresses with it, so a job never ends up with a key no store takes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_KEY_BYTES = 1023  # OSS's limit; keeps local and cloud keys interchangeable
MAX_SEGMENT_BYTES = 255  # NAME_MAX on common filesystems
_TEMP_NAME = re.compile(r"^\..*\.tmp-[0-9a-f]{16}$", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def is_temp_name(name: str) -> bool:
    """True for the name of a folder store's in-progress write (never listed, never a key)."""
    return bool(_TEMP_NAME.match(name))


def key_problem(key: str) -> str | None:
    """Why OSS would refuse key, or None."""
    if not isinstance(key, str) or not key:
        return f"empty or non-string key: {key!r}"
    if key.startswith(("/", "\\")) or key.endswith("/"):
        return f"key is absolute (starts with '/' or '\\') or ends with '/': {_short(key)!r}"
    if "\x00" in key:
        return f"key contains NUL: {_short(key)!r}"
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return f"key is not valid UTF-8: {_short(key)!r}"
    if size > MAX_KEY_BYTES:
        return f"key longer than {MAX_KEY_BYTES} bytes: {key[:80]!r}…"
    return None


def folder_key_problem(key: str) -> str | None:
    """Why the folder store would refuse key (OSS's rules and its own), or None."""
    problem = key_problem(key)
    if problem:
        return problem
    if "\\" in key:
        return f"key contains a backslash: {_short(key)!r}"
    for part in key.split("/"):
        if part in ("", ".", ".."):
            return f"key has an empty, '.' or '..' segment: {_short(key)!r}"
        if len(part.encode("utf-8")) > MAX_SEGMENT_BYTES:
            return f"key segment longer than {MAX_SEGMENT_BYTES} bytes: {_short(key)!r}"
        if is_temp_name(part):
            return f"key segment looks like a temp file: {_short(key)!r}"
    return None


def output_key_problem(key: str, reserved_prefixes: Sequence[str] = ()) -> str | None:
    """Why the pipeline must not write key for a user (a video, a result manifest), or None.

    Every store must take it, it holds no control characters (names end up in listings, logs and
    terminals), and it lies under none of reserved_prefixes (the pipeline's state, the inbox); an
    empty prefix reserves nothing.
    """
    problem = folder_key_problem(key)
    if problem:
        return problem
    control = _CONTROL.search(key)
    if control:
        return f"key contains the control character U+{ord(control.group()):04X}: {_short(key)!r}"
    for prefix in reserved_prefixes:
        if prefix and key.startswith(prefix):
            return f"key {_short(key)!r} lies under {prefix!r}, which the pipeline keeps for itself"
    return None


def check_key(key: str) -> str:
    """The key, or UnsafeKey naming why OSS would refuse it."""
    problem = key_problem(key)
    if problem:
        raise _unsafe(problem)
    return key


def check_folder_key(key: str) -> list[str]:
    """The key's segments, or UnsafeKey naming why the folder store would refuse it."""
    problem = folder_key_problem(key)
    if problem:
        raise _unsafe(problem)
    return key.split("/")


def _unsafe(problem: str) -> Exception:
    # Imported when raising: manifest validation uses these rules and need not load the ports.
    from highlights.ports import UnsafeKey

    return UnsafeKey(problem)


def _short(key: str) -> str:
    return key if len(key) <= 200 else key[:200] + "…"
