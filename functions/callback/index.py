"""Function Compute entry point: callback. The logic lives in highlights.fc.app."""

from typing import Any

from highlights.fc import app


def handler(event: bytes, context: Any) -> Any:
    return app.callback(event, context)


def initializer(context: Any) -> None:
    app.initialize(context)
