"""The local engine's job: plan every output of a request, then compose each one.

Planning failures (a source that cannot be read, nothing to match) fail the whole job with an
ICE-style code; a composition failure fails that output only, like a failed ICE sub-job.

Every tool of the job runs in a ``process.tool_scope``: the settings' ``Tools``; ``cancel``
(set by ``LocalProducer.cancel``) kills them and ``RenderCancelled`` ends the job; temp folders
go into the job's work folder. Everything the engine keeps in the bucket is under the state
prefix (``keys.EngineKeys``). What the outcome reports (errors, timelines) names store keys,
never host paths (``hostpaths``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
from pathlib import Path

from highlights.manifest.models import Manifest
from highlights.ports import HighlightsError, MediaFolder, PermanentError, SubmitRequest
from highlights.render.compose import compose
from highlights.render.contract import OutputResult, RenderOutcome
from highlights.render.errors import RenderCancelled, RenderError, ToolError
from highlights.render.hostpaths import scrub, scrub_timeline
from highlights.render.keys import EngineKeys
from highlights.render.media import KeyForUrl
from highlights.render.planning import plan_timelines
from highlights.render.process import tool_scope
from highlights.render.progress import JOB_COMPOSING, JOB_PLANNING, Progress, within
from highlights.render.tools import Tools

log = logging.getLogger(__name__)


def manifest_of(request: SubmitRequest) -> Manifest:
    """The request's wire form back into the contract's models."""
    document = {
        "InputConfig": json.loads(request.input_config),
        "OutputConfig": json.loads(request.output_config),
    }
    if request.editing_config:
        document["EditingConfig"] = json.loads(request.editing_config)
    return Manifest.model_validate(document)


def _remove_leftovers(destination: Path) -> None:
    """A render killed mid-write leaves its temp file beside the output; a new render of the
    same output removes it (one engine renders a folder's jobs at a time)."""
    for leftover in destination.parent.glob(f".{destination.name[:64]}.tmp-*"):
        leftover.unlink(missing_ok=True)


def seed_of_job(job_id: str) -> int:
    """The job seed of a job the engine renders: every output's choices derive from it, so a
    job renders the same way again."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big")


def render_job(
    job_id: str,
    request: SubmitRequest,
    folder: MediaFolder,
    work: Path,
    progress: Progress,
    *,
    key_for_url: KeyForUrl,
    tools: Tools | None = None,
    keys: EngineKeys | None = None,
    cancel: threading.Event | None = None,
) -> RenderOutcome:
    """Plan and compose every output of ``request`` (the ``Renderer`` of ``LocalProducer``,
    which passes ``key_for_url``, ``tools`` and ``keys``). References map to keys of ``folder``
    through ``key_for_url``; ``tools`` run the job (default ``Tools.on_path()``); the cache and
    previews go under ``keys`` (default: the ``.highlights/`` state prefix). Raises
    ``RenderCancelled`` once ``cancel`` is set (its tools are killed first)."""
    with tool_scope(cancel=cancel, scratch=work / "tmp", tools=tools or Tools.on_path()):
        outcome = _render(
            job_id, request, folder, work, progress, key_for_url, keys or EngineKeys()
        )
    root = folder.root
    return RenderOutcome(
        outputs=[
            dataclasses.replace(o, error_message=scrub(o.error_message, root))
            if o.error_message
            else o
            for o in outcome.outputs
        ],
        timelines=[scrub_timeline(t, root) for t in outcome.timelines],
        error_code=outcome.error_code,
        error_message=scrub(outcome.error_message, root) if outcome.error_message else None,
    )


def _render(
    job_id: str,
    request: SubmitRequest,
    folder: MediaFolder,
    work: Path,
    progress: Progress,
    key_for_url: KeyForUrl,
    keys: EngineKeys,
) -> RenderOutcome:
    manifest = manifest_of(request)
    output = manifest.output_config
    previews = keys.previews(job_id)
    try:
        timelines = plan_timelines(
            manifest,
            folder,
            work,
            key_for_url=key_for_url,
            seed=seed_of_job(job_id),
            progress=within(progress, JOB_PLANNING),
            cache_dir=folder.path_for(keys.cache),
            preview_prefix=previews,
        )
    except RenderCancelled:
        raise
    except (PermanentError, ToolError, RenderError) as exc:
        code = getattr(exc, "code", None) or "PlanningFailed"
        log.warning("planning failed: %s", exc, extra={"producer_job_id": job_id})
        return RenderOutcome(outputs=[], error_code=code, error_message=str(exc))

    results: list[OutputResult] = []
    for n, timeline in enumerate(timelines):
        share = JOB_COMPOSING.part(n, len(timelines))
        key = timeline.output or f"{previews}preview_{timeline.index}.mp4"
        _remove_leftovers(folder.path_for(key))
        try:
            done = compose(
                timeline,
                folder,
                folder.path_for(key),
                preview=output.generate_preview_only,
                progress=within(progress, share, f"output {timeline.index}: "),
                work_dir=work,
            )
        except RenderCancelled:
            raise
        except HighlightsError as exc:  # a tool's failure, or the render's
            log.warning(
                "output %d failed: %s", timeline.index, exc, extra={"producer_job_id": job_id}
            )
            code = getattr(exc, "code", None) or "RenderFailed"
            results.append(
                OutputResult(timeline.index, False, error_code=code, error_message=str(exc)[:500])
            )
            continue
        url = output.media_url.replace("{index}", str(timeline.index)) if output.media_url else None
        results.append(
            OutputResult(
                timeline.index, True, key=key, media_url=url or key, duration=done.duration
            )
        )
    progress(1.0, "done")
    return RenderOutcome(outputs=results, timelines=[t.model_dump(mode="json") for t in timelines])
