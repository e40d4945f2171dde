"""The report pages, built from documents alone: what a person sees, and that nothing from a
manifest can become markup or script. (tests/integration/browser loads them in Chromium.)"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from highlights.pages import result as result_module
from highlights.pages.common import relative, script_hash
from highlights.pages.lines import ancestors, locate
from highlights.pages.rejection import rejection_page
from highlights.pages.result import Video, result_page
from highlights.render import contact_sheet

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


class Parsed(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def words(self) -> str:
        return "".join(self.text)


def segment(index: int, start: float, **changes: Any) -> dict[str, Any]:
    return {
        "index": index,
        "start": start,
        "duration": 2.0,
        "source": "media/film.mp4",
        "source_in": 10.0 + index,
        "source_out": 12.0 + index,
        "narration": {"text": f"Sentence {index}.", "audio": "a.wav", "duration": 1.5},
        "shot_text": f"Shot {index}",
        "match": "subtitle",
        "match_score": 0.75,
        "matched_text": f"Dialogue {index}",
        **changes,
    }


def result(state: str = "SUCCEEDED", **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": "highlights.result",
        "version": 1,
        "job": {
            "id": "night-0123456789ab",
            "state": state,
            "manifest": {"bucket": "local", "key": "manifests/night.json", "etag": "E"},
            "ice_job_id": "local-1",
            "created_at": "2026-11-30T17:21:00Z",
            "submitted_at": "2026-11-30T17:21:02Z",
            "completed_at": "2026-11-30T17:21:32Z",
        },
        "outputs": [
            {
                "index": 1,
                "status": "Success",
                "media_url": "https://b.oss-cn-shanghai.aliyuncs.com/out/h_1.mp4",
                "duration": 6.0,
            }
        ],
        "summary": {"requested": 1, "succeeded": 1, "failed": 0},
        "request": {"InputConfig": {"TitleArray": ["Night Train"]}},
        "timelines": [
            {
                "index": 1,
                "output": "out/h_1.mp4",
                "contact_sheet": "out/h_1.contact.png",
                "title": {"text": "Night Train", "y": 0.05},
                "segments": [segment(1, 0.0), segment(2, 2.0), segment(3, 4.0)],
                "warnings": ["music was shorter than the video"],
            }
        ],
    }
    document.update(changes)
    return document


def page(document: dict[str, Any], *, local: bool = True) -> str:
    return result_page(
        document,
        here="out/night.report.html",
        videos={1: Video("out/h_1.mp4", 2_345_678)},
        relative_links=local,
    )


def test_a_local_job_shows_its_player_facts_and_timeline() -> None:
    parsed = Parsed(page(result()))
    [video] = parsed.all("video")
    assert video["src"] == "h_1.mp4" and video["preload"] == "metadata"
    words = parsed.words
    for shown in ("SUCCEEDED", "6.0 s", "2.3 MB", "1 of 1 succeeded", "30.0 s", "Night Train"):
        assert shown in words
    assert "music was shorter than the video" in words
    rows = [a for a in parsed.all("tr") if a.get("class") == "seg"]
    assert [r["data-start"] for r in rows] == ["0.000", "2.000", "4.000"]
    assert [r["data-end"] for r in rows] == ["2.000", "4.000", "6.000"]
    for expected in ("Sentence 2.", "Shot 2", "Dialogue 2", "subtitle", "0.75", "film.mp4"):
        assert expected in words
    [table] = parsed.all("table")
    assert table["data-video"] == video["id"]


def test_each_row_shows_its_own_cell_of_the_contact_sheet() -> None:
    document = result()
    document["timelines"][0]["segments"] = [segment(i, 2.0 * i) for i in range(1, 7)]
    frames = [
        a["style"] or "" for a in Parsed(page(document)).all("div") if a.get("class") == "frame"
    ]
    assert len(frames) == 6
    assert all("url('h_1.contact.png')" in f for f in frames)
    # four columns: the fifth segment is the first cell of the second row
    scale = result_module.FRAME_WIDTH / result_module.CELL_WIDTH
    cell_h = result_module.CELL_HEIGHT + result_module.BAND_HEIGHT + result_module.PADDING
    x, y = 4 * scale, (4 + cell_h) * scale
    assert f"background-position:-{x:.2f}px -{y:.2f}px" in frames[4]
    # six cells: four columns, two rows (the size the engine's sheet has, checked on a real one in
    # tests/integration/render/test_contact_sheet.py)
    cs = contact_sheet
    width = 4 * cs.CELL_WIDTH + 5 * cs.PADDING
    height = 2 * (cs.CELL_HEIGHT + cs.BAND_HEIGHT) + 3 * cs.PADDING
    assert f"background-size:{width * scale:.2f}px {height * scale:.2f}px" in frames[0]


def test_the_sheet_geometry_is_the_one_the_engine_draws() -> None:
    for name in ("CELL_WIDTH", "CELL_HEIGHT", "BAND_HEIGHT", "COLUMNS", "PADDING", "MAX_CELLS"):
        assert getattr(result_module, name) == getattr(contact_sheet, name), name
    segments = [object() for _ in range(301)]
    shown = contact_sheet.shown_segments(segments, contact_sheet.MAX_CELLS)  # type: ignore[arg-type]
    position = {id(s): i for i, s in enumerate(segments)}
    cells = result_module._cells(len(segments))
    assert cells == {position[id(s)]: k for k, s in enumerate(shown)}


def test_an_ice_job_plays_the_output_url_and_allows_only_its_origin() -> None:
    document = result(timelines=None)
    text = page(document, local=False)
    [video] = Parsed(text).all("video")
    assert video["src"] == "https://b.oss-cn-shanghai.aliyuncs.com/out/h_1.mp4"
    [policy] = [m["content"] for m in Parsed(text).all("meta") if m.get("http-equiv")]
    assert policy is not None
    assert "media-src 'self' file: https://b.oss-cn-shanghai.aliyuncs.com" in policy
    assert "https: " not in policy + " "


def test_partial_and_failed_outputs_show_code_and_message() -> None:
    document = result(
        "PARTIAL",
        outputs=[
            {"index": 1, "status": "Success", "media_url": "u", "duration": 3.0},
            {
                "index": 2,
                "status": "Failed",
                "error_code": "MaterialTooShort",
                "error_message": "the film is 3 s long",
            },
        ],
        summary={"requested": 2, "succeeded": 1, "failed": 1},
    )
    words = Parsed(page(document)).words
    assert "PARTIAL" in words and "MaterialTooShort" in words and "the film is 3 s long" in words
    assert "1 of 2 succeeded" in words
    failed = result(
        "FAILED",
        outputs=[],
        timelines=None,
        job={**result()["job"], "state": "FAILED", "error": {"code": "Cancelled", "message": "x"}},
    )
    words = Parsed(page(failed)).words
    assert "Cancelled" in words and "No output was produced." in words


def test_text_from_a_manifest_is_never_markup() -> None:
    document = result()
    document["request"]["InputConfig"]["TitleArray"] = [HOSTILE]
    document["job"]["manifest"]["key"] = f"manifests/{HOSTILE}.json"
    document["timelines"][0]["title"]["text"] = HOSTILE
    document["timelines"][0]["segments"][0].update(
        narration={"text": HOSTILE}, matched_text=HOSTILE, source=f"media/'{HOSTILE}.mp4"
    )
    document["timelines"][0]["warnings"] = [HOSTILE]
    text = page(document)
    parsed = Parsed(text)
    assert [t for t, _ in parsed.tags].count("script") == 1  # the page's own
    assert not parsed.all("img")
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert parsed.words.count(HOSTILE) >= 5


def test_the_policy_runs_the_pages_script_alone() -> None:
    text = page(result())
    [policy] = [m["content"] for m in Parsed(text).all("meta") if m.get("http-equiv")]
    assert policy is not None
    assert f"script-src {script_hash(result_module.SCRIPT)}" in policy
    assert "default-src 'none'" in policy and "unsafe-inline'" not in policy.split("style-src")[0]
    assert f"<script>{result_module.SCRIPT}</script>" in text


@pytest.mark.parametrize(
    ("here", "key", "link"),
    [
        ("out/night.report.html", "out/h_1.mp4", "h_1.mp4"),
        ("out/night.report.html", "out/a b#?.mp4", "a%20b%23%3F.mp4"),
        (".highlights/results/j.report.html", "out/h_1.mp4", "../../out/h_1.mp4"),
        ("night.report.html", "out/影片.mp4", "out/%E5%BD%B1%E7%89%87.mp4"),
        ("out/x.report.html", "out/it's (1).png", "it%27s%20%281%29.png"),
    ],
)
def test_links_are_relative_and_encoded(here: str, key: str, link: str) -> None:
    assert relative(here, key) == link


def test_malformed_documents_still_make_a_page() -> None:
    for document in (
        {},
        {"job": "x", "outputs": "y", "timelines": [None, 3]},
        result(outputs=[{}]),
    ):
        assert "<main>" in result_page(document, here="r.html", videos={}, relative_links=True)
    assert "<main>" in rejection_page({"errors": [None, {"line": "x"}]}, None)


MANIFEST_TEXT = """{
  // the night edition
  "InputConfig": {
    "MediaArray": ["https://b.oss-cn-shanghai.aliyuncs.com/in/film.mp4"],
    "TitleArray": ["<script>alert(1)</script>"],
    "StickerArray": [{"X": 0.1}, {"X": 7}]
  },
  "OutputConfig": {"Width": 1}
}"""


def rejection(*problems: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "highlights.rejection",
        "version": 1,
        "job_id": "bad-0123456789ab",
        "manifest": {"bucket": "local", "key": "manifests/<b>bad</b>.json", "etag": "E"},
        "rejected_at": "2026-11-30T17:21:00Z",
        "errors": list(problems),
        "warnings": [{"path": "InputConfig.Sticker", "message": "legacy field"}],
    }


def test_a_rejection_marks_each_offending_line_with_its_problem() -> None:
    report = rejection(
        {"path": "InputConfig.StickerArray[1].X", "message": "X is 7; at most 1"},
        {"path": "OutputConfig.MediaURL", "message": "required", "accepted": "an OSS URL"},
        {"path": "$", "message": "the whole thing"},
    )
    text = rejection_page(report, MANIFEST_TEXT)
    parsed = Parsed(text)
    marked = [a["id"] for a in parsed.all("tr") if a.get("class") == "bad"]
    assert marked == ["L6", "L8"]  # the sticker's line; the missing key's parent
    links = [a["href"] for a in parsed.all("a")]
    assert links == ["#L6", "#L8", "#L3"]  # the warning's key is missing: its parent's line
    words = parsed.words
    assert "X is 7; at most 1" in words and "accepted: an OSS URL" in words
    assert "the whole thing" in words and "legacy field" in words
    assert "// the night edition" in words  # the file's own lines, comments and all
    assert "<script>alert(1)</script>" in words and "<b>bad</b>.json" in words
    assert [t for t, _ in parsed.tags].count("script") == 0 and not parsed.all("b")
    numbered = [a["id"] for a in parsed.all("tr") if (a.get("id") or "").startswith("L")]
    assert numbered == [f"L{n}" for n in range(1, 10)]


def test_a_syntax_error_is_marked_at_its_own_line() -> None:
    report = rejection({"path": "$", "message": "missing ','", "line": 3, "column": 5})
    parsed = Parsed(rejection_page(report, '{\n "a": 1\n "b": 2\n}'))
    assert [a["id"] for a in parsed.all("tr") if a.get("class") == "bad"] == ["L3"]


def test_a_long_manifest_is_shown_around_its_problems() -> None:
    lines = ["{", '  "InputConfig": {', '    "MediaArray": ['] + ['      "x",'] * 5000
    lines += ['      "y"', "    ]", "  },", '  "OutputConfig": {"Width": 1}', "}"]
    text = "\n".join(lines)
    report = rejection({"path": "OutputConfig.Width", "message": "too small"})
    parsed = Parsed(rejection_page(report, text))
    shown = [a["id"] for a in parsed.all("tr") if (a.get("id") or "").startswith("L")]
    assert shown == [f"L{n}" for n in range(5004, 5009)]  # three lines either side, up to the end
    assert [a["id"] for a in parsed.all("tr") if a.get("class") == "bad"] == ["L5007"]
    minified = '{"OutputConfig": {"Width": 1, "Pad": "' + "x" * 100_000 + '"}}'
    page_text = rejection_page(report, minified)
    assert len(page_text) < 40_000 and "more characters" in page_text


def test_a_missing_manifest_is_said() -> None:
    words = Parsed(rejection_page(rejection(), None, unavailable="It was deleted.")).words
    assert "It was deleted." in words


def test_locate_follows_paths_through_comments_and_nesting() -> None:
    found = locate(
        MANIFEST_TEXT,
        [
            "InputConfig.StickerArray[1].X",
            "InputConfig.StickerArray[0]",
            "InputConfig.TitleArray",
            "OutputConfig.Height",
            "Missing.Entirely",
            "$",
        ],
    )
    assert found == {
        "InputConfig.StickerArray[1].X": 6,
        "InputConfig.StickerArray[0]": 6,
        "InputConfig.TitleArray": 5,
        "OutputConfig.Height": 8,
    }
    assert locate("{not json", ["a"]) == {}
    assert locate('{"a": /* open', ["a"]) == {}
    assert ancestors("A.B[2].C") == ["A.B[2]", "A.B", "A"]
