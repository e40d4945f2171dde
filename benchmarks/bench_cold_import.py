"""What a cold start pays for the cloud adapters, measured in fresh processes (median of 5).

    .venv/bin/python benchmarks/bench_cold_import.py [rounds]

- `import highlights.ports` alone (every handler pays it);
- `import highlights.storage.oss` (must not import oss2), then constructing an OssStore (imports
  oss2 and builds the Bucket; no request is sent);
- `import highlights.producers.ice` (must not import the SDK), then `IceProducer(...).warm_up()`
  (imports alibabacloud_ice20201109 and tea-openapi and builds the client; no request is sent);
- for comparison, the generic `alibabacloud_tea_openapi.client` alone, which an adapter could use
  instead of the product SDK (its 4,000-model package is most of the SDK's import time).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

CREDS = "('bench-key-id', 'bench-key-secret', None)"

CASES: dict[str, tuple[str, str]] = {
    # name: (setup timed as "import", then the step timed as "first use")
    "highlights.ports": ("import highlights.ports", "pass"),
    "highlights.storage.oss + OssStore()": (
        "import highlights.storage.oss as m; assert 'oss2' not in sys.modules",
        f"m.OssStore('bench-bucket', region='cn-shanghai', credentials={CREDS})",
    ),
    "highlights.producers.ice + client": (
        "import highlights.producers.ice as m; "
        "assert 'alibabacloud_ice20201109' not in sys.modules; "
        f"p = m.IceProducer('cn-shanghai', credentials={CREDS})",
        "p.warm_up()",
    ),
    "alibabacloud_tea_openapi.client (reference)": (
        "pass",
        "import alibabacloud_tea_openapi.client",
    ),
}

TEMPLATE = """
import sys, time
t0 = time.perf_counter()
{setup}
t1 = time.perf_counter()
{step}
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""


def measure(setup: str, step: str, rounds: int) -> tuple[float, float]:
    imports, steps = [], []
    code = TEMPLATE.format(setup=setup, step=step)
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        )
        first, second = map(float, out.stdout.split())
        imports.append(first)
        steps.append(second)
    return statistics.median(imports), statistics.median(steps)


def main(rounds: int = 5) -> None:
    print(f"median of {rounds} fresh processes (ms)")
    print(f"{'case':48} {'import':>8} {'first use':>10} {'total':>8}")
    for name, (setup, step) in CASES.items():
        imported, used = measure(setup, step, rounds)
        print(f"{name:48} {imported:8.1f} {used:10.1f} {imported + used:8.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
