"""What every page shares: escaping, formatting, links between keys, and the document shell."""

from __future__ import annotations

import base64
import hashlib
import html
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

# Colours per job state (the same on every page); unknown states get the neutral one.
STATE_CLASS = {
    "SUCCEEDED": "ok",
    "PARTIAL": "warn",
    "FAILED": "bad",
    "TIMED_OUT": "bad",
    "REJECTED": "bad",
    "SUPERSEDED": "muted",
    "RECEIVED": "run",
    "SUBMITTED": "run",
    "PROCESSING": "run",
}

STYLE = """
:root{--fg:#1d2330;--muted:#5c6677;--line:#dde2ea;--bg:#f5f7fa;--card:#fff;--ok:#137a3f;
--warn:#a35b00;--bad:#b3261e;--run:#1d5fd6;--mark:#fff4d6;--code:#f0f2f6}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
main{max-width:1280px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:22px;margin:0 8px 0 0;word-break:break-word}
h2{font-size:17px;margin:0}
h3{font-size:14px;margin:16px 0 8px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
a{color:var(--run)}
code,pre,.mono{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.head{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-bottom:4px}
.sub{color:var(--muted);margin:0 0 16px;word-break:break-all}
.badge{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px;font-weight:600;
letter-spacing:.03em;color:#fff;background:var(--muted);white-space:nowrap}
.badge.ok{background:var(--ok)}.badge.warn{background:var(--warn)}.badge.bad{background:var(--bad)}
.badge.run{background:var(--run)}.badge.muted{background:#8a93a3}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;
margin:0 0 16px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px 18px;margin:0}
.facts div{min-width:0}.facts dt{color:var(--muted);font-size:12px}
.facts dd{margin:0;font-weight:600;word-break:break-word}
.facts dd .mono,.facts dd.mono{font-weight:400;word-break:break-all}
.alert{border-left:4px solid var(--bad);background:#fdf0ef;padding:10px 12px;border-radius:6px;
margin:8px 0;word-break:break-word}
.alert.warn{border-color:var(--warn);background:#fff6e8}
.alert code{background:transparent}
ul.plain{margin:0;padding-left:18px}
.output-head{display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin-bottom:12px}
.player{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start}
video{background:#000;border-radius:8px;max-width:100%;width:480px;max-height:480px}
.player .facts{flex:1;min-width:240px}
table{border-collapse:collapse;width:100%;margin-top:12px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc;position:sticky;top:0}
tr.seg{cursor:pointer}tr.seg:hover{background:#f2f6ff}tr.seg:focus{outline:2px solid var(--run)}
tr.seg.now{background:#e7efff}
td.num,td.time,td.match{white-space:nowrap;font-variant-numeric:tabular-nums}
.frame{width:128px;height:72px;border-radius:4px;background-color:#222;background-repeat:no-repeat}
.kind{display:inline-block;padding:0 6px;border-radius:4px;background:var(--code);font-size:12px}
.dim{color:var(--muted)}
.small{font-size:12px}
.src{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:auto;
margin:0 0 16px}
.src table{margin:0}
.src td{border:0;padding:0 10px;white-space:pre-wrap;word-break:break-all}
.src td.no{color:#9aa3b2;text-align:right;user-select:none;width:1%;white-space:nowrap}
.src tr.bad td{background:var(--mark)}.src tr.bad td.no{color:var(--bad);font-weight:700}
.src tr.note td{background:var(--mark);color:var(--bad);font-family:system-ui,sans-serif;
padding-bottom:4px}
.src tr.gap td{color:#9aa3b2;text-align:center}
.problems li{margin:4px 0}
.path{font-weight:600;background:var(--code);padding:0 5px;border-radius:4px}
"""


def esc(value: object) -> str:
    """Text for an HTML element or a quoted attribute; None is empty."""
    return "" if value is None else html.escape(str(value), quote=True)


def seconds(value: object) -> str:
    """`12.3 s`, `2 min 05 s`; empty for what is not a number."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        return ""
    if 0 <= value < 1 and isinstance(value, int):
        return "under 1 s"  # whole seconds apart: the documents' times have no fractions
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def clock(value: object) -> str:
    """A time on an output's timeline: `m:ss.s`."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        return ""
    minutes, rest = divmod(max(float(value), 0.0), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


def size(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return ""
    amount = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1000 or unit == "GB":
            return f"{value:,} bytes" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1000
    return ""  # pragma: no cover


def parse_time(value: object) -> datetime | None:
    """The results' UTC times (`2026-11-30T17:21:55Z`), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def between(start: object, end: object) -> str:
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None or last < first:
        return ""
    return seconds(int((last - first).total_seconds()))


def shown_time(value: object) -> str:
    found = parse_time(value)
    return found.strftime("%Y-%m-%d %H:%M:%S UTC") if found else esc(value)


def relative(from_key: str, to_key: str) -> str:
    """A link from the document at `from_key` to the object at `to_key` (both store keys), each
    segment percent-encoded: names may hold spaces, `#`, `?` or any Unicode."""
    folder = posixpath.dirname(from_key) or "."
    path = posixpath.relpath(to_key, folder)
    return "/".join(quote(part, safe="") for part in path.split("/"))


_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def origins(urls: Iterable[str | None]) -> list[str]:
    """`https://host[:port]` of each http(s) URL whose host is plain, for the page's policy."""
    found: dict[str, None] = {}
    for url in urls:
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and _HOST.fullmatch(parts.netloc):
            found[f"{parts.scheme}://{parts.netloc}"] = None
    return list(found)


def script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def document(title: str, body: str, *, script: str = "", media: Iterable[str] = ()) -> str:
    """The whole page. Its policy runs `script` and nothing else (an injected <script> would not
    run even if escaping ever failed), and loads images and videos only from the page's own place
    (its folder on disk, or the server it came from) and the `media` origins."""
    sources = " ".join(["'self'", "file:", *media])
    policy = "; ".join(
        [
            "default-src 'none'",
            "style-src 'unsafe-inline'",
            f"script-src {script_hash(script)}" if script else "script-src 'none'",
            f"img-src {sources} data:",
            f"media-src {sources}",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    tail = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">'
        "<meta name=referrer content=no-referrer><link rel=icon href='data:,'>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main>{tail}</body></html>\n"
    )


def badge(state: object) -> str:
    text = str(state or "?")
    return f'<span class="badge {STATE_CLASS.get(text, "")}">{esc(text)}</span>'


def facts(rows: Iterable[tuple[str, str]]) -> str:
    """A definition grid; values are HTML already (escape them first); empty ones are left out."""
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{v}</dd></div>" for k, v in rows if v)
    return f"<dl class=facts>{items}</dl>"


def mapping(value: object) -> Mapping[str, Any]:
    """value when it is an object, else an empty one: pages read documents as they come."""
    return value if isinstance(value, Mapping) else {}


def items(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else []
