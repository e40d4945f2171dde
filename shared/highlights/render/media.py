"""Media references of a manifest to files of the folder store.

A reference is an OSS URL in the store's region (any bucket name: the folder stands for the
bucket), ``oss://<bucket>/<key>``, a plain relative key, or a 32-hex media ID, which names the one
file directly under ``media/`` whose name starts with the ID (``media/<id>.mp4``). Images are
ordinary media here: the planner shows them as stills.

Every path goes through the folder's ``path_for`` (``ports.MediaFolder``), which refuses keys that would leave the store's
root (``..``, absolute keys, symlinks pointing out), so a manifest cannot make the engine read
anything outside the folder. That holds for the files found beside a film too (``sidecar_key``:
its subtitles). What is inside a file is vetted when it is probed (``probe.MediaRefused``: a
playlist posing as a film is refused, ``REFUSED``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from highlights.manifest.references import MEDIA_ID, placeholder_in
from highlights.ports import MediaFolder, PermanentError, UnsafeKey
from highlights.render.probe import REFUSED

KeyForUrl = Callable[[str], str | None]  # a reference (an OSS URL ...) to a key; None: elsewhere

MEDIA_LIBRARY = "media/"  # where the files that media IDs name are

NOT_FOUND = "InvalidMedia.NotFound"
OUTSIDE_BUCKET = "InvalidMedia.OutsideBucket"
AMBIGUOUS = "InvalidMedia.Ambiguous"
UNSUPPORTED = "InvalidMedia.Unsupported"
__all__ = ["AMBIGUOUS", "NOT_FOUND", "OUTSIDE_BUCKET", "REFUSED", "UNSUPPORTED", "MediaError"]

SIDECAR_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt")
MAX_SIDECAR_BYTES = 16 << 20  # a film's whole dialogue is well under 1 MB

# Files that sit beside a video under the same ID without being the medium itself.
_COMPANION_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt", ".json", ".txt", ".contact.png")


class MediaError(PermanentError):
    """A media reference that cannot be used; ``code`` is ICE-style (``InvalidMedia.NotFound``)."""

    def __init__(self, code: str, message: str, *, reference: str | None = None) -> None:
        super().__init__(message, code=code)
        self.reference = reference


def resolve_key(reference: str, folder: MediaFolder, key_for_url: KeyForUrl) -> str:
    """The store key of an existing file that ``reference`` names, or ``MediaError``."""
    reference = reference.strip()
    placeholder = placeholder_in(reference)
    if placeholder:
        raise MediaError(
            NOT_FOUND,
            f"{reference!r} holds the documentation placeholder {placeholder!r}",
            reference=reference,
        )
    if MEDIA_ID.match(reference):
        return _media_id(reference, folder)
    key = key_for_url(reference)
    if key is None:
        raise MediaError(
            OUTSIDE_BUCKET,
            f"{reference!r} is not in this store: an OSS URL in the configured region, "
            "oss://<bucket>/<key>, a relative key or a media ID is needed",
            reference=reference,
        )
    path = _path(folder, key, reference)
    if not path.is_file():
        raise MediaError(NOT_FOUND, f"{reference!r}: no file at {key!r}", reference=reference)
    return key


def _path(folder: MediaFolder, key: str, reference: str) -> Path:
    try:
        return folder.path_for(key)
    except UnsafeKey as exc:
        raise MediaError(
            OUTSIDE_BUCKET, f"{reference!r} leads outside the store ({exc})", reference=reference
        ) from None


def _media_id(media_id: str, folder: MediaFolder) -> str:
    """The one file directly under ``MEDIA_LIBRARY`` whose name starts with the ID."""
    found = [
        o.key
        for o in folder.list(f"{MEDIA_LIBRARY}{media_id}")
        # Directly under media/, and not a sidecar or note that shares the ID.
        if "/" not in o.key[len(MEDIA_LIBRARY) :]
        and not o.key.lower().endswith(_COMPANION_SUFFIXES)
    ]
    if not found:
        raise MediaError(
            NOT_FOUND,
            f"media ID {media_id}: no file under {MEDIA_LIBRARY} whose name starts with it",
            reference=media_id,
        )
    if len(found) > 1:
        # Picking one silently could put the wrong film in the video.
        raise MediaError(
            AMBIGUOUS,
            f"media ID {media_id} names several files: {', '.join(found[:5])}",
            reference=media_id,
        )
    key = found[0]
    _path(folder, key, media_id)  # a symlink in media/ must not lead out either
    return key


def sidecar_key(key: str, folder: MediaFolder) -> str | None:
    """The subtitle file beside the film at ``key``: ``<stem>.srt`` (or .ass/.ssa/.vtt), else
    the first ``<stem>.<lang>.srt`` and the like; None without one. Like media it must stay in
    the store (a symlink leading out is ``OUTSIDE_BUCKET``) and be a plain file of a sane size
    (``UNSUPPORTED`` above ``MAX_SIDECAR_BYTES``)."""
    parent, _, name = key.rpartition("/")
    directory = folder.path_for(parent) if parent else folder.root
    stem = name.rsplit(".", 1)[0].lower()
    try:
        names = sorted(entry.name for entry in os.scandir(directory))
    except OSError:
        return None
    exact = [n for s in SIDECAR_SUFFIXES for n in names if n.lower() == stem + s]
    tagged = [
        n
        for n in names
        if n.lower().startswith(stem + ".") and n.lower().endswith(SIDECAR_SUFFIXES)
    ]
    for found in dict.fromkeys(exact + tagged):
        sidecar = f"{parent}/{found}" if parent else found
        path = _path(folder, sidecar, sidecar)
        if not path.is_file():
            continue
        size = path.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            raise MediaError(
                UNSUPPORTED,
                f"{sidecar}: subtitles of {size} bytes, more than the {MAX_SIDECAR_BYTES} accepted",
                reference=sidecar,
            )
        return sidecar
    return None
