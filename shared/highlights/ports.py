"""The ports the use cases (and the local engine) talk to, and the errors adapters raise.

Adapters (a folder or OSS for storage; ICE, the local engine or a test fake for production) are
picked by settings; nothing here imports an SDK.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pathlib import Path


class HighlightsError(Exception):
    """Base of every error an adapter raises on purpose."""


class NotFound(HighlightsError):
    """The key (or job) does not exist."""


class AlreadyExists(HighlightsError):
    """A create-only write found the key already there."""


class UnsafeKey(HighlightsError, ValueError):
    """The key would leave the store's root, or is not a valid object key."""


class TransientError(HighlightsError):
    """Worth retrying later: throttling, timeouts, 5xx, network errors."""

    def __init__(self, message: str, *, code: str = "Transient") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PermanentError(HighlightsError):
    """Retrying cannot help: the job fails with this code and message."""

    def __init__(self, message: str, *, code: str = "Permanent") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ServiceRefused(HighlightsError):
    """The service refused the caller, not the job: credentials, signature, permissions, a service
    not activated, the account's state. Never a job's fault, so it never ends a job: the job waits,
    with back-off, until an operator fixes the cause (the tick logs it at ERROR)."""

    def __init__(self, message: str, *, code: str = "Refused") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str
    last_modified: float  # UNIX seconds


@runtime_checkable
class ObjectStore(Protocol):
    """A bucket: `/`-separated keys, atomic writes, lazy listing."""

    bucket: str

    def get(self, key: str) -> bytes: ...

    def head(self, key: str) -> StoredObject: ...

    def exists(self, key: str) -> bool: ...

    def put(
        self, key: str, data: bytes, *, create_only: bool = False, content_type: str | None = None
    ) -> StoredObject:
        """Write atomically. With create_only, raise AlreadyExists if the key is there."""
        ...

    def list(
        self, prefix: str = "", *, start_after: str = "", page_size: int = 1000
    ) -> Iterator[StoredObject]:
        """Keys under prefix in lexicographic order, after start_after, fetched a page at a time."""
        ...

    def delete(self, key: str) -> None:
        """Remove the key; a missing key is not an error."""
        ...


@runtime_checkable
class MediaFolder(Protocol):
    """A store whose objects are files on this machine: what the local engine renders through.

    ffmpeg reads and writes files, so the engine needs paths, not bytes: ``path_for`` is the one
    way from a key to a file, and it refuses a key that would leave ``root``. The engine lists
    (a media ID names a file by the start of its name) and puts small objects (contact sheets)
    like any store. ``storage.local.LocalStore`` is one.
    """

    @property
    def root(self) -> Path:
        """The folder holding every object; a key ``a/b`` is the file ``root/a/b``."""
        ...

    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` (it may not exist yet); ``UnsafeKey`` if it would leave
        ``root`` (``..``, an absolute key, a symlink pointing out)."""
        ...

    def list(
        self, prefix: str = "", *, start_after: str = "", page_size: int = 1000
    ) -> Iterator[StoredObject]:
        """Keys under prefix in lexicographic order (as ``ObjectStore.list``)."""
        ...

    def put(
        self, key: str, data: bytes, *, create_only: bool = False, content_type: str | None = None
    ) -> StoredObject:
        """Write atomically (as ``ObjectStore.put``)."""
        ...


BatchState = Literal["Init", "Processing", "Finished", "Failed"]
SubJobState = Literal["Init", "Processing", "Success", "Failed"]


@dataclass(frozen=True)
class SubJob:
    """One output video of a batch job (GetBatchMediaProducingJob's SubJobList entry)."""

    index: int
    status: SubJobState
    job_id: str | None = None
    media_id: str | None = None
    media_url: str | None = None
    duration: float | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class JobStatus:
    """A batch job as the producer reports it: the only truth about how a job went."""

    job_id: str
    status: BatchState
    sub_jobs: tuple[SubJob, ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    create_time: str | None = None
    complete_time: str | None = None
    raw_status: str | None = None  # what the producer said when it was none of the states above
    job_type: str | None = None  # ICE's JobType (movie highlights reports Smart_Mix)
    progress: float | None = None  # 0..1, when the producer tells (the local engine does)
    message: str | None = None  # the producer's word on what it is doing now
    # the local engine's account of each output: which source range covers which sentence
    timelines: tuple[dict[str, Any], ...] = ()

    @property
    def terminal(self) -> bool:
        return self.status in ("Finished", "Failed")


@dataclass(frozen=True)
class SubmitRequest:
    """SubmitBatchMediaProducingJob's parameters in wire form (the configs are JSON strings)."""

    input_config: str
    output_config: str
    editing_config: str | None = None
    template_config: str | None = None
    user_data: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Producer(Protocol):
    """Whatever renders the batch job: ICE, or the local engine behind the same shape."""

    def submit(self, request: SubmitRequest, client_token: str, notify_url: str | None) -> str:
        """Start the batch job; the same client_token never starts a second one. Returns its id.

        notify_url, when given, is added to UserData as `NotifyAddress`.
        Raises TransientError (retry with the same token) or PermanentError.
        """
        ...

    def get(self, job_id: str) -> JobStatus:
        """Read the job. Raises NotFound, TransientError or PermanentError."""
        ...


UnfinishedState = Literal["Init", "Processing"]


@runtime_checkable
class ListsUnfinished(Protocol):
    """What a Producer may do besides: list its unfinished jobs in one sweep (ICE's
    ListBatchMediaProducingJobs). Optional: the reconcile tick uses it when the producer has it
    (`getattr(producer, "list_unfinished", None)`), and reads due jobs one by one otherwise (the
    local engine, a producer that answers None, a listing that fails or is refused)."""

    def list_unfinished(self, since: float) -> Mapping[str, UnfinishedState] | None:
        """Every job still Init or Processing that was created at or after `since` (UNIX
        seconds), by producer job id, whoever submitted it; None when this producer cannot list.

        The answer must be whole: a listing cut short raises instead (TransientError,
        ServiceRefused, PermanentError). A job missing from it by mistake costs one `get`; a job
        that ended but is still listed waits for the next listing.
        """
        ...
