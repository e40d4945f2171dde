"""The local engine's job: plan every output of a request, then compose each one.

Planning failures (a source that cannot be read, nothing to match) fail the whole job with an
ICE-style code; a composition failure fails that output only, like a failed ICE sub-job.

Every tool of the job runs in a ``tool_scope``: ``cancel`` (set by ``LocalProducer.cancel``)
kills them and ``RenderCancelled`` ends the job; temp folders go into the job's work folder.
What the outcome reports (errors, timelines) names store keys, never host paths (``hostpaths``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
from pathlib import Path

from highlights.manifest.models import Manifest
from highlights.ports import HighlightsError, PermanentError, SubmitRequest
from highlights.producers.local import OutputResult, Progress, RenderOutcome
from highlights.render.compose import compose
from highlights.render.ffmpeg import RenderCancelled, RenderError, tool_scope
from highlights.render.hostpaths import scrub, scrub_timeline
from highlights.render.planner import plan
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url

log = logging.getLogger(__name__)

PLANNING_SHARE = 0.35  # of the progress bar: analysis, speech and matching before the renders


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


def job_seed(job_id: str) -> int:
    """Every output's choices derive from this, so a job renders the same way again."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big")


def render_job(
    job_id: str,
    request: SubmitRequest,
    store: LocalStore,
    work: Path,
    progress: Progress,
    *,
    region: str | None = None,
    cancel: threading.Event | None = None,
) -> RenderOutcome:
    """Plan and compose every output of ``request`` (the ``Renderer`` of ``LocalProducer``).
    Raises ``RenderCancelled`` once ``cancel`` is set (its tools are killed first)."""
    with tool_scope(cancel=cancel, scratch=work / "tmp"):
        outcome = _render(job_id, request, store, work, progress, region=region)
    root = store.root
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
    store: LocalStore,
    work: Path,
    progress: Progress,
    *,
    region: str | None,
) -> RenderOutcome:
    manifest = manifest_of(request)
    output = manifest.output_config
    key_for_url = folder_key_for_url(region)
    try:
        timelines = plan(
            manifest,
            store,
            work,
            key_for_url=key_for_url,
            region=region,
            seed=job_seed(job_id),
            progress=lambda f, m: progress(f * PLANNING_SHARE, m),
            cache_dir=store.path_for(".highlights/cache"),
            preview_prefix=f".highlights/previews/{job_id}/",
        )
    except RenderCancelled:
        raise
    except (PermanentError, RenderError) as exc:
        code = getattr(exc, "code", None) or "PlanningFailed"
        log.warning("planning failed: %s", exc, extra={"ice_job_id": job_id})
        return RenderOutcome(outputs=[], error_code=code, error_message=str(exc))

    results: list[OutputResult] = []
    share = (1 - PLANNING_SHARE) / max(len(timelines), 1)
    for n, timeline in enumerate(timelines):
        base = PLANNING_SHARE + n * share
        key = timeline.output or f".highlights/previews/{job_id}/preview_{timeline.index}.mp4"
        _remove_leftovers(store.path_for(key))
        try:
            done = compose(
                timeline,
                store,
                store.path_for(key),
                preview=output.generate_preview_only,
                progress=lambda f, m, base=base, i=timeline.index: progress(
                    base + f * share, f"output {i}: {m}"
                ),
                work_dir=work,
            )
        except RenderCancelled:
            raise
        except (RenderError, HighlightsError) as exc:
            log.warning("output %d failed: %s", timeline.index, exc, extra={"ice_job_id": job_id})
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
