"""Capacity model: a simulated day of the cloud pipeline, through the real use cases.

    PYTHONPATH=shared:. .venv/bin/python benchmarks/bench_capacity.py            # the whole grid
    ... bench_capacity.py --volumes 1000000 --designs new --loss 1.0 --arrivals bursty
    ... bench_capacity.py --sample 2000                                           # quicker, coarser

Every job goes through `accept` (the submit function), a delivered callback through what
fc/callback.py does (ring the job's doorbell, then observe it), and every two minutes a tick
through `reconcile` (the timer), over a MemoryStore and the fake producer on a fake clock, with
arrivals over a day (steady, or bursty: a daily curve peaking at twice the mean plus six drops of
1 % of the day within a minute), render times drawn from 5 to 60 minutes (triangular, mode 15) and
callbacks lost at a given rate. Time moves by events and ticks, never by waiting.

Calls are counted by function, service and operation, and turned into time with a per-call
latency (ICE Get 0.1 s, Submit 0.15 s, a List page 0.15 s; OSS 0.015 s, a listing page 0.03 s).
A tick's duration is the longest of: the summed latencies over the tick's concurrency, ICE calls
over the ICE rate, OSS calls over the OSS rate (the token buckets). That clock is the tick's
budget clock (120 s), so the real tick stops taking work where a deployed one would.

Volumes above `--sample` jobs a day run a sample: one job in 1/f, with every capacity scaled by f
(ICE's page of 100 and the cap of 100 due jobs a tick hold f × as many sampled jobs; each sampled
call stands for 1/f calls, in counts and in time). Costs are linear in the jobs, so the sample
behaves as the whole does; the figures are reported at full scale.

Designs: `today` is the per-job polling timer (one thread, at most 100 due jobs a tick, no
listing, no rate limit); `new` lists ICE's unfinished jobs, reads only those that left the list,
and works on 10 threads under 30 ICE and 1,000 OSS requests a second.

The figures, the assumptions and what they say: docs/capacity.md.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import heapq
import itertools
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from highlights import budget, user_data
from highlights.jobs.accept import accept
from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.jobs.observe import observe
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import reconcile
from highlights.ports import HighlightsError, JobStatus, StoredObject, SubmitRequest
from highlights.producers.fake import FakeProducer
from highlights.producers.ice.listing import SERIAL_PAGES
from highlights.storage.memory import MemoryStore
from tests.support import Clock, manifest

DAY = 86_400.0
TICK = 120.0  # the timer's schedule (s.yaml: @every 2m)
BUDGET = 120.0  # the goal's budget for one tick
DRAIN = 4 * 3600.0  # the day is followed by this much time without arrivals
LATENCY = {  # seconds a call, in the region
    ("ice", "submit"): 0.15,
    ("ice", "get"): 0.1,
    ("ice", "list"): 0.15,
    ("oss", "get"): 0.015,
    ("oss", "head"): 0.015,
    ("oss", "put"): 0.015,
    ("oss", "delete"): 0.015,
    ("oss", "list"): 0.03,
}
OSS_PAGE = 1000  # ListObjects' max-keys
GOLDEN = (math.sqrt(5) - 1) / 2
BUCKET = "films"


@dataclass(frozen=True)
class Design:
    name: str
    listing: bool
    workers: int
    ice_rate: float  # requests a second (inf: unlimited)
    oss_rate: float
    due_per_tick: int  # at full scale


DESIGNS = {
    "today": Design("today", listing=False, workers=1, ice_rate=math.inf, oss_rate=math.inf,
                    due_per_tick=100),
    "new": Design("new", listing=True, workers=10, ice_rate=30.0, oss_rate=1000.0,
                  due_per_tick=20_000),
}  # fmt: skip


# -- metering -------------------------------------------------------------------------------------


class Meter:
    """Counts calls by (function, service, op) and minute, and keeps a tick's clock."""

    def __init__(self, f: float, design: Design, volume: int) -> None:
        self.f = f
        self.design = design
        self.volume = volume
        self.function = "user"  # who is calling: user (not counted), submit, callback, tick
        self.event_time = 0.0
        self.counts: defaultdict[tuple[str, str, str], float] = defaultdict(float)
        self.minutes: defaultdict[int, defaultdict[str, float]] = defaultdict(
            lambda: defaultdict(float)
        )
        # A tick's time so far: its calls' latency over its workers, and each service's calls
        # over its rate (the token bucket).
        self._tick: dict[str, float] | None = None

    def now(self) -> float:
        return self.event_time + self.tick_elapsed()

    def tick_elapsed(self) -> float:
        return max(self._tick.values()) if self._tick is not None else 0.0

    def start_tick(self) -> None:
        self._tick = {"latency": 0.0, "ice": 0.0, "oss": 0.0}

    def end_tick(self) -> float:
        elapsed = self.tick_elapsed()
        self._tick = None
        return elapsed

    def charge(self, service: str, op: str, real: float | None = None) -> None:
        """One sampled call (1/f calls of the whole), or `real` calls of the whole: a listing's
        pages and the tick's own objects (watch list, cursor) do not grow with the jobs."""
        if self.function == "user":
            return
        n = 1 / self.f if real is None else real
        self.counts[(self.function, service, op)] += n
        # A sampled call stands for n calls: spread them over the time they take (in a tick: at
        # the service's rate, or as fast as the workers go; elsewhere: at the day's mean pace).
        at, spread = self.event_time, n * DAY / self.volume
        if self._tick is not None:
            # The tick's workers interleave their calls: each resource (the workers' time, each
            # service's token bucket) fills on its own, and the tick lasts as long as the fullest.
            self._tick["latency"] += LATENCY[(service, op)] * n / self.design.workers
            rate = self.design.ice_rate if service == "ice" else self.design.oss_rate
            if math.isfinite(rate):
                self._tick[service] += n / rate
                at, spread = self.event_time + self._tick[service] - n / rate, n / rate
            else:
                at, spread = self.event_time + self._tick["latency"], LATENCY[(service, op)] * n
        if service == "ice":
            self._spread("submits" if op == "submit" else "reads", at, spread, n)

    def _spread(self, kind: str, start: float, length: float, n: float) -> None:
        end = start + length
        minute = int(start // 60)
        while n > 0 and minute * 60 < end:
            part = (
                n
                if length <= 0
                else n * (min(end, minute * 60 + 60) - max(start, minute * 60)) / length
            )
            self.minutes[minute][kind] += part
            minute += 1


class SimStore(MemoryStore):
    """MemoryStore with a sorted key index (a day's keys, listed in O(page)), counting requests."""

    def __init__(self, meter: Meter, clock: Clock, on_result: Any, singletons: set[str]) -> None:
        super().__init__(BUCKET, clock=clock)
        self.meter = meter
        self._keys: list[str] = []
        self._on_result = on_result
        self._singletons = singletons  # one object for all jobs: one call, whatever the sample

    def _charge(self, op: str, key: str) -> None:
        self.meter.charge("oss", op, 1.0 if key in self._singletons else None)

    def get(self, key: str) -> bytes:
        self._charge("get", key)
        return super().get(key)

    def head(self, key: str) -> StoredObject:
        self._charge("head", key)
        return super().head(key)

    def exists(self, key: str) -> bool:
        self._charge("head", key)
        return super().exists(key)

    def put(
        self, key: str, data: bytes, *, create_only: bool = False, content_type: str | None = None
    ) -> StoredObject:
        self._charge("put", key)
        new = not super().exists(key)
        stored = super().put(key, data, create_only=create_only, content_type=content_type)
        if new:
            bisect.insort(self._keys, key)
        if key.endswith(".result.json"):
            self._on_result(key)
        return stored

    def delete(self, key: str) -> None:
        self._charge("delete", key)
        super().delete(key)
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]

    def list(
        self, prefix: str = "", *, start_after: str = "", page_size: int = 1000
    ) -> Iterator[StoredObject]:
        return self._pages(prefix, start_after)

    def _pages(self, prefix: str, start_after: str) -> Iterator[StoredObject]:
        per_page = max(1.0, OSS_PAGE * self.meter.f)  # a page holds 1000 keys of the whole
        self.meter.charge("oss", "list", 1.0)
        served, next_page = 0, per_page
        after = start_after
        while True:  # by key, as OSS's marker pages: writes while listing shift no position
            i = bisect.bisect_right(self._keys, after) if after else 0
            i = max(i, bisect.bisect_left(self._keys, prefix))
            if i >= len(self._keys) or not self._keys[i].startswith(prefix):
                return
            after = self._keys[i]
            try:
                found = MemoryStore.head(self, after)
            except HighlightsError:
                continue
            served += 1
            if served > next_page:
                self.meter.charge("oss", "list", 1.0)
                next_page += per_page
            yield found


class SimProducer(FakeProducer):
    """The fake ICE, counting its calls; every job renders for its drawn time."""

    def __init__(self, meter: Meter, clock: Clock, renders: dict[str, float], design: Design):
        super().__init__(
            clock=clock,
            max_user_data_bytes=None,
            render_seconds=lambda job_id, request: renders[request.user_data[user_data.JOB_ID]],
            listing=design.listing,
        )
        self.meter = meter
        self.streams = design.workers

    def submit(self, request: SubmitRequest, client_token: str, notify_url: str | None) -> str:
        self.meter.charge("ice", "submit")
        return super().submit(request, client_token, notify_url)

    def get(self, job_id: str) -> JobStatus:
        self.meter.charge("ice", "get")
        return super().get(job_id)

    def list_unfinished(self, since: float) -> Any:
        """Pages as the ICE adapter reads them (producers/ice/listing.py): per status, a page per
        100 jobs, and past SERIAL_PAGES, `streams` parts side by side, each ending on a partial
        page."""
        found = super().list_unfinished(since)
        if found is not None:
            pages = 0
            for status in ("Init", "Processing"):
                jobs = sum(1 for s in found.values() if s == status) / self.meter.f
                pages += max(1, math.ceil(jobs / 100))
                pages += self.streams if jobs > SERIAL_PAGES * 100 else 0
            self.meter.charge("ice", "list", pages)
        return found


# -- the day --------------------------------------------------------------------------------------


def arrivals(volume: int, f: float, pattern: str) -> list[float]:
    """Arrival times of the sampled jobs over a day, at the quantiles of the day's rate: a whole
    day at these volumes is smooth from one tick to the next, a random sample would be 1/f times
    noisier."""
    n = max(1, round(volume * f))
    if pattern == "steady":
        return [DAY * (i + 0.5) / n for i in range(n)]
    in_bursts = round(n * 0.06) // 6 * 6  # six drops of 1 % of the day, each within a minute
    times = [
        DAY * (k + 0.5) / 6 + 60.0 * (i + 0.5) / (in_bursts // 6)
        for k in range(6)
        for i in range(in_bursts // 6)
    ]
    rest = n - len(times)  # rate ∝ 1 - cos(2πt/day): none at midnight, twice the mean at noon
    times += [_inverse(_diurnal, (i + 0.5) / rest) for i in range(rest)]
    return sorted(times)


def _diurnal(t: float) -> float:
    return (t - DAY / (2 * math.pi) * math.sin(2 * math.pi * t / DAY)) / DAY


def _inverse(cdf: Any, u: float) -> float:
    low, high = 0.0, DAY
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if cdf(mid) < u else (low, mid)
    return (low + high) / 2


def render_time(i: int) -> float:
    """Job i's render time: triangular from 5 to 60 minutes, mode 15, at the i-th point of a
    golden-ratio sequence (spread evenly against the arrivals, unlike random draws)."""
    u = math.modf((i + 0.5) * GOLDEN)[0]
    low, high, mode = 300.0, 3600.0, 900.0
    split = (mode - low) / (high - low)
    if u < split:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))


def callback_lost(i: int, loss: float) -> bool:
    return math.modf((i + 0.5) * math.sqrt(2))[0] < loss


@dataclass
class Result:
    design: str
    volume: int
    arrivals: str
    loss: float
    sample: int
    ice_per_job: dict[str, float] = field(default_factory=dict)
    ice_reads_peak: float = 0.0  # Get + List a second, all functions, busiest 5 minutes
    submits_peak: float = 0.0  # SubmitBatchMediaProducingJob a second, busiest 5 minutes
    ice_peak: float = 0.0  # every ICE request a second (one account's limit), busiest 5 minutes
    oss_per_job: float = 0.0
    tick_p50: float = 0.0
    tick_max: float = 0.0
    ticks_out_of_time: int = 0
    inflight_peak: float = 0.0
    waiting_peak: float = 0.0  # ended at ICE, no result manifest yet
    latency_p50: float = 0.0
    latency_p99: float = 0.0
    latency_max: float = 0.0
    within_interval: float = 0.0  # share of results written within one tick interval
    first_tick: float = 0.0  # share written by a callback or the first tick after ICE's end
    undelivered: float = 0.0  # no result by the end of the drain (their latency: never)
    seconds: float = 0.0  # wall time of the simulation


def simulate(
    design: Design,
    volume: int,
    pattern: str,
    loss: float,
    sample: int,
    *,
    interval: float = TICK,
    tick_budget: float = BUDGET,
) -> Result:
    started = time.perf_counter()
    f = min(1.0, sample / volume)
    clock = Clock(0.0)
    meter = Meter(f, design, volume)
    renders: dict[str, float] = {}
    ended_at: dict[str, float] = {}  # job id -> when ICE finished it
    result_at: dict[str, float] = {}  # result key -> when it was written
    singletons: set[str] = set()
    store = SimStore(meter, clock, lambda key: result_at.setdefault(key, meter.now()), singletons)
    producer = SimProducer(meter, clock, renders, design)
    pipeline = Pipeline(
        store=store,
        producer=producer,
        region="cn-shanghai",
        callback_url="https://cb.example.com/ice",
        callback_keys=("k" * 32,),
        clock=clock,
        workers=1,  # the tick's concurrency is modelled (latency ÷ design.workers)
        sweep_page=max(1, round(100 * f)),
    )
    singletons.update({pipeline.layout.watched, pipeline.layout.cursor})
    document = json.dumps(manifest(BUCKET, outputs="out/day")).encode()
    events: list[tuple[float, int, str, Any]] = []
    seq = itertools.count()
    for i, t in enumerate(arrivals(volume, f, pattern)):
        heapq.heappush(events, (t, next(seq), "arrive", i))
    for k in range(int((DAY + DRAIN) // interval) + 1):
        heapq.heappush(events, (k * interval + interval / 2, next(seq), "tick", None))
    credit = 0.0
    ticks: list[float] = []
    out_of_time = 0
    inflight_peak = waiting_peak = 0
    names = itertools.count()
    while events:
        at, _, kind, payload = heapq.heappop(events)
        clock.now = meter.event_time = at
        if kind == "arrive":
            meter.function = "user"
            key = f"manifests/m{next(names):07d}.json"
            ref = ManifestRef(BUCKET, key, store.put(key, document).etag)
            job_id = job_id_for(ref)
            renders[job_id] = render_time(payload)
            meter.function = "submit"
            accept(pipeline, ref)
            meter.function = "user"
            ended_at[job_id] = at + renders[job_id]
            if not callback_lost(payload, loss):  # ICE calls back within a second of the end
                heapq.heappush(events, (ended_at[job_id] + 0.5, next(seq), "callback", job_id))
        elif kind == "callback":  # fc/callback.py: the doorbell, then a read within 2 s
            meter.function = "callback"
            bell = pipeline.ring(payload)
            with budget.budget(2.0, attempts=1, clock=lambda: 0.0):
                record = observe(pipeline, payload)
            if record is not None and record.state.terminal:
                store.delete(bell)
        else:
            meter.function = "tick"
            credit += design.due_per_tick * f
            pipeline.reconcile_batch = max(1, math.floor(credit))
            credit -= pipeline.reconcile_batch
            meter.start_tick()
            with budget.budget(tick_budget, clock=meter.now):
                tick = reconcile(pipeline)
            ticks.append(meter.end_tick())
            out_of_time += tick.out_of_time
            ended = sum(1 for t in ended_at.values() if t <= at)
            inflight_peak = max(inflight_peak, len(ended_at) - len(result_at))
            waiting_peak = max(waiting_peak, ended - len(result_at))
    meter.function = "user"
    latencies = []  # a job without a result by the end counts as never (inf)
    first = 0  # written before the second tick after ICE's end started
    for job_id, ended in ended_at.items():
        record = pipeline.records.load(job_id)
        written = result_at.get(record.result_key or "")
        latencies.append(math.inf if written is None else max(0.0, written - ended))
        next_tick = math.ceil((ended - interval / 2) / interval) * interval + interval / 2
        first += written is not None and written < next_tick + interval
    latencies.sort()
    jobs = len(ended_at)
    per: defaultdict[tuple[str, str], float] = defaultdict(float)
    for (_, service, op), n in meter.counts.items():
        per[(service, op)] += n / volume  # counts are of the whole day
    return Result(
        design=design.name,
        volume=volume,
        arrivals=pattern,
        loss=loss,
        sample=jobs,
        ice_per_job={op: per[("ice", op)] for op in ("submit", "get", "list")},
        ice_reads_peak=_busiest(meter.minutes, "reads"),
        submits_peak=_busiest(meter.minutes, "submits"),
        ice_peak=_busiest(meter.minutes, "reads", "submits"),
        oss_per_job=sum(n for (s, _), n in per.items() if s == "oss"),
        tick_p50=statistics.median(ticks),
        tick_max=max(ticks),
        ticks_out_of_time=out_of_time,
        inflight_peak=inflight_peak / f,
        waiting_peak=waiting_peak / f,
        latency_p50=_quantile(latencies, 0.5),
        latency_p99=_quantile(latencies, 0.99),
        latency_max=latencies[-1],
        within_interval=sum(1 for t in latencies if t <= interval) / len(latencies),
        first_tick=first / len(latencies),
        undelivered=sum(1 for t in latencies if math.isinf(t)) / f,
        seconds=time.perf_counter() - started,
    )


def _busiest(minutes: dict[int, dict[str, float]], *kinds: str, window: int = 5) -> float:
    """Calls a second over the busiest `window` minutes."""
    counts = {k: sum(v.get(kind, 0.0) for kind in kinds) for k, v in minutes.items()}
    return max(sum(counts.get(k + j, 0.0) for j in range(window)) / (60 * window) for k in counts)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return math.inf
    return values[min(len(values) - 1, int(q * len(values)))]


# -- report ---------------------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    if math.isinf(seconds):
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def table(results: list[Result]) -> str:
    rows = [
        "| design | jobs/day | arrivals | callbacks lost | ICE calls/job (submit+get+list) "
        "| ICE reads/s, peak | submits/s, peak | ICE calls/s, peak | OSS req/job | tick p50 / max "
        "| ticks out of time | in flight, peak | ended, no result, peak "
        "| ICE end → result p50 / p99 / max | within one interval | by the first tick | no result |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ice = r.ice_per_job
        rows.append(
            f"| {r.design} | {r.volume:,} | {r.arrivals} | {r.loss:.0%} "
            f"| {sum(ice.values()):.2f} (1+{ice['get']:.2f}+{ice['list']:.2f}) "
            f"| {r.ice_reads_peak:.1f} | {r.submits_peak:.0f} | {r.ice_peak:.0f} "
            f"| {r.oss_per_job:.0f} "
            f"| {_duration(r.tick_p50)} / {_duration(r.tick_max)} | {r.ticks_out_of_time} "
            f"| {r.inflight_peak:,.0f} | {r.waiting_peak:,.0f} "
            f"| {_duration(r.latency_p50)} / {_duration(r.latency_p99)} / "
            f"{_duration(r.latency_max)} | {r.within_interval:.1%} | {r.first_tick:.1%} "
            f"| {r.undelivered:,.0f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volumes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--designs", nargs="+", default=["today", "new"], choices=DESIGNS)
    parser.add_argument("--arrivals", nargs="+", default=["steady", "bursty"])
    parser.add_argument("--loss", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    parser.add_argument("--sample", type=int, default=5_000, help="most jobs simulated a day")
    parser.add_argument("--workers", type=int, help="the new design's threads (default 10)")
    parser.add_argument("--interval", type=float, default=TICK, help="seconds between ticks")
    parser.add_argument("--budget", type=float, default=BUDGET, help="a tick's time budget")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)  # a tick out of time says so; the table counts it
    if args.workers:
        DESIGNS["new"] = dataclasses.replace(DESIGNS["new"], workers=args.workers)
    results = []
    for volume, pattern, loss, name in itertools.product(
        args.volumes, args.arrivals, args.loss, args.designs
    ):
        result = simulate(
            DESIGNS[name],
            volume,
            pattern,
            loss,
            args.sample,
            interval=args.interval,
            tick_budget=args.budget,
        )
        results.append(result)
        print(
            f"{name:5} {volume:>9,} {pattern:6} lost {loss:4.0%}: tick max "
            f"{_duration(result.tick_max)}, ICE reads {result.ice_reads_peak:.1f}/s, p99 "
            f"{_duration(result.latency_p99)} ({result.seconds:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
