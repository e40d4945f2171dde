from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from highlights.cli import main
from tests.unit.manifest.conftest import _NARRATION, _STORYBOARD, BUCKET_URL, dumps


@pytest.fixture
def narration() -> dict[str, Any]:
    return copy.deepcopy(_NARRATION)


@pytest.fixture
def storyboard() -> dict[str, Any]:
    return copy.deepcopy(_STORYBOARD)


def write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else dumps(doc), encoding="utf-8")
    return path


def test_valid_file_exits_0(
    tmp_path: Path, narration: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "ok.json", narration)
    assert main(["validate", "--region", "cn-shanghai", str(path)]) == 0
    assert "valid (global_narration)" in capsys.readouterr().out


def test_invalid_file_exits_1_and_names_the_path(
    tmp_path: Path, narration: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    narration["OutputConfig"]["Count"] = 0
    good = write(
        tmp_path,
        "good.json",
        {**narration, "OutputConfig": {**narration["OutputConfig"], "Count": 2}},
    )
    bad = write(tmp_path, "bad.json", narration)
    assert main(["validate", "--region", "cn-shanghai", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.json: 1 error(s)" in out
    assert "OutputConfig.Count" in out


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "broken.json", '{\n  "InputConfig": {\n}')
    assert main(["validate", "--json", "--region", "cn-beijing", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["region"] == "cn-beijing"
    [error] = report["files"][str(path)]["errors"]
    assert error["path"] == "$" and error["line"] == 3


def test_region_from_environment(
    tmp_path: Path,
    narration: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, "ok.json", narration)
    monkeypatch.setenv("FC_REGION", "cn-beijing")
    assert main(["validate", str(path)]) == 1
    assert "jobs are submitted in cn-beijing" in capsys.readouterr().out
    monkeypatch.setenv("HIGHLIGHTS_REGION", "cn-shanghai")
    assert main(["validate", str(path)]) == 0


def test_bad_region_setting_names_the_variable(
    tmp_path: Path,
    narration: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HIGHLIGHTS_REGION", "mars-1")
    assert main(["validate", str(write(tmp_path, "ok.json", narration))]) == 2
    assert "HIGHLIGHTS_REGION" in capsys.readouterr().err


def test_bad_region_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--region", "mars-1", str(tmp_path / "x.json")]) == 2
    assert "cn-shanghai" in capsys.readouterr().err


def test_the_size_cap_setting_is_applied_without_reading_the_whole_file(
    tmp_path: Path,
    narration: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    small = write(tmp_path, "ok.json", narration)
    monkeypatch.setenv("HIGHLIGHTS_MAX_MANIFEST_BYTES", "1K")
    assert main(["validate", "--region", "cn-shanghai", str(small)]) == 0
    capsys.readouterr()
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(50 << 30)  # sparse: 50 GiB that nobody reads
    assert main(["validate", "--json", "--region", "cn-shanghai", str(huge)]) == 1
    [error] = json.loads(capsys.readouterr().out)["files"][str(huge)]["errors"]
    assert error["path"] == "$"
    assert f"{50 << 30:,} bytes" in error["message"] and "1,024" in error["message"]


def test_a_bad_size_cap_setting_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HIGHLIGHTS_MAX_MANIFEST_BYTES", "huge")
    assert main(["validate", "--region", "cn-shanghai", str(tmp_path / "x.json")]) == 2
    assert "HIGHLIGHTS_MAX_MANIFEST_BYTES" in capsys.readouterr().err


def test_outputs_under_the_pipelines_prefixes_are_refused(
    tmp_path: Path,
    narration: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    narration["OutputConfig"]["MediaURL"] = f"{BUCKET_URL}/.highlights/jobs/x_{{index}}.mp4"
    path = write(tmp_path, "state.json", narration)
    assert main(["validate", "--region", "cn-shanghai", str(path)]) == 1
    assert "OutputConfig.MediaURL" in capsys.readouterr().out
    monkeypatch.setenv("HIGHLIGHTS_STATE_PREFIX", "state/")
    assert main(["validate", "--region", "cn-shanghai", str(path)]) == 0
