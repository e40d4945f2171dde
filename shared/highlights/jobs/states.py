"""Job states. Transitions only move forward, so a late or duplicate event never moves a job back."""

from __future__ import annotations

from enum import Enum


class JobState(str, Enum):
    RECEIVED = "RECEIVED"
    SUBMITTED = "SUBMITTED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    REJECTED = "REJECTED"
    SUPERSEDED = "SUPERSEDED"  # a newer version of its manifest replaced it before it ended

    @property
    def terminal(self) -> bool:
        return _RANK[self] == _TERMINAL_RANK

    def can_become(self, other: JobState) -> bool:
        """Forward only; a terminal state is final (staying put is allowed: writes are idempotent)."""
        if self is other:
            return True
        if self.terminal:
            return False
        if other is JobState.REJECTED:
            return self is JobState.RECEIVED
        return _RANK[other] > _RANK[self]


_TERMINAL_RANK = 3
_RANK = {
    JobState.RECEIVED: 0,
    JobState.SUBMITTED: 1,
    JobState.PROCESSING: 2,
    JobState.SUCCEEDED: _TERMINAL_RANK,
    JobState.PARTIAL: _TERMINAL_RANK,
    JobState.FAILED: _TERMINAL_RANK,
    JobState.TIMED_OUT: _TERMINAL_RANK,
    JobState.REJECTED: _TERMINAL_RANK,
    JobState.SUPERSEDED: _TERMINAL_RANK,
}
