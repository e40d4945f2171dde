"""Key rules: one definition shared by the stores and by manifest validation."""

from __future__ import annotations

import pytest

from highlights.keys import (
    check_folder_key,
    check_key,
    folder_key_problem,
    key_problem,
    output_key_problem,
)
from highlights.ports import UnsafeKey


@pytest.mark.parametrize("key", ["", "/a", "\\a", "a/", "a\x00b", "a\udc80", "k" * 1024])
def test_what_oss_refuses_every_rule_refuses(key: str) -> None:
    assert key_problem(key) and folder_key_problem(key) and output_key_problem(key)
    with pytest.raises(UnsafeKey):
        check_key(key)


@pytest.mark.parametrize(
    "key", ["a//b", "a/./b", "a/../b", "..", "a\\b", "n" * 256, "a/.b.tmp-0123456789abcdef"]
)
def test_what_the_folder_store_adds(key: str) -> None:
    assert key_problem(key) is None
    assert folder_key_problem(key) and output_key_problem(key)
    with pytest.raises(UnsafeKey):
        check_folder_key(key)


@pytest.mark.parametrize("key", ["a\nb", "a\tb", "a\x7fb", "a\x9bb"])
def test_outputs_hold_no_control_characters(key: str) -> None:
    assert folder_key_problem(key) is None
    assert "control character" in (output_key_problem(key) or "")


def test_reserved_prefixes() -> None:
    reserved = (".highlights/", "manifests/", "")
    assert "keeps for itself" in (output_key_problem(".highlights/jobs/x.json", reserved) or "")
    assert output_key_problem("manifests/x.mp4", reserved)
    assert output_key_problem(".highlights.mp4", reserved) is None
    assert output_key_problem("out/manifests/x.mp4", reserved) is None


def test_messages_stay_short() -> None:
    assert len(output_key_problem("a//" + "b" * 900) or "") < 300
