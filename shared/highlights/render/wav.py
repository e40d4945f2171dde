"""PCM WAV helpers: measure a file, and join speech and silence into one file.

Durations are always read from the audio that was produced, never estimated from text.
"""

from __future__ import annotations

import os
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from highlights.render.ffmpeg import input_args, run_ffmpeg
from highlights.render.process import scratch_folder


@dataclass(frozen=True)
class WavFormat:
    channels: int = 1
    sample_width: int = 2  # bytes
    rate: int = 22050


def wav_format(path: str | os.PathLike[str]) -> WavFormat:
    with wave.open(os.fspath(path), "rb") as reader:
        return WavFormat(reader.getnchannels(), reader.getsampwidth(), reader.getframerate())


def wav_duration(path: str | os.PathLike[str]) -> float:
    with wave.open(os.fspath(path), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


def _silence(seconds: float, fmt: WavFormat) -> bytes:
    frames = round(seconds * fmt.rate)
    # 8-bit WAV is unsigned: its silence is 0x80, not zero.
    sample = b"\x80" if fmt.sample_width == 1 else b"\x00" * fmt.sample_width
    return sample * fmt.channels * frames


def conform(path: Path, fmt: WavFormat, workdir: Path) -> Path:
    """``path`` resampled to ``fmt`` (with ffmpeg) when it differs, else ``path`` itself."""
    if wav_format(path) == fmt:
        return path
    codec = {1: "pcm_u8", 2: "pcm_s16le", 3: "pcm_s24le", 4: "pcm_s32le"}[fmt.sample_width]
    out = workdir / f"conformed-{path.stem}.wav"
    run_ffmpeg(
        [*input_args(path, "wav"), "-ac", str(fmt.channels), "-ar", str(fmt.rate),
         "-c:a", codec, str(out)],
        what=f"resample {path.name}",
        timeout=60.0 + wav_duration(path),
    )  # fmt: skip
    return out


def concat_wav(
    parts: Sequence[Path | float], out: str | os.PathLike[str], *, default: WavFormat | None = None
) -> float:
    """Write ``parts`` (WAV files, or seconds of silence) one after another into ``out``.

    The format is that of the first file (``default`` when there are only silences); files in
    another format are resampled first. Returns the duration of what was written.
    """
    files = [p for p in parts if isinstance(p, Path)]
    fmt = wav_format(files[0]) if files else (default or WavFormat())
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out_path.parent, prefix=".tmp-", suffix=".wav")
    os.close(fd)
    try:
        with (
            scratch_folder("wav-") as workdir,
            wave.open(tmp_name, "wb") as writer,
        ):
            writer.setnchannels(fmt.channels)
            writer.setsampwidth(fmt.sample_width)
            writer.setframerate(fmt.rate)
            for part in parts:
                if isinstance(part, Path):
                    with wave.open(str(conform(part, fmt, Path(workdir))), "rb") as reader:
                        writer.writeframes(reader.readframes(reader.getnframes()))
                elif part > 0:
                    writer.writeframes(_silence(part, fmt))
        os.replace(tmp_name, out_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return wav_duration(out_path)
