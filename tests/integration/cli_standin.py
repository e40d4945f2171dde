"""`highlights …` as a process, with a stand-in renderer: what the tests of the command line's
output look at is the output, not composition (tests/e2e renders for real).

The stand-in reports progress and holds the job PROCESSING until the file named by
HIGHLIGHTS_TEST_GATE exists (at most a minute), so a test can act while the job runs; then it
writes each output of the request and a contact sheet per output, as the engine does.

    python tests/integration/cli_standin.py run MANIFEST --bucket DIR
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from highlights.producers import local as engine  # noqa: E402
from highlights.producers.local import OutputResult, RenderOutcome  # noqa: E402

GATE_WAIT = 60.0  # seconds the stand-in holds a job at most

# A test runner started in the background by a script has SIGINT ignored, and its children
# inherit that: the command under test gets Ctrl-C's handler back, as a terminal gives it.
signal.signal(signal.SIGINT, signal.default_int_handler)


def stand_in(
    job_id: str, request: Any, store: Any, work: Path, progress: Any, **kwargs: Any
) -> Any:
    cancel = kwargs["cancel"]
    gate = os.environ.get("HIGHLIGHTS_TEST_GATE")
    deadline = time.monotonic() + GATE_WAIT
    step = 0
    while gate and not Path(gate).exists() and time.monotonic() < deadline:
        progress(min(step / 50, 0.9), f"output 1: render 1: {step}%")
        step += 1
        if cancel.wait(0.05):
            return RenderOutcome(outputs=[], error_code="Cancelled", error_message="cancelled")
    output = json.loads(request.output_config)
    url = output["MediaURL"]
    prefix = url.split(".aliyuncs.com/", 1)[1]
    outputs, timelines = [], []
    for index in range(1, int(output.get("Count", 1)) + 1):
        key = prefix.replace("{index}", str(index))
        sheet = key.rsplit(".", 1)[0] + ".contact.png"
        store.put(key, b"a stand-in video")
        store.put(sheet, b"a stand-in contact sheet")
        outputs.append(
            OutputResult(
                index, True, key=key, media_url=url.replace("{index}", str(index)), duration=12.0
            )
        )
        timelines.append({"index": index, "duration": 12.0, "contact_sheet": sheet})
    progress(1.0, "done")
    return RenderOutcome(outputs=outputs, timelines=timelines)


engine._default_renderer = lambda: stand_in  # type: ignore[assignment]

if __name__ == "__main__":
    from highlights.cli import main

    sys.exit(main(sys.argv[1:]))
