"""Where the local engine keeps its own things in the bucket: all under the state prefix.

``<prefix>engine/``: job records (``<job>.json``) and work folders (``work/<job>/``);
``<prefix>cache``: analyses and speech kept across jobs; ``<prefix>previews/<job>/``:
preview-only videos and their contact sheets. The prefix is the settings' (``.highlights/``
by default), the same the job records of ``jobs/`` live under.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_STATE_PREFIX = ".highlights/"


@dataclass(frozen=True)
class EngineKeys:
    prefix: str = DEFAULT_STATE_PREFIX  # ends with "/"

    def __post_init__(self) -> None:
        if not self.prefix.endswith("/"):
            raise ValueError(f"the state prefix {self.prefix!r} must end with '/'")

    @property
    def engine(self) -> str:
        """Job records and work folders."""
        return f"{self.prefix}engine/"

    def work(self, job_id: str) -> str:
        return f"{self.engine}work/{job_id}"

    @property
    def cache(self) -> str:
        return f"{self.prefix}cache"

    def previews(self, job_id: str) -> str:
        """The prefix of a job's preview-only videos and sheets (ends with "/")."""
        return f"{self.prefix}previews/{job_id}/"
