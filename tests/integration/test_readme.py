"""The README matches the code: its commands exist, its settings are the code's settings."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from highlights.cli import _parser
from highlights.config import settings_table

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_highlights_command_shown_exists() -> None:
    shown = set(re.findall(r"(?:`|\.venv/bin/)highlights ([a-z][\w-]*)", README))
    [subcommands] = [a for a in _parser()._actions if a.choices and "validate" in a.choices]  # type: ignore[operator]
    assert {
        "validate",
        "run",
        "serve",
        "status",
        "jobs",
        "retry",
        "demo",
        "schema",
        "dead-letters",
    } <= shown
    assert shown <= set(subcommands.choices)  # type: ignore[arg-type]


def test_every_make_target_shown_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    shown = set(re.findall(r"\bmake ([a-z][\w-]*)", README))
    assert shown and shown <= targets
    assert {"test", "demo"} <= shown


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_settings_table_is_generated_from_the_settings() -> None:
    table = settings_table()
    assert table in README, f"paste this table into the README's Settings section:\n{table}"


def test_validate_example_output_is_what_the_command_prints(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        """{
  "InputConfig": {
    "MediaArray": ["https://films.oss-cn-shanghai.aliyuncs.com/f.mp4"],
    "SceneInfo": {"Scene": "MovieHighlights",
      "FaceInfo": {"ImageInfoList": [{"Name": "Character A", "ImageURL": "https://cdn.example.com/a.png"},
                                     {"Name": "Character B", "ImageURL": "https://cdn.example.com/b.png"}]},
      "ShotInfo": {"ShotScripts": [
        {"ScriptText": "A train.", "SpeechText": "A train."},
        {"Descriptions": ["Lin at the window"], "Characters": ["Lin Xia"], "SpeechText": "She waits."},
        {"ScripText": "The station.", "Settings": ["Station"], "Duration": 3}]}}},
  "OutputConfig": {"MediaURL": "https://films.oss-cn-shanghai.aliyuncs.com/o/v_{index}.mp4", "Width": 720, "Height": 1280}
}"""
    )
    out = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "highlights"),
            "validate",
            "--region",
            "cn-shanghai",
            str(bad),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    shown = README.split("$ .venv/bin/highlights validate --region cn-shanghai bad.json\n", 1)[
        1
    ].split("```")[0]
    expected = [line for line in shown.splitlines()[1:] if line.strip()]
    printed = [line for line in out.stdout.splitlines()[1:] if line.strip()]
    assert printed == expected
