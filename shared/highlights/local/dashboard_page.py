"""The dashboard's page: one document, its style and script inline. The script fills the job
list from `/api/jobs` every second (no reload), and sends a dropped or pasted manifest to
`/api/manifests` (or `/api/validate` while it is being typed). It builds every element with
textContent: nothing the server sends back becomes markup."""

from __future__ import annotations

from highlights.pages.common import STYLE, esc, script_hash

EXTRA_STYLE = """
.grid{display:grid;grid-template-columns:minmax(300px,380px) 1fr;gap:16px;align-items:start}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
#drop{border:2px dashed #a9b4c6;border-radius:10px;padding:26px 12px;text-align:center;
color:var(--muted);cursor:pointer;transition:background .15s}
#drop.over{background:#eef4ff;border-color:var(--run);color:var(--run)}
#drop b{display:block;color:var(--fg);font-size:15px;margin-bottom:4px}
textarea{width:100%;min-height:150px;resize:vertical;border:1px solid var(--line);border-radius:8px;
padding:8px;font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace}
input[type=text]{width:100%;border:1px solid var(--line);border-radius:8px;padding:6px 8px;
font:inherit;margin:8px 0}
button{font:inherit;font-weight:600;border:0;border-radius:8px;padding:7px 14px;cursor:pointer;
background:var(--run);color:#fff}
button.quiet{background:#e8ecf3;color:var(--fg)}
button:disabled{opacity:.5;cursor:default}
.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
#outcome{margin-top:12px}
#outcome .ok{color:var(--ok);font-weight:600}#outcome .bad{color:var(--bad);font-weight:600}
#jobs td{vertical-align:middle}
#jobs .id{font:11.5px ui-monospace,Menlo,Consolas,monospace;color:var(--muted);word-break:break-all}
#jobs td.age{white-space:nowrap}
#jobs tr.new{animation:flash 2s ease-out}
@keyframes flash{from{background:#fff4c2}to{background:transparent}}
progress{width:110px;height:10px;vertical-align:middle}
.links a{margin-right:8px;white-space:nowrap}
.muted-line{color:var(--muted);font-size:12px}
#live{font-size:12px;color:var(--ok)}#live::before{content:"\\25CF  "}
#live.off{color:var(--bad)}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var token = document.querySelector("meta[name=highlights-token]").getAttribute("content");
  var maxBytes = parseInt(document.body.getAttribute("data-max-bytes"), 10);
  var outcome = document.getElementById("outcome");
  var rows = {};
  var body = document.getElementById("jobs-body");
  var live = document.getElementById("live");
  var fresh = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function send(path, name, text) {
    return fetch(path + "?name=" + encodeURIComponent(name), {
      method: "POST", credentials: "same-origin", cache: "no-store", body: text,
      headers: {"Content-Type": "application/json", "X-Highlights-Token": token}
    }).then(function (response) {
      return response.json().then(function (answer) { return {status: response.status, answer: answer}; });
    });
  }

  function problems(list, cls) {
    var ul = el("ul", "plain problems");
    list.forEach(function (p) {
      var li = el("li", cls);
      li.appendChild(el("span", "path", p.path));
      li.appendChild(document.createTextNode(" " + p.message));
      if (p.line) li.appendChild(el("span", "dim small", "  (line " + p.line + ")"));
      if (p.accepted) {
        li.appendChild(el("br"));
        li.appendChild(el("span", "dim small", "accepted: " + p.accepted));
      }
      ul.appendChild(li);
    });
    return ul;
  }

  function show(name, result, wrote) {
    clear(outcome);
    var answer = result.answer || {};
    var errors = answer.errors || [];
    var warnings = answer.warnings || [];
    var head = el("p");
    if (answer.error) {
      head.appendChild(el("span", "bad", name + ": " + answer.error));
    } else if (!answer.valid) {
      head.appendChild(el("span", "bad", name + ": " + errors.length + " error(s); nothing was written"));
    } else if (wrote) {
      var note = result.status === 201 ? "written to " : "already in the inbox: ";
      head.appendChild(el("span", "ok", name + ": valid (" + answer.mode + "), " + note + answer.key));
      fresh = answer.job_id || null;
    } else {
      head.appendChild(el("span", "ok", name + ": valid (" + answer.mode + ")"));
    }
    outcome.appendChild(head);
    if (errors.length) outcome.appendChild(problems(errors, "error"));
    if (warnings.length) {
      outcome.appendChild(el("p", "dim small", "warnings"));
      outcome.appendChild(problems(warnings, "warning"));
    }
    outcome.setAttribute("data-state", answer.error ? "error" : answer.valid ? (wrote ? "written" : "valid") : "invalid");
  }

  var asked = 0;  // only the newest answer is shown (a check still on its way is dropped)
  function submit(name, text, write) {
    var mine = ++asked;
    if (new Blob([text]).size > maxBytes) {
      show(name, {answer: {error: "larger than " + maxBytes + " bytes (HIGHLIGHTS_MAX_MANIFEST_BYTES)"}}, write);
      return Promise.resolve();
    }
    return send(write ? "/api/manifests" : "/api/validate", name, text).then(function (result) {
      if (mine !== asked) return;
      show(name, result, write);
      if (write) refresh();
    }).catch(function () {
      if (mine !== asked) return;
      show(name, {answer: {error: "the dashboard did not answer: is `highlights serve` running?"}}, write);
    });
  }

  var drop = document.getElementById("drop");
  var picker = document.getElementById("picker");
  function take(file) {
    if (!file) return;
    if (file.size > maxBytes) {
      show(file.name, {answer: {error: "larger than " + maxBytes + " bytes (HIGHLIGHTS_MAX_MANIFEST_BYTES)"}}, true);
      return;
    }
    file.text().then(function (text) { submit(file.name, text, true); });
  }
  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (event) { event.preventDefault(); drop.classList.add("over"); });
  });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("over");
    take(event.dataTransfer && event.dataTransfer.files[0]);
  });
  drop.addEventListener("click", function () { picker.click(); });
  drop.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); picker.click(); }
  });
  picker.addEventListener("change", function () { take(picker.files[0]); picker.value = ""; });

  var paste = document.getElementById("paste");
  var pasteName = document.getElementById("paste-name");
  var timer = null;
  function pastedName() { return pasteName.value.trim() || "pasted.json"; }
  paste.addEventListener("input", function () {
    clearTimeout(timer);
    if (!paste.value.trim()) { clear(outcome); return; }
    timer = setTimeout(function () { submit(pastedName(), paste.value, false); }, 400);
  });
  document.getElementById("check").addEventListener("click", function () {
    submit(pastedName(), paste.value, false);
  });
  document.getElementById("send").addEventListener("click", function () {
    clearTimeout(timer);
    submit(pastedName(), paste.value, true);
  });

  function age(seconds) {
    if (seconds < 60) return Math.floor(seconds) + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h";
    return Math.floor(seconds / 86400) + " d";
  }
  var CLASSES = {SUCCEEDED: "ok", PARTIAL: "warn", FAILED: "bad", TIMED_OUT: "bad", REJECTED: "bad",
    SUPERSEDED: "muted", RECEIVED: "run", SUBMITTED: "run", PROCESSING: "run"};

  function row(job) {
    var tr = rows[job.id];
    if (!tr) {
      tr = el("tr");
      tr.setAttribute("data-job", job.id);
      for (var i = 0; i < 4; i++) tr.appendChild(el("td"));
      tr.cells[2].className = "age";
      tr.cells[3].className = "links";
      rows[job.id] = tr;
      if (job.id === fresh) tr.className = "new";
    }
    tr.setAttribute("data-state", job.state);
    var cells = tr.cells;
    clear(cells[0]);
    cells[0].appendChild(el("span", "badge " + (CLASSES[job.state] || ""), job.state));
    clear(cells[1]);
    cells[1].appendChild(el("div", null, job.manifest));
    cells[1].appendChild(el("div", "id", job.id));
    if (job.error) cells[1].appendChild(el("div", "muted-line", job.error));
    if (!job.terminal && job.progress !== null && job.progress !== undefined) {
      var bar = el("progress");
      bar.max = 1;
      bar.value = job.progress;
      var line = el("div", "muted-line");
      line.appendChild(bar);
      line.appendChild(document.createTextNode(" " + Math.round(job.progress * 100) + "% " + (job.message || "")));
      cells[1].appendChild(line);
    }
    cells[2].textContent = age(job.age);
    clear(cells[3]);
    job.links.forEach(function (link) {
      var a = el("a", null, link.label);
      a.href = link.href;
      a.target = "_blank";
      a.rel = "noopener";
      cells[3].appendChild(a);
    });
    return tr;
  }

  function render(data) {
    var seen = {};
    data.jobs.forEach(function (job, index) {
      seen[job.id] = true;
      var tr = row(job);
      if (body.children[index] !== tr) body.insertBefore(tr, body.children[index] || null);
    });
    Object.keys(rows).forEach(function (id) {
      if (!seen[id]) { body.removeChild(rows[id]); delete rows[id]; }
    });
    document.getElementById("empty").hidden = data.jobs.length > 0;
    document.getElementById("count").textContent = data.total + (data.total === 1 ? " job" : " jobs") +
      (data.truncated ? " (the newest shown)" : "");
    live.textContent = "live";
    live.className = "";
  }

  function refresh() {
    return fetch("/api/jobs", {cache: "no-store", credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(render)
      .catch(function () { live.textContent = "not connected"; live.className = "off"; });
  }
  refresh();
  setInterval(refresh, 1000);
})();
"""


def dashboard_page(*, token: str, bucket: str, inbox: str, max_bytes: int) -> tuple[str, str]:
    """The page, and the Content-Security-Policy to serve it with."""
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {script_hash(SCRIPT)}",
            "style-src 'unsafe-inline'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    body = f"""
<div class=head><h1>highlights</h1><span id=live>connecting…</span></div>
<p class=sub>{esc(bucket)} · inbox <code>{esc(inbox)}</code></p>
<div class=grid>
<section class=card>
<h2>Add a manifest</h2>
<p class="dim small">Checked as the pipeline checks it; written into the inbox only when valid.</p>
<div id=drop tabindex=0 role=button aria-label="Drop a manifest, or choose a file">
<b>Drop a manifest here</b>or click to choose a .json file</div>
<input id=picker type=file accept=".json,application/json" hidden>
<h3>or paste one</h3>
<input id=paste-name type=text placeholder="name, e.g. night-train.json" aria-label="manifest name">
<textarea id=paste spellcheck=false placeholder='{{"InputConfig": …, "OutputConfig": …}}'
aria-label="manifest text"></textarea>
<div class=row><button id=send>Submit</button><button id=check class=quiet>Check only</button></div>
<div id=outcome aria-live=polite></div>
</section>
<section class=card>
<div class=head><h2>Jobs</h2><span id=count class=dim></span></div>
<table id=jobs><thead><tr><th>State</th><th>Manifest and job</th><th>Age</th><th>Open</th>
</tr></thead><tbody id=jobs-body></tbody></table>
<p id=empty class=dim>No jobs yet: drop a manifest.</p>
</section>
</div>"""
    html = (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<meta name=highlights-token content='{esc(token)}'>"
        "<meta name=referrer content=no-referrer><link rel=icon href='data:,'>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>highlights · {esc(bucket)}</title><style>{STYLE}{EXTRA_STYLE}</style></head>"
        f"<body data-max-bytes='{int(max_bytes)}'><main>{body}</main>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
    return html, policy
