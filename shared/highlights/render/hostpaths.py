"""Host paths out of what a job reports: result manifests and job records name store keys.

Error messages carry what ffmpeg said, and ffmpeg names the files it read by their absolute
path. ``scrub`` turns a path under the store's root into its key, and any other absolute path
(a temp folder, a font) into its file name: enough to tell what failed, nothing about the host.
"""

from __future__ import annotations

import os
import re
from typing import Any

# An absolute path: a "/" that starts a word (not one inside a URL, a key or a fraction such
# as 30000/1001), at least two segments; what it ends with is kept.
_ABSOLUTE = re.compile(r"(?<![\w.~:/%-])/(?:[^\s/'\"()\[\],;:]+/)+([^\s/'\"()\[\],;:]*)")


def scrub(text: str, root: str | os.PathLike[str]) -> str:
    """``text`` with ``root/<key>`` as ``<key>`` and other absolute paths as their last part."""
    prefix = os.fspath(root).rstrip("/") + "/"
    text = text.replace(prefix, "")
    return _ABSOLUTE.sub(lambda found: found.group(1), text)


def scrub_tree(value: Any, root: str | os.PathLike[str]) -> Any:
    """``scrub`` applied to every string in a JSON-like value (dicts, lists, strings)."""
    if isinstance(value, str):
        return scrub(value, root)
    if isinstance(value, dict):
        return {key: scrub_tree(item, root) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_tree(item, root) for item in value]
    return value
