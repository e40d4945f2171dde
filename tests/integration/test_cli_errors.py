"""Mistakes a user can make on the command line get one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from highlights.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["status", "manifests/nope.json"],
        ["status", "manifests/../../../etc/passwd.json"],
        ["status", "x" * 300],
        ["status", "bad\x00name"],
        ["retry", "../../x"],
        ["retry", "y" * 300],
    ],
)
def test_odd_targets_are_one_line(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    code = main([*args, "--bucket", str(bucket)])
    captured = capsys.readouterr()
    assert code in (1, 2)
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "no job" in captured.err


def test_read_only_commands_never_create_a_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    for command in (["jobs"], ["status"], ["dead-letters"]):
        assert main([*command, "--bucket", str(missing)]) == 2
        assert "no bucket folder" in capsys.readouterr().err
    assert not missing.exists()


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: "), lines
    return lines[0]


def test_user_mistakes_are_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("HIGHLIGHTS_STORE", "HIGHLIGHTS_TTS"):
        monkeypatch.delenv(name, raising=False)
    afile = tmp_path / "afile"
    afile.write_text("x")
    manifest = tmp_path / "night.json"
    manifest.write_text("{}")
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    cases: list[tuple[list[str], str]] = [
        (["run", str(tmp_path / "missing.json"), "--bucket", str(bucket)], "no such file"),
        (["run", str(manifest), "--bucket", str(afile)], "is a file: pass --bucket DIR"),
        (["demo", "--bucket", str(afile)], "is a file"),
        (["serve", "--bucket", str(bucket), "--port", "99999"], "a port is 0-65535"),
        (["retry", "job-1", "--bucket", str(tmp_path / "gone")], "no bucket folder"),
        (["status", str(manifest), "--bucket", str(bucket)], "is not in the bucket"),
        (["validate", "--region", "mars", str(manifest)], "choose one of"),
    ]
    for args, expected in cases:
        assert main(args) == 2, args
        assert expected in one_error_line(capsys.readouterr().err), args
    assert not (tmp_path / "gone").exists()

    monkeypatch.setenv("HIGHLIGHTS_TTS", "loud")  # a bad setting names its variable
    assert main(["run", str(manifest), "--bucket", str(bucket)]) == 2
    assert "HIGHLIGHTS_TTS" in one_error_line(capsys.readouterr().err)
    monkeypatch.delenv("HIGHLIGHTS_TTS")

    monkeypatch.setenv("HIGHLIGHTS_STORE", "oss://films")  # run works on a folder only
    assert main(["run", str(manifest)]) == 2
    assert "pass --bucket DIR" in one_error_line(capsys.readouterr().err)


def test_an_unforeseen_error_is_one_line_and_debug_shows_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schema").write_text("a file where `schema --write` makes a folder")
    assert main(["schema", "--write"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "File exists" in line and "--debug" in line
    with pytest.raises(FileExistsError):
        main(["schema", "--write", "--debug"])
    afile = tmp_path / "schema"
    with pytest.raises(Exception, match="is a file"):
        main(["--debug", "demo", "--bucket", str(afile)])


def test_options_go_before_or_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    assert main(["-v", "--log-format", "json", "jobs", "--bucket", str(bucket)]) == 0
    assert main(["jobs", "--bucket", str(bucket), "-vv", "--debug"]) == 0
    assert capsys.readouterr().out.count("no jobs yet") == 2
