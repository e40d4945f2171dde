"""`make package` builds a tree the handlers import from, with nothing else on the path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_handlers_import_from_the_built_package_in_a_clean_interpreter(tmp_path: Path) -> None:
    # Built for this interpreter's version so it can be imported here; `make package` builds the
    # same recipe for python3.10, Function Compute's runtime.
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    out = tmp_path / "python"
    env = {**os.environ, "PYTHON_VERSION": version, "OUT": str(out), "PY": sys.executable}
    build = subprocess.run(
        ["bash", "scripts/package.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert "MiB zipped" in build.stdout
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(out)!r}, 'shared', '.']\n"
        "import functions.submit.index, functions.callback.index, functions.reconcile.index, functions.deadletter.index\n"
        "import highlights.storage.oss, highlights.producers.ice\n"
        "import oss2, alibabacloud_ice20201109.client\n"
        "assert 'site-packages' not in (oss2.__file__ + alibabacloud_ice20201109.__file__), 'imported from the venv'\n"
        "print('ok')\n"
    )
    # -S: no site-packages at all, -E: no PYTHONPATH: only the package and the project's code.
    clean = subprocess.run(
        [sys.executable, "-S", "-E", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clean.stdout.strip() == "ok", clean.stderr
