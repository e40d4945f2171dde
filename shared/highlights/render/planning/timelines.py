"""Planning a job: one Timeline per output (``OutputConfig.Count``), each step's progress."""

from __future__ import annotations

from pathlib import Path

from highlights.manifest.models import Manifest
from highlights.ports import MediaFolder, PermanentError
from highlights.render import contact_sheet
from highlights.render.media import KeyForUrl
from highlights.render.planning.analysis import (
    AnalysedSource,
    analyse,
    faces_wanted,
    vet_composed_media,
)
from highlights.render.planning.choices import manifest_seed, spread
from highlights.render.planning.narration import Part, Voice, global_parts, storyboard_parts
from highlights.render.planning.output import Analysed, plan_output
from highlights.render.planning.references import resolve_media
from highlights.render.planning.warnings import Warnings
from highlights.render.progress import (
    PLAN_ANALYSING,
    PLAN_CONTACT_SHEETS,
    PLAN_OUTPUTS,
    PLAN_RESOLVING,
    Progress,
    ignore,
)
from highlights.render.speech import prune_cache
from highlights.render.timeline import Timeline


def plan_timelines(
    manifest: Manifest,
    folder: MediaFolder,
    work_dir: str | Path,
    *,
    key_for_url: KeyForUrl,
    cache_dir: str | Path,
    preview_prefix: str,
    seed: int | None = None,
    progress: Progress | None = None,
    contact_sheets: bool = True,
) -> list[Timeline]:
    """One Timeline per output (index 1..Count); see the package docstring.

    ``key_for_url`` maps OSS URLs to keys of ``folder``; ``cache_dir`` keeps analyses and
    speech across jobs; ``seed`` is the job's (default: ``manifest_seed``). ``contact_sheets``
    draws one per output beside its video; a preview-only output's goes to
    ``<preview_prefix>preview_<index>.contact.png``.
    Raises ``MediaError`` for a reference that cannot be used and ``PermanentError`` when the
    sources hold no usable footage.
    """
    report = progress or ignore
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    caches = Path(cache_dir)
    inputs, editing, output = manifest.input_config, manifest.editing_config, manifest.output_config
    job_seed = seed if seed is not None else manifest_seed(manifest)
    warnings = Warnings()

    report(PLAN_RESOLVING.start, "resolving media references")
    resolved = resolve_media(manifest, folder, key_for_url)
    want_faces = faces_wanted(inputs, warnings)
    sources: dict[str, AnalysedSource] = {}
    for k, key in enumerate(resolved.sources):
        report(PLAN_ANALYSING.at(k / len(resolved.sources)), f"analysing {key}")
        sources[key] = analyse(
            key,
            folder,
            editing.process_config,
            caches,
            want_faces=want_faces,
            warnings=warnings,
        )
    vet_composed_media(resolved, folder)
    job = Analysed(manifest, job_seed, resolved, sources)

    voice = Voice(editing.speech_config, work, caches)
    if editing.speech_config.customized_voice:
        warnings.add("CustomizedVoice is a cloud voice clone; the offline voice speaks instead")
    report(PLAN_OUTPUTS.start, "synthesising narration")
    storyboard = inputs.mode == "storyboard"
    shared = storyboard_parts(inputs, editing, voice, warnings) if storyboard else None
    timelines: list[Timeline] = []
    for index in range(1, output.count + 1):
        report(PLAN_OUTPUTS.at((index - 1) / output.count), f"planning output {index}")
        parts: list[Part]
        if shared is not None:
            parts = shared
        else:
            texts = inputs.speech_text_array or []
            if not texts:
                raise PermanentError(
                    "no SpeechTextArray and no storyboard: nothing to narrate",
                    code="InvalidParameter",
                )
            text = spread(texts, job_seed, "narration", index)
            parts = global_parts(text, voice, editing.speech_config)
        if not parts:
            raise PermanentError("the narration has nothing to say", code="InvalidParameter")
        so_far = Warnings([*warnings, *voice.warnings])
        timelines.append(plan_output(job, index, parts, so_far))
    prune_cache(caches)  # the speech cache stays bounded; this job's sentences are the newest

    if contact_sheets:
        infos = {key: source.info for key, source in sources.items()}
        for timeline in timelines:
            report(
                PLAN_CONTACT_SHEETS.at((timeline.index - 1) / len(timelines)),
                f"contact sheet {timeline.index}",
            )
            key = contact_sheet.sheet_key(timeline.output, timeline.index, preview_prefix)
            timeline.contact_sheet = contact_sheet.make_contact_sheet(
                timeline, folder, work, key, infos
            )
    report(1.0, f"planned {len(timelines)} output(s)")
    return timelines
