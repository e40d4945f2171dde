"""What planning has to tell the reader of a result: sentences, each said once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


class Warnings:
    """Warnings in the order they were first given, each once (a fallback met by every
    sentence is said once). They end up in ``Timeline.warnings``."""

    def __init__(self, messages: Iterable[str] = ()) -> None:
        self._messages: dict[str, None] = dict.fromkeys(messages)

    def add(self, message: str) -> None:
        self._messages.setdefault(message)

    def extend(self, messages: Iterable[str]) -> None:
        for message in messages:
            self.add(message)

    def copy(self) -> Warnings:
        return Warnings(self._messages)

    def as_list(self) -> list[str]:
        return list(self._messages)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._messages))

    def __contains__(self, message: object) -> bool:
        return message in self._messages

    def __len__(self) -> int:
        return len(self._messages)
