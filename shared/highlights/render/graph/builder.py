"""Writing one ffmpeg run: its inputs, its filter script with labels handed out once, its outputs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from highlights.render.ffmpeg import input_args
from highlights.render.probe import MediaInfo


class Labels:
    """The link labels of one filter graph, each handed out once.

    ``new("s")`` gives ``s0``, then ``s1`` ...: every part of the graph asks for the labels it
    links through, so no two parts can clash, whatever order they are built in. ``fixed`` takes
    a name others must know (``vout``, the output the command maps); taking one twice raises.
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._taken: set[str] = set()

    def new(self, kind: str) -> str:
        while True:
            label = f"{kind}{self._counts[kind]}"
            self._counts[kind] += 1
            if label not in self._taken:
                self._taken.add(label)
                return label

    def many(self, kind: str, count: int) -> list[str]:
        return [self.new(kind) for _ in range(count)]

    def fixed(self, name: str) -> str:
        if name in self._taken:
            raise ValueError(f"the label {name!r} is already in the graph")
        self._taken.add(name)
        return name


@dataclass(frozen=True)
class FfmpegPass:
    """One ffmpeg run: inputs, a filter script the caller writes to ``script_path``, outputs."""

    input_args: list[str]
    filter_script: str
    script_path: str
    output_args: list[str]  # maps, encoders and the file written
    inputs: tuple[str, ...]  # the files read, in input order
    seconds: float  # of output it writes
    max_bytes: int = 0  # its output's size bound (``-fs``): reaching it means a runaway

    def args(self, script_option: str = "-filter_complex_script") -> list[str]:
        """Everything after the global flags. ``script_option`` is how this ffmpeg reads a
        filter script from a file (``ffmpeg.filter_script_option``)."""
        return [*self.input_args, script_option, self.script_path, *self.output_args]


class FilterGraph:
    """The inputs and filter statements of one pass, and the labels that link them."""

    def __init__(self) -> None:
        self.inputs: list[list[str]] = []
        self.files: list[str] = []
        self.statements: list[str] = []
        self.labels = Labels()

    def label(self, kind: str) -> str:
        """A fresh link label (``Labels.new``)."""
        return self.labels.new(kind)

    def add_input(self, media: MediaInfo, *options: str) -> int:
        """A medium, opened as ``probe`` found it (``ffmpeg.input_args``: that demuxer only)."""
        self.inputs.append(input_args(media.path, media.format_name, *options))
        self.files.append(media.path)
        return len(self.inputs) - 1

    def add_source(self, spec: str) -> int:
        """A source filter of the engine's own (``anullsrc``) as an input."""
        self.inputs.append(["-format_whitelist", "lavfi", "-f", "lavfi", "-i", spec])
        self.files.append(spec)
        return len(self.inputs) - 1

    def add(self, statement: str) -> None:
        self.statements.append(statement)

    def extend(self, statements: list[str]) -> None:
        self.statements.extend(statements)

    def as_pass(
        self, script_path: str, output_args: list[str], seconds: float, max_bytes: int
    ) -> FfmpegPass:
        """``output_args`` end with ``-f <format> <file>``; ``-fs max_bytes`` goes before."""
        return FfmpegPass(
            input_args=[arg for one in self.inputs for arg in one],
            filter_script=";\n".join(self.statements) + "\n",
            script_path=script_path,
            output_args=[*output_args[:-3], "-fs", str(max_bytes), *output_args[-3:]],
            inputs=tuple(self.files),
            seconds=seconds,
            max_bytes=max_bytes,
        )
