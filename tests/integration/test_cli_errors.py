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
