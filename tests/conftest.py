from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment() -> Iterator[None]:
    """Settings live in the environment, and `highlights run`/`serve` set them as Function Compute
    would: no test may leak them into the next."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    from highlights.fc import app

    app.reset()
