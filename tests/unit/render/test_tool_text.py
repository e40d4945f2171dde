"""What the engine writes for its tools and reads from them, as text: filtergraph escaping and
the stderr tail a failure carries."""

from __future__ import annotations

import pytest

from highlights.render.ffmpeg import escape_filter_value
from highlights.render.process import stderr_tail


def test_stderr_tail_skips_blank_lines() -> None:
    assert stderr_tail("a\n\n b \n\nc\n", lines=2) == " b \nc"


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("/tmp/plain.txt", "/tmp/plain.txt"),
        ("C:/a b/x.ttf", "C\\\\:/a b/x.ttf"),
        ("it's,[1];", "it\\\\\\'s\\,\\[1\\]\\;"),
    ],
)
def test_filter_values_are_escaped_for_both_parsing_levels(value: str, escaped: str) -> None:
    assert escape_filter_value(value) == escaped
