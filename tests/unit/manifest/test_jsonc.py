from __future__ import annotations

import pytest

from highlights.manifest import jsonc
from highlights.manifest.problems import Findings


def load(text: str | bytes) -> tuple[object, Findings]:
    findings = Findings()
    return jsonc.loads(text, findings), findings


def test_line_and_block_comments_are_ignored() -> None:
    value, findings = load('// head\n{"a": 1, /* inline */ "b": [2, 3] // tail\n}')
    assert value == {"a": 1, "b": [2, 3]}
    assert not findings.errors


def test_comment_markers_inside_strings_are_kept() -> None:
    value, _ = load('{"url": "http://x.example.com/a", "s": "/* not */", "q": "say \\"//\\""}')
    assert value == {"url": "http://x.example.com/a", "s": "/* not */", "q": 'say "//"'}


def test_utf8_bom_is_accepted_in_bytes_and_text() -> None:
    assert load('\ufeff{"a": "末班车"}'.encode())[0] == {"a": "末班车"}
    assert load('\ufeff{"a": 1}')[0] == {"a": 1}


def test_positions_survive_comment_stripping() -> None:
    text = '{\n  /* two\n  lines */ "a": 1,\n  "b": tru\n}'
    with pytest.raises(jsonc.JsonSyntaxError) as info:
        load(text)
    assert (info.value.line, info.value.column) == (4, 8)


def test_missing_comma_is_reported_after_the_previous_value() -> None:
    text = '[\n  {"a": 1}\n  // comment\n  {"b": 2}\n]'
    with pytest.raises(jsonc.JsonSyntaxError) as info:
        load(text)
    assert info.value.line == 2
    assert "missing ','" in info.value.message


def test_trailing_comma_is_named() -> None:
    with pytest.raises(jsonc.JsonSyntaxError, match="trailing comma"):
        load('{"a": 1,\n}')


def test_unterminated_block_comment() -> None:
    with pytest.raises(jsonc.JsonSyntaxError, match="unterminated") as info:
        load('{"a": 1}\n/* open')
    assert info.value.line == 2


def test_invalid_utf8_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(jsonc.JsonSyntaxError, match="not UTF-8"):
        load(b'{"a": "\xff"}')


def test_duplicate_keys_are_errors_at_their_path() -> None:
    _, findings = load('{"A": {"B": [{"Y": 1, "Y": 2}]}, "C": 1, "C": 2}')
    paths = sorted(p.path for p in findings.errors)
    assert paths == ["A.B[0].Y", "C"]
    assert "more than once" in findings.errors[0].message


def test_stripping_keeps_every_position() -> None:
    text = '{"a": "x\\"/*y", /* c\n c */ "b": [1, // two\n 2], "c": "//"} // end'
    clean = jsonc.strip_comments(text)
    assert len(clean) == len(text)
    assert [i for i, c in enumerate(clean) if c == "\n"] == [
        i for i, c in enumerate(text) if c == "\n"
    ]
    assert load(text)[0] == {"a": 'x"/*y', "b": [1, 2], "c": "//"}


def test_errors_after_comments_keep_their_position() -> None:
    with pytest.raises(jsonc.JsonSyntaxError) as info:
        load('/* x */ {"a": "b\n// not reached"}')
    assert (info.value.line, info.value.column) == (1, 17)  # the raw line break
    with pytest.raises(jsonc.JsonSyntaxError) as info:
        load('// c\n{"a": 1 / 2}')
    assert (info.value.line, info.value.column) == (2, 8)  # just after the 1


def test_too_deep_is_its_own_error_with_a_position() -> None:
    with pytest.raises(jsonc.TooDeep) as info:
        load("// deep\n" + '{"a": "[[[", "b": ' + "[" * 10_000 + "]" * 10_000 + "}")
    assert (info.value.line, info.value.column) == (2, 19 + jsonc.MAX_DEPTH - 1)
    assert not isinstance(info.value, jsonc.JsonSyntaxError)
