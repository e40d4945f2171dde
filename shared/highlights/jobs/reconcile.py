"""Use case: reconcile the bucket — the timer that finishes what events did not.

One tick does bounded work: the jobs that left the producer's list of unfinished jobs since the
last tick (jobs/watch.py: they finished, and only they need a read), the in-flight markers that are
due (read in due order, so jobs that are not due cost nothing), and one page of the inbox after a
saved cursor, for manifests whose events were lost. Its cost grows with completions, due jobs and
new manifests, never with history; a due job the listing shows still rendering needs no read, its
marker is just pushed on. Without a listing (the local engine, or ICE refusing or failing it) due
jobs are read one by one, as the only way to learn how they went.

Due work runs on `pipeline.workers` threads, each in a copy of the tick's context (its budget and
credentials). Inside a time budget (`highlights.budget`, set by the timer's handler from its
function's timeout) the tick stops taking work when too little time is left: due jobs it did not
reach stay due, and jobs that left the list stay watched, for the next tick; nothing is lost or
done twice.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from itertools import islice
from typing import Any

from highlights import budget, parallel
from highlights.jobs import watch
from highlights.jobs.accept import accept, submit
from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.jobs.layout import Marker
from highlights.jobs.observe import observe
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobError, JobRecord
from highlights.jobs.states import JobState
from highlights.ports import HighlightsError, NotFound, ServiceRefused, StoredObject, TransientError

log = logging.getLogger(__name__)

MIN_SECONDS_PER_JOB = 1.0  # with less left in the budget, a tick leaves the rest for the next one
MAX_FAILURES = 5  # unexpected errors in a row before a job ends FAILED with code Internal


@dataclass
class Tick:
    """What one reconcile tick did."""

    due: int = 0
    observed: int = 0
    resubmitted: int = 0
    recovered: int = 0
    timed_out: int = 0
    stale_markers: int = 0
    swept: int = 0
    accepted: int = 0
    deferred: int = 0  # transient errors: rescheduled for a later tick
    refused: int = 0  # the service refused the caller: rescheduled, never failed
    failed: int = 0  # unexpected errors: logged, the job backed off
    poisoned: int = 0  # jobs ended FAILED (Internal) after MAX_FAILURES unexpected errors
    doorbells: int = 0  # callbacks' doorbells answered
    listed: int = 0  # jobs the producer listed as unfinished (anyone's)
    left_list: int = 0  # watched jobs no longer listed: read, as they finished
    vouched: int = 0  # due jobs the listing showed rendering: pushed on without a read
    watched: int = 0  # jobs of ours the next tick starts from
    listing: bool = False  # whether the producer's listing was used
    out_of_time: bool = False  # the budget ran out: what is still due waits for the next tick

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)

    def add(self, other: Tick) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, (mine or theirs) if isinstance(mine, bool) else mine + theirs)


@dataclass
class _Done:
    """What one task did, handed back to the tick's thread."""

    tick: Tick = field(default_factory=Tick)
    refusals: set[str] = field(default_factory=set)
    watch: dict[str, str] = field(default_factory=dict)  # producer job id -> job id
    unwatch: set[str] = field(default_factory=set)


Task = Callable[[], _Done]


def reconcile(pipeline: Pipeline) -> Tick:
    """One tick. Never raises for what a store or producer does: a tick that cannot go on (out of
    time, the store slow or refusing) ends early, and the next one carries on."""
    tick = Tick()
    try:
        _tick(pipeline, tick)
    except (TransientError, ServiceRefused) as exc:
        tick.out_of_time = tick.out_of_time or exc.code == "DeadlineExceeded"
        log.warning("reconcile tick cut short: %s", exc.code)
    log.info("reconcile tick", extra={"tick": tick.to_dict()})
    return tick


def _tick(pipeline: Pipeline, tick: Tick) -> None:
    now = pipeline.clock()
    listing = watch.list_unfinished(pipeline)
    watching: dict[str, str] = {}
    gone: dict[str, str] = {}
    if listing is not None:
        tick.listing, tick.listed = True, len(listing.unfinished)
        for producer_job_id, job_id in watch.load(pipeline).items():
            known = listing.vouches_for(producer_job_id)
            (watching if known else gone)[producer_job_id] = job_id
        watching.update(gone)  # until a read finds them ended
        tick.left_list = len(gone)
    claimed = set(gone.values())  # one task per job and tick
    tasks: Iterator[Task] = iter(
        [partial(_left_list, pipeline, p, j, now) for p, j in gone.items()]
    )
    refusals: set[str] = set()
    work = parallel.bounded(
        itertools.chain(tasks, _due_tasks(pipeline, now, listing, claimed)),
        workers=max(1, pipeline.workers),
        stop=_out_of_time,
        name="reconcile",
    )
    for done in work:
        tick.add(done.tick)
        refusals |= done.refusals
        for producer_job_id in done.unwatch:
            watching.pop(producer_job_id, None)
        watching.update(done.watch)
    if refusals:
        log.error(
            "the service refused the caller (%s) for %d job(s), which wait with back-off: check "
            "the function's credentials, its RAM policy and the account",
            ", ".join(sorted(refusals)),
            tick.refused,
        )
    if listing is not None:
        tick.watched = len(watching)
        watch.save(pipeline, watching, listing)
    if _out_of_time():
        tick.out_of_time = True
    else:
        _sweep(pipeline, tick)


def _due_tasks(
    pipeline: Pipeline, now: float, listing: watch.Listing | None, claimed: set[str]
) -> Iterator[Task]:
    """A task per due marker, read lazily in due order: the listing stops at the first marker
    not due yet, or after `reconcile_batch` of them."""
    markers = pipeline.store.list(
        pipeline.layout.inflight_prefix, page_size=max(1, min(pipeline.reconcile_batch, 1000))
    )
    taken = 0
    for stored in markers:
        marker = pipeline.layout.parse_inflight(stored.key)
        if marker is None:
            continue
        if marker.due > now or taken >= pipeline.reconcile_batch:
            return
        taken += 1
        if marker.job_id in claimed:
            if marker.doorbell:  # the job is being read already: the doorbell just goes
                yield partial(_drop_doorbell, pipeline, stored.key)
            continue  # its other marker is the job's business this tick
        claimed.add(marker.job_id)
        yield partial(_due_task, pipeline, stored, marker, now, listing)


def _out_of_time() -> bool:
    left = budget.remaining()
    return left is not None and left < MIN_SECONDS_PER_JOB


def _started(done: _Done) -> bool:
    """A task handed over just before the budget ran low leaves its job as it was."""
    if _out_of_time():
        done.tick.out_of_time = True
        return False
    return True


def _due_task(
    pipeline: Pipeline,
    stored: StoredObject,
    marker: Marker,
    now: float,
    listing: watch.Listing | None,
) -> _Done:
    done = _Done()
    if not _started(done):
        return done
    done.tick.due = 1

    def work() -> None:
        if marker.doorbell:
            # A callback rang: do the job's due work now, whatever its own marker says. The
            # doorbell goes either way; the job's own marker (and its back-off) is the way back.
            done.tick.doorbells += 1
            try:
                _due(pipeline, stored.key, marker.job_id, now, done, doorbell=True)
            finally:
                pipeline.store.delete(stored.key)
            return
        _due(pipeline, stored.key, marker.job_id, now, done, doorbell=False, listing=listing)

    _guarded(pipeline, done, marker.job_id, stored.key, work)
    return done


def _left_list(pipeline: Pipeline, producer_job_id: str, job_id: str, now: float) -> _Done:
    """A watched job the listing no longer shows: read it (it ended, or the list was wrong)."""
    done = _Done()
    if not _started(done):
        return done  # stays watched: the next tick reads it

    def work() -> None:
        record = _due(pipeline, None, job_id, now, done, doorbell=True)
        if record is None or record.state.terminal or record.producer_job_id != producer_job_id:
            done.unwatch.add(producer_job_id)

    if not _guarded(pipeline, done, job_id, None, work):
        done.unwatch.add(producer_job_id)  # its marker brings it back, on its back-off
    return done


def _drop_doorbell(pipeline: Pipeline, key: str) -> _Done:
    done = _Done()
    if _started(done):
        done.tick.doorbells = 1
        try:
            pipeline.store.delete(key)
        except HighlightsError as exc:
            log.warning("doorbell not removed: %s", getattr(exc, "code", exc))
    return done


def _guarded(
    pipeline: Pipeline, done: _Done, job_id: str, key: str | None, work: Callable[[], None]
) -> bool:
    """Run a job's work; False when it raised something unexpected (the job backs off)."""
    tick = done.tick
    try:
        work()
    except TransientError as exc:
        tick.deferred += 1
        tick.out_of_time = tick.out_of_time or exc.code == "DeadlineExceeded"
        log.warning("reconcile deferred: %s", exc.code, extra={"job_id": job_id})
        _defer(pipeline, job_id)
    except ServiceRefused as exc:
        tick.refused += 1
        done.refusals.add(exc.code)
        _defer(pipeline, job_id)
    except Exception as exc:
        # One broken job must not stop the others, nor come back every tick: it backs off.
        tick.failed += 1
        log.exception("reconcile failed", extra={"job_id": job_id})
        _contain(pipeline, key, job_id, exc, tick)
        return False
    return True


def _due(
    pipeline: Pipeline,
    key: str | None,
    job_id: str,
    now: float,
    done: _Done,
    *,
    doorbell: bool,
    listing: watch.Listing | None = None,
) -> JobRecord | None:
    """The job's due work; `key` is its marker (None for a job that left the listing, which is
    handled like a doorbell). Returns the record as the work left it (None: no such job)."""
    tick = done.tick
    try:
        record = pipeline.records.load(job_id)
    except NotFound:
        if doorbell or key is None:
            return None
        # The accept that wrote this marker stopped before its record: start it again.
        ref = _marker_ref(pipeline, key)
        pipeline.store.delete(key)
        if ref is not None:
            accept(pipeline, ref)
            tick.recovered += 1
        return None
    if record.state.terminal or (not doorbell and record.marker != key):
        if not doorbell and key is not None:
            pipeline.store.delete(key)
            tick.stale_markers += 1
        return record
    if now - record.created_at > pipeline.max_job_age:
        ended = pipeline.finish(_last_word(pipeline, record), JobState.TIMED_OUT)
        tick.timed_out += 1
        return ended
    if record.state is JobState.RECEIVED:
        submitted = submit(pipeline, record)
        tick.resubmitted += 1
        return submitted
    listed = listing.vouches_for(record.producer_job_id) if listing else None
    if listed is not None and record.producer_job_id:
        # Still rendering, says the listing: no read. The marker moves on as the safety net, and
        # the job is watched: the tick after it leaves the list reads it.
        state = JobState.PROCESSING if listed == "Processing" else record.state
        pushed = pipeline.advance(record, state, pipeline.poll_max, polls=record.polls + 1)
        tick.vouched += 1
        done.watch[record.producer_job_id] = job_id
        return pushed
    observed = observe(pipeline, job_id)
    tick.observed += 1
    return observed


def _last_word(pipeline: Pipeline, record: JobRecord) -> JobRecord:
    age = int(pipeline.clock() - record.created_at)
    error = JobError(
        code="TimedOut",
        message=f"no outcome after {age} s (HIGHLIGHTS_MAX_JOB_AGE is {int(pipeline.max_job_age)} s)",
    )
    return record.model_copy(update={"error": error})


def _defer(pipeline: Pipeline, job_id: str) -> None:
    """Push the job's marker back by its back-off; when even that fails, it stays due."""
    try:
        record = pipeline.records.load(job_id)
        if not record.state.terminal:
            pipeline.reschedule(record, record.state)
    except HighlightsError as exc:
        log.warning("could not reschedule: %s", getattr(exc, "code", exc), extra={"job_id": job_id})


def _contain(pipeline: Pipeline, key: str | None, job_id: str, exc: Exception, tick: Tick) -> None:
    """A job whose handling raised unexpectedly: its marker moves later, by a growing delay; after
    MAX_FAILURES in a row it ends FAILED (code Internal) with a result manifest. When even that
    cannot be written, the marker is set aside, out of the queue, where `highlights` shows it."""
    try:
        record: JobRecord | None = pipeline.records.load(job_id)
    except Exception:
        record = None
    if record is not None and not record.state.terminal:
        failures = record.failures + 1
        try:
            if failures >= MAX_FAILURES:
                error = JobError(
                    code="Internal",
                    message=f"gave up after {failures} failed attempts; the last: "
                    f"{type(exc).__name__}: {str(exc)[:300]}",
                )
                pipeline.finish(
                    record.model_copy(update={"failures": failures, "error": error}),
                    JobState.FAILED,
                )
                tick.poisoned += 1
            else:
                pipeline.advance(
                    record, record.state, pipeline.poll_delay(failures), failures=failures
                )
            return
        except Exception:
            log.exception("could not back off or end the job", extra={"job_id": job_id})
    if key is not None:
        _set_aside(pipeline, key, job_id, exc)


def _set_aside(pipeline: Pipeline, key: str, job_id: str, exc: Exception) -> None:
    note = {"marker": key, "job_id": job_id, "error": f"{type(exc).__name__}: {str(exc)[:500]}"}
    try:
        pipeline.store.put(pipeline.layout.set_aside(job_id), json.dumps(note).encode())
        pipeline.store.delete(key)
        log.error("a job that cannot be handled was set aside", extra={"job_id": job_id})
    except Exception:
        log.exception("could not set the job aside", extra={"job_id": job_id})


def _marker_ref(pipeline: Pipeline, key: str) -> ManifestRef | None:
    try:
        body: dict[str, Any] = json.loads(pipeline.store.get(key))
        return ManifestRef(body["bucket"], body["key"], body["etag"], int(body.get("attempt", 0)))
    except (NotFound, ValueError, KeyError, TypeError):
        return None


def _sweep(pipeline: Pipeline, tick: Tick) -> None:
    layout = pipeline.layout
    try:
        cursor = json.loads(pipeline.store.get(layout.cursor)).get("after", "")
    except (NotFound, ValueError, AttributeError):
        cursor = ""
    listing = pipeline.store.list(layout.inbox, start_after=cursor, page_size=pipeline.sweep_page)
    page = list(islice(listing, pipeline.sweep_page))
    for obj in page:
        if not layout.is_manifest(obj.key):
            continue
        tick.swept += 1
        ref = ManifestRef(pipeline.store.bucket, obj.key, obj.etag)
        if pipeline.store.exists(layout.record(job_id_for(ref))):
            continue
        if _out_of_time():
            tick.out_of_time = True
            return  # the cursor stays: this page is read again next tick
        try:
            accept(pipeline, ref)
            tick.accepted += 1
            log.info(
                "sweep accepted a manifest whose event was lost", extra={"manifest_key": obj.key}
            )
        except TransientError as exc:
            tick.deferred += 1
            log.warning("sweep deferred: %s", exc.code, extra={"manifest_key": obj.key})
        except Exception:
            tick.failed += 1  # tried again when the sweep comes round to it
            log.exception("sweep could not accept a manifest", extra={"manifest_key": obj.key})
    # A short page means the end of the inbox: start over from the top next time.
    after = page[-1].key if len(page) == pipeline.sweep_page else ""
    if after != cursor:
        pipeline.store.put(layout.cursor, json.dumps({"after": after}).encode())
