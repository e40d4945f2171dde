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


def scrub_timeline(timeline: dict[str, Any], root: str | os.PathLike[str]) -> dict[str, Any]:
    """A timeline's dump with ``scrub`` applied where the engine writes paths or tool messages
    (its warnings, narration audio); the texts of the manifest (titles, captions) are left as
    they were written."""
    out = dict(timeline)
    out["warnings"] = [scrub(w, root) for w in timeline.get("warnings") or []]
    segments = []
    for segment in timeline.get("segments") or []:
        narration = segment.get("narration")
        if isinstance(narration, dict) and isinstance(narration.get("audio"), str):
            segment = {
                **segment,
                "narration": {**narration, "audio": scrub(narration["audio"], root)},
            }
        segments.append(segment)
    out["segments"] = segments
    return out
