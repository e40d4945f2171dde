"""MediaInfo from ffprobe's JSON: videos, stills, audio, cover art, subtitles."""

from __future__ import annotations

import pytest

from highlights.render.errors import RenderError
from highlights.render.probe import SubtitleStream, media_info_from_ffprobe

VIDEO = {
    "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.480000"},
    "streams": [
        {"index": 0, "codec_type": "video", "codec_name": "h264", "width": 1280, "height": 720,
         "avg_frame_rate": "30000/1001", "r_frame_rate": "30000/1001", "nb_frames": "374"},
        {"index": 1, "codec_type": "audio", "codec_name": "aac"},
        {"index": 2, "codec_type": "subtitle", "codec_name": "mov_text",
         "tags": {"language": "chi", "title": "Chinese"}},
        {"index": 3, "codec_type": "subtitle", "codec_name": "hdmv_pgs_subtitle"},
    ],
}  # fmt: skip


def test_video() -> None:
    info = media_info_from_ffprobe("/m/film.mp4", VIDEO)
    assert info.kind == "video"
    assert info.duration == pytest.approx(12.48)
    assert (info.width, info.height) == (1280, 720)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.has_audio
    assert info.subtitle_streams == (
        SubtitleStream(2, "mov_text", "chi", "Chinese"),
        SubtitleStream(3, "hdmv_pgs_subtitle"),
    )
    assert [s.is_text for s in info.subtitle_streams] == [True, False]


@pytest.mark.parametrize(
    ("name", "format_name", "codec"),
    [("a.png", "png_pipe", "png"), ("a.jpg", "image2", "mjpeg"), ("a.webp", "webp_pipe", "webp")],
)
def test_stills(name: str, format_name: str, codec: str) -> None:
    data = {
        "format": {"format_name": format_name, "duration": "0.040000"},
        "streams": [{"codec_type": "video", "codec_name": codec, "width": 64, "height": 48,
                     "avg_frame_rate": "25/1"}],
    }  # fmt: skip
    info = media_info_from_ffprobe(name, data)
    assert info.kind == "image"
    assert info.duration is None
    assert info.fps is None
    assert (info.width, info.height) == (64, 48)


def test_animated_gif_is_a_video() -> None:
    data = {
        "format": {"format_name": "gif", "duration": "2.0"},
        "streams": [{"codec_type": "video", "codec_name": "gif", "width": 10, "height": 10,
                     "avg_frame_rate": "10/1", "nb_frames": "20"}],
    }  # fmt: skip
    assert media_info_from_ffprobe("a.gif", data).kind == "video"


def test_audio_with_cover_art_is_audio() -> None:
    data = {
        "format": {"format_name": "mp3", "duration": "3.5"},
        "streams": [
            {"codec_type": "audio", "codec_name": "mp3"},
            {"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}},
        ],
    }
    info = media_info_from_ffprobe("song.mp3", data)
    assert info.kind == "audio"
    assert info.duration == 3.5
    assert info.width is None


def test_nothing_playable_is_an_error() -> None:
    with pytest.raises(RenderError, match="no video or audio"):
        media_info_from_ffprobe("x.bin", {"format": {}, "streams": []})
