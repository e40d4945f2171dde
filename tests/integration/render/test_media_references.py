"""Media references of a manifest to files of a folder store, subtitle files beside a film."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from highlights.ports import MediaFolder
from highlights.render.media import MediaError, resolve_key, sidecar_key
from highlights.render.subtitles import Cue, load_subtitles
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url
from tests.unit.render.test_subtitles_text import ASS

MEDIA_ID = "0123456789abcdef0123456789abcdef"
KEYS = folder_key_for_url("cn-shanghai")


# -- media references -------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    root = tmp_path / "bucket"
    for key in ("films/a.mp4", f"media/{MEDIA_ID}.mp4", f"media/{MEDIA_ID}.srt", "pics/p.png"):
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return LocalStore(root)


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("https://any-bucket.oss-cn-shanghai.aliyuncs.com/films/a.mp4", "films/a.mp4"),
        ("http://other.oss-cn-shanghai-internal.aliyuncs.com/films/a.mp4", "films/a.mp4"),
        ("oss://whatever/films/a.mp4", "films/a.mp4"),
        ("films/a.mp4", "films/a.mp4"),
        ("pics/p.png", "pics/p.png"),  # images are media too: stills
        (MEDIA_ID, f"media/{MEDIA_ID}.mp4"),  # the .srt beside it is a sidecar, not the medium
        (MEDIA_ID.upper(), None),
    ],
)
def test_references_resolve_to_keys_inside_the_store(
    store: LocalStore, reference: str, key: str | None
) -> None:
    if key is None:  # media IDs are matched as written; an upper-case one names no file here
        with pytest.raises(MediaError) as caught:
            resolve_key(reference, store, KEYS)
        assert caught.value.code == "InvalidMedia.NotFound"
        return
    assert resolve_key(reference, store, KEYS) == key
    assert store.path_for(key) == store.root / key


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("films/missing.mp4", "InvalidMedia.NotFound"),
        ("ffffffffffffffffffffffffffffffff", "InvalidMedia.NotFound"),
        ("https://b.oss-cn-beijing.aliyuncs.com/films/a.mp4", "InvalidMedia.OutsideBucket"),
        ("https://example.com/films/a.mp4", "InvalidMedia.OutsideBucket"),
        ("/etc/passwd", "InvalidMedia.OutsideBucket"),
        ("../outside.mp4", "InvalidMedia.OutsideBucket"),
        ("oss://b/../../outside.mp4", "InvalidMedia.OutsideBucket"),
        ("http://[your-bucket].oss-[your-region-id].aliyuncs.com/x.mp4", "InvalidMedia.NotFound"),
    ],
)
def test_unusable_references_raise_a_clear_error(
    store: LocalStore, reference: str, code: str
) -> None:
    with pytest.raises(MediaError) as caught:
        resolve_key(reference, store, KEYS)
    assert caught.value.code == code
    assert caught.value.reference == reference
    assert reference in caught.value.message or "placeholder" in caught.value.message


def test_a_symlink_out_of_the_store_is_refused(store: LocalStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"secret")
    os.symlink(secret, store.root / "films" / "link.mp4")
    with pytest.raises(MediaError) as caught:
        resolve_key("films/link.mp4", store, KEYS)
    assert caught.value.code == "InvalidMedia.OutsideBucket"


def test_an_ambiguous_media_id_is_refused(store: LocalStore) -> None:
    (store.root / "media" / f"{MEDIA_ID}-cut.mp4").write_bytes(b"x")
    with pytest.raises(MediaError) as caught:
        resolve_key(MEDIA_ID, store, KEYS)
    assert caught.value.code == "InvalidMedia.Ambiguous"
    assert MEDIA_ID in caught.value.message


# -- subtitle files -------------------------------------------------------------------------------


def test_load_subtitles_by_suffix_and_gb18030(tmp_path: Path) -> None:
    (tmp_path / "a.ass").write_text(ASS, encoding="utf-8")
    (tmp_path / "b.srt").write_bytes(
        "1\n00:00:01,000 --> 00:00:02,000\n中文字幕\n".encode("gb18030")
    )
    assert len(load_subtitles(tmp_path / "a.ass")) == 2
    assert load_subtitles(tmp_path / "b.srt") == [Cue(1.0, 2.0, "中文字幕")]


def test_sidecar_same_stem_first_then_language_tagged(store: LocalStore) -> None:
    (store.root / "films" / "Film.mp4").write_bytes(b"")
    assert sidecar_key("films/Film.mp4", store) is None
    for name, found in [("Film.zh.srt", "Film.zh.srt"), ("Film.ass", "Film.ass"),
                        ("Film.srt", "Film.srt")]:  # fmt: skip
        (store.root / "films" / name).write_text("", encoding="utf-8")
        assert sidecar_key("films/Film.mp4", store) == f"films/{found}"
    assert sidecar_key(f"media/{MEDIA_ID}.mp4", store) == f"media/{MEDIA_ID}.srt"


def test_the_folder_store_is_a_media_folder(store: LocalStore) -> None:
    folder: MediaFolder = store  # what mypy checks; and at run time:
    assert isinstance(folder, MediaFolder)
    assert folder.path_for("films/a.mp4") == folder.root / "films" / "a.mp4"
    assert [o.key for o in folder.list("films/")] == ["films/a.mp4"]
