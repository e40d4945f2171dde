"""The credentials ICE and OSS requests are signed with: the invocation's, else the environment's.

Function Compute hands a function its role's temporary STS credentials with every invocation
(`context.credentials` on python3.10) and in the environment (`ALIBABA_CLOUD_*`, which python3.12
relies on alone). The token expires while an instance may live on, so the adapters ask for the
credentials at every call instead of keeping the ones they were built with: a handler wraps its
invocation in `for_invocation(context)`, and `current()` answers with those, else with the
environment as it is now.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple

from highlights.ports import ServiceRefused

ENV_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"


class Credentials(NamedTuple):
    key_id: str
    secret: str
    token: str | None = None

    def fingerprint(self) -> str:
        """Tells credentials apart (client caches) without keeping the secret in a key."""
        joined = "\0".join(part or "" for part in self)
        return hashlib.sha256(joined.encode()).hexdigest()[:24]

    def secrets(self) -> frozenset[str]:
        """What must never appear in a message or a log."""
        return frozenset(s for s in (self.secret, self.token) if s)


CredentialSource = Callable[[], "Credentials | None"]

_invocation: ContextVar[Credentials | None] = ContextVar("highlights_credentials", default=None)


def from_env(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The standard variables Function Compute sets for the function's role, or None."""
    env = os.environ if environ is None else environ
    key_id, secret = env.get(ENV_KEY_ID, "").strip(), env.get(ENV_KEY_SECRET, "").strip()
    if not key_id or not secret:
        return None
    return Credentials(key_id, secret, env.get(ENV_TOKEN, "").strip() or None)


def from_context(context: Any) -> Credentials | None:
    """`context.credentials` of a Function Compute invocation (python3.10's attribute names, and the
    camel-case ones of the HTTP headers custom runtimes see), or None where it has none."""
    found = getattr(context, "credentials", None)
    if found is None:
        return None

    def field(*names: str) -> str:
        for name in names:
            value = found.get(name) if isinstance(found, Mapping) else getattr(found, name, None)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""

    key_id = field("access_key_id", "accessKeyId", "AccessKeyId")
    secret = field("access_key_secret", "accessKeySecret", "AccessKeySecret")
    if not key_id or not secret:
        return None
    token = field("security_token", "securityToken", "SecurityToken") or None
    return Credentials(key_id, secret, token)


def current() -> Credentials | None:
    """The invocation's credentials, else the environment's as it is now."""
    return _invocation.get() or from_env()


@contextlib.contextmanager
def for_invocation(context: Any) -> Iterator[Credentials | None]:
    """Sign every request made inside the block with the invocation's credentials (when the
    context carries them)."""
    found = from_context(context)
    token = _invocation.set(found)
    try:
        yield found
    finally:
        _invocation.reset(token)


def require(credentials: CredentialSource, service: str) -> Credentials:
    """The credentials of this moment, or ServiceRefused naming the variables to set. There is no
    fallback to the SDKs' default chains: they probe the ECS metadata service."""
    found = credentials()
    if found is None or not found.key_id or not found.secret:
        raise ServiceRefused(
            f"no {service} credentials: pass them or set {ENV_KEY_ID} and {ENV_KEY_SECRET}",
            code="InvalidCredentials",
        )
    return found


def source(given: Credentials | tuple[str, str, str | None] | None) -> CredentialSource:
    """Fixed credentials when given (tests, tools), else `current` at every call."""
    if given is None:
        return current
    fixed = Credentials(*given)
    return lambda: fixed
