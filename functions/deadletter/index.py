"""Function Compute entry point: deadletter. The logic lives in highlights.fc.app."""

from typing import Any

from highlights.fc import app


def handler(event: bytes, context: Any) -> Any:
    return app.dead_letter(event, context)
