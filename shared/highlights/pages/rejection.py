"""The report of a refused manifest: every problem by its JSON path, beside the manifest's own lines
(numbered, each offending line marked with what is wrong there)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from highlights.pages.common import badge, document, esc, facts, items, mapping, shown_time
from highlights.pages.lines import locate

ALL_LINES = 2000  # a manifest this long is shown whole; a longer one around its problems
CONTEXT = 3  # lines shown before and after an offending line of a long manifest
LINE_CHARS = 400  # a longer line (a minified manifest) is cut, its problems still marked


def rejection_page(
    report: Mapping[str, Any], manifest_text: str | None, *, unavailable: str | None = None
) -> str:
    """The page for `report` (a rejection document, as rejection.schema.json has it).
    `manifest_text` is the manifest as it was refused, or None; `unavailable` says why not."""
    manifest = mapping(report.get("manifest"))
    key = str(manifest.get("key") or "")
    name = posixpath.basename(key) or "manifest"
    errors = [mapping(p) for p in items(report.get("errors"))]
    warnings = [mapping(p) for p in items(report.get("warnings"))]
    lines = _lines(manifest_text, [*errors, *warnings])
    body = [
        f"<div class=head><h1>{esc(name)}</h1>{badge('REJECTED')}</div>",
        f"<p class=sub>{esc(key)} · job {esc(report.get('job_id'))}</p>",
        "<section class=card>"
        + facts(
            [
                ("Rejected", shown_time(report.get("rejected_at"))),
                ("Errors", esc(len(errors))),
                ("Warnings", esc(len(warnings))),
                (
                    "Manifest version",
                    f"<span class='mono small'>{esc(manifest.get('etag'))}</span>",
                ),
            ]
        )
        + "<p class=dim>Nothing was submitted. Correct the manifest and upload it again.</p>"
        + "</section>",
        "<section class=card><h2>Errors</h2>" + _problems(errors, lines) + "</section>",
    ]
    if warnings:
        body.append(
            "<section class=card><h2>Warnings</h2>" + _problems(warnings, lines) + "</section>"
        )
    body.append("<h3>The manifest</h3>")
    if manifest_text is None:
        body.append(f"<p class=dim>{esc(unavailable or 'The manifest could not be read.')}</p>")
    else:
        body.append(_source(manifest_text, errors, lines))
    return document(f"{name}: REJECTED", "".join(body))


def _line_of(problem: Mapping[str, Any], lines: Mapping[str, int]) -> int | None:
    line = problem.get("line")
    if isinstance(line, int) and not isinstance(line, bool) and line > 0:
        return line
    return lines.get(str(problem.get("path")))


def _lines(text: str | None, problems: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    if text is None:
        return {}
    return locate(text, {str(p.get("path")) for p in problems if p.get("line") is None})


def _problems(problems: Sequence[Mapping[str, Any]], lines: Mapping[str, int]) -> str:
    if not problems:
        return "<p class=dim>None.</p>"
    shown = []
    # In the order of the manifest's lines (the order validation found them in, within a line).
    by_line = sorted(problems, key=lambda p: _line_of(p, lines) or 0)
    for problem in by_line:
        line = _line_of(problem, lines)
        where = f"<a href='#L{line}'>line {line}</a> " if line else ""
        accepted = problem.get("accepted")
        shown.append(
            f"<li>{where}<span class=path>{esc(problem.get('path'))}</span> "
            f"{esc(problem.get('message'))}"
            + (f"<br><span class='dim small'>accepted: {esc(accepted)}</span>" if accepted else "")
            + "</li>"
        )
    return f"<ul class='plain problems'>{''.join(shown)}</ul>"


def _source(manifest: str, errors: Sequence[Mapping[str, Any]], lines: Mapping[str, int]) -> str:
    rows = manifest.split("\n")  # JSON counts lines by \n alone, as the positions above do
    marks: dict[int, list[Mapping[str, Any]]] = {}
    for problem in errors:
        line = _line_of(problem, lines)
        if line and line <= len(rows):
            marks.setdefault(line, []).append(problem)
    if len(rows) <= ALL_LINES:
        shown = list(range(1, len(rows) + 1))
    else:
        wanted = {
            n
            for mark in sorted(marks)[:ALL_LINES]
            for n in range(mark - CONTEXT, mark + CONTEXT + 1)
            if 1 <= n <= len(rows)
        }
        shown = sorted(wanted or range(1, 21))
    out = []
    previous = 0
    for number in shown:
        if number != previous + 1:
            out.append("<tr class=gap><td class=no>…</td><td></td></tr>")
        previous = number
        text = rows[number - 1].rstrip("\r")
        if len(text) > LINE_CHARS:
            text = text[:LINE_CHARS] + f" … ({len(text) - LINE_CHARS:,} more characters)"
        marked = number in marks
        out.append(
            f"<tr id=L{number}{' class=bad' if marked else ''}>"
            f"<td class=no>{number}</td><td>{esc(text)}</td></tr>"
        )
        for problem in marks.get(number, ()):
            out.append(
                "<tr class=note><td class=no></td><td>↑ "
                f"<span class=path>{esc(problem.get('path'))}</span> "
                f"{esc(problem.get('message'))}</td></tr>"
            )
    if previous != len(rows):
        out.append("<tr class=gap><td class=no>…</td><td></td></tr>")
    return f"<div class='src mono'><table>{''.join(out)}</table></div>"
