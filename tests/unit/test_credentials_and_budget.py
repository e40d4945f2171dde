"""Credentials per invocation, and the time budgets the adapters honour."""

from __future__ import annotations

import pytest

from highlights import budget
from highlights.credentials import Credentials, current, for_invocation, from_context, source


class FcCredentials:  # python3.10's context.credentials
    access_key_id = "ctx-id"
    access_key_secret = "ctx-secret"
    security_token = "ctx-token"


class Context:
    def __init__(self, credentials: object = None) -> None:
        if credentials is not None:
            self.credentials = credentials


def test_credentials_from_the_invocation_context() -> None:
    assert from_context(Context(FcCredentials())) == Credentials(
        "ctx-id", "ctx-secret", "ctx-token"
    )
    camel = {"accessKeyId": "a", "accessKeySecret": "b", "securityToken": ""}
    assert from_context(Context(camel)) == Credentials("a", "b", None)
    assert from_context(Context()) is None
    assert from_context(None) is None
    assert from_context(Context({"accessKeyId": "a"})) is None  # half is none


def test_the_invocation_wins_and_the_environment_is_read_at_every_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    assert current() == Credentials("env-id", "env-secret")
    with for_invocation(Context(FcCredentials())):
        assert current() == Credentials("ctx-id", "ctx-secret", "ctx-token")
        with for_invocation(Context()):  # a context without credentials: the environment's
            assert current() == Credentials("env-id", "env-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "rotated")
    assert current() == Credentials("env-id", "env-secret", "rotated")
    assert source(("i", "s", None))() == Credentials("i", "s")


def test_secrets_and_fingerprints() -> None:
    creds = Credentials("id", "secret", "token")
    assert creds.secrets() == {"secret", "token"}
    assert "secret" not in creds.fingerprint()
    assert creds.fingerprint() != Credentials("id", "secret", "other").fingerprint()


def test_budgets_nest_and_never_extend() -> None:
    now = [100.0]
    assert budget.remaining() is None
    assert budget.call_seconds(8.0, "x") == 8.0
    assert budget.attempts(3) == 3 and budget.attempts() is None
    with budget.budget(10, attempts=1, attempt_seconds=0.5, clock=lambda: now[0]):
        assert budget.remaining() == 10
        assert budget.attempts(3) == 1 and budget.attempts() == 1
        assert budget.call_seconds(8.0, "x") == 0.5
        with budget.budget(60, clock=lambda: now[0]) as inner:
            assert inner.remaining() == 10  # the outer one still ends first
            assert budget.call_seconds(8.0, "x") == 0.5
        now[0] = 109.8
        assert budget.call_seconds(8.0, "x") == pytest.approx(0.2)
        now[0] = 110.0
        with pytest.raises(budget.DeadlineExceeded) as caught:
            budget.call_seconds(8.0, "ICE GetBatchMediaProducingJob")
        assert caught.value.code == "DeadlineExceeded"
    assert budget.remaining() is None
