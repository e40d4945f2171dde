"""`highlights serve`'s dashboard: the page, the jobs as JSON (polled by the page), manifests
validated and written into the inbox, and the files jobs made.

It answers on 127.0.0.1 only, and only to requests addressed to that host (a DNS-rebinding page
cannot reach it under another name). A request that changes anything must come from the
dashboard's own page: its Origin, a JSON content type (no form of another site can send one
without asking first, and the dashboard never says yes), and the token the page carries. All of
it is checked before a body is read, and a body is at most a manifest's size cap.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from highlights.bootstrap import System
from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.keys import output_key_problem
from highlights.local.catalogue import Catalogue, Entry
from highlights.local.dashboard_page import dashboard_page
from highlights.local.http import Request, Response
from highlights.manifest import validate_manifest
from highlights.manifest.loading import oversized
from highlights.pages.lines import locate
from highlights.ports import AlreadyExists, HighlightsError
from highlights.storage.local import LocalStore

TOKEN_HEADER = "X-Highlights-Token"
MAX_NAME_CHARS = 200
MAX_LISTED = 200  # jobs in one answer, newest first
MAX_PROGRESS_LOOKUPS = 20  # running jobs asked for their progress per answer
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Dashboard:
    def __init__(
        self,
        system: System,
        store: LocalStore,
        *,
        port: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.system = system
        self.store = store
        self.token = secrets.token_urlsafe(32)
        self._hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self._origins = {f"http://{host}" for host in self._hosts}
        self._clock = clock
        pipeline = system.pipeline
        self.catalogue = Catalogue(store, system.layout, pipeline.key_for_url)

    # -- routing
    def route(self, request: Request) -> Response:
        if (request.header("Host") or "").strip().lower() not in self._hosts:
            return Response.json(421, {"error": "this server answers to 127.0.0.1 only"})
        if request.method == "GET":
            if request.path == "/":
                return self._page()
            if request.path == "/api/jobs":
                return Response.json(200, self.jobs())
            if request.path.startswith("/files/"):
                return self._file(request.path[len("/files/") :])
            return Response.json(404, {"error": "not found"})
        if request.path not in ("/api/validate", "/api/manifests"):
            return Response.json(404, {"error": "not found"})
        refused = self._refused(request)
        if refused is not None:
            return Response.json(403, {"error": refused}, close=True)
        limit = self.system.settings.max_manifest_bytes
        length = request.content_length()
        if length is None:
            return Response.json(411, {"error": "a Content-Length is required"}, close=True)
        if length > limit:
            report = oversized(length, limit).to_dict()
            return Response.json(413, report, close=True)
        data = request.read_body(length)
        if data is None:
            return Response.json(408, {"error": "the body did not arrive in time"}, close=True)
        if request.path == "/api/validate":
            return Response.json(200, self.validate(data))
        return self.submit(request.query.get("name", ""), data)

    def _refused(self, request: Request) -> str | None:
        """Why a state-changing request is not the dashboard page's own, or None."""
        if (request.header("Origin") or "") not in self._origins:
            return "cross-origin requests are refused"
        if (request.header("Sec-Fetch-Site") or "same-origin") != "same-origin":
            return "cross-site requests are refused"
        media = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if media != "application/json":
            return "send the manifest as application/json"
        token = request.header(TOKEN_HEADER) or ""
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            return "the dashboard's token is missing or wrong: reload the page"
        return None

    # -- the page and its API
    def _page(self) -> Response:
        settings = self.system.settings
        html, policy = dashboard_page(
            token=self.token,
            bucket=str(self.store.root),
            inbox=settings.inbox_prefix,
            max_bytes=settings.max_manifest_bytes,
        )
        headers = {"Content-Security-Policy": policy, "X-Frame-Options": "DENY"}
        return Response(200, html.encode(), "text/html; charset=utf-8", headers=headers)

    def validate(self, data: bytes) -> dict[str, Any]:
        """validate_manifest's answer, as the pipeline would give it, each problem with its line."""
        settings = self.system.settings
        validation = validate_manifest(
            data,
            region=settings.region,
            max_bytes=settings.max_manifest_bytes,
            reserved_prefixes=settings.reserved_prefixes,
        )
        answer = validation.to_dict()
        problems = [*answer["errors"], *answer["warnings"]]
        wanted = {p["path"] for p in problems if "line" not in p}
        if wanted:
            lines = locate(data.decode("utf-8-sig", "replace"), wanted)
            for problem in problems:
                if "line" not in problem and problem["path"] in lines:
                    problem["line"] = lines[problem["path"]]
        return answer

    def submit(self, name: str, data: bytes) -> Response:
        """Validate; only a valid manifest is written into the inbox, and never over another."""
        key, problem = self._inbox_key(name)
        if key is None:
            return Response.json(400, {"error": problem})
        answer = self.validate(data)
        if not answer["valid"]:
            return Response.json(422, answer)
        try:
            stored = self.store.put(key, data, create_only=True)
            status = 201
        except AlreadyExists:
            if self.store.get(key) != data:
                return Response.json(
                    409,
                    {
                        "error": f"{key} is already in the inbox with other content: "
                        "rename the file to submit it as a new manifest"
                    },
                )
            stored = self.store.head(key)
            status = 200
        job_id = job_id_for(ManifestRef(self.store.bucket, key, stored.etag))
        return Response.json(status, {**answer, "key": key, "job_id": job_id})

    def _inbox_key(self, name: str) -> tuple[str | None, str | None]:
        name = name.strip()
        if not name or len(name) > MAX_NAME_CHARS or _CONTROL.search(name):
            return None, f"name the manifest (at most {MAX_NAME_CHARS} characters)"
        if "/" in name or "\\" in name or name.startswith("."):
            return None, "a manifest's name is a file name, without folders, not starting with '.'"
        stem = name[: -len(".json")] if name.lower().endswith(".json") else name
        key = f"{self.system.layout.inbox}{stem}.json"
        problem = output_key_problem(key)
        if problem is not None or not self.system.layout.is_manifest(key):
            return None, f"{name!r} cannot be a manifest's name: {problem or 'not in the inbox'}"
        return key, None

    def jobs(self) -> dict[str, Any]:
        now = self._clock()
        entries = self.catalogue.refresh()
        lookups = MAX_PROGRESS_LOOKUPS
        rows = []
        for entry in entries[:MAX_LISTED]:
            row = self._row(entry, now)
            if not entry.record.state.terminal and entry.record.producer_job_id and lookups > 0:
                lookups -= 1
                row.update(self._progress(entry.record.producer_job_id))
            rows.append(row)
        return {
            "now": now,
            "jobs": rows,
            "total": len(entries),
            "truncated": self.catalogue.truncated or len(entries) > MAX_LISTED,
        }

    def _row(self, entry: Entry, now: float) -> dict[str, Any]:
        record = entry.record
        error = f"{record.error.code}: {record.error.message}" if record.error else None
        return {
            "id": record.job_id,
            "state": record.state.value,
            "terminal": record.state.terminal,
            "manifest": record.manifest.key,
            "created": record.created_at,
            "updated": record.updated_at,
            "age": max(now - record.created_at, 0.0),
            "error": error,
            "links": [{"label": link.label, "href": _href(link.key)} for link in entry.links],
            "progress": None,
            "message": None,
        }

    def _progress(self, producer_job_id: str) -> dict[str, Any]:
        try:
            status = self.system.producer.get(producer_job_id)
        except HighlightsError:  # not known to the engine, or not now: no figure this time
            return {}
        return {"progress": status.progress, "message": status.message}

    def _file(self, key: str) -> Response:
        content_type = self.catalogue.served(key)
        if content_type is None:
            return Response.json(404, {"error": "not found"})
        try:
            path = self.store.path_for(key)  # resolves symlinks; refuses what leaves the folder
        except HighlightsError:
            return Response.json(404, {"error": "not found"})
        return Response(200, content_type=content_type, file=path)


def _href(key: str) -> str:
    return "/files/" + "/".join(quote(part, safe="") for part in key.split("/"))
