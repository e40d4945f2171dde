"""Servers for the integration tests: started on 127.0.0.1 on first use, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.ice_server import IceTestServer
from tests.integration.oss_server import OssTestServer


@pytest.fixture(scope="session")
def oss_server() -> Iterator[OssTestServer]:
    """moto's S3 speaking the OSS dialect; each test module creates its own buckets."""
    with OssTestServer() as server:
        yield server


@pytest.fixture(scope="session")
def ice_server() -> Iterator[IceTestServer]:
    with IceTestServer() as server:
        yield server
