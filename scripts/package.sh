#!/usr/bin/env bash
# Builds what Function Compute runs, without Docker: the runtime dependencies for CPython
# ${PYTHON_VERSION} on manylinux x86_64 into ${OUT} (s.yaml puts it on PYTHONPATH as /code/python).
# The three sdist-only dependencies (oss2, alibabacloud-tea, crcmod) are pure Python: they are built
# into wheels here first, crcmod without its optional C extension (CC=false), so the rest of the
# tree can be resolved for the target platform from binary wheels only.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
PYTHON_VERSION=${PYTHON_VERSION:-3.10}
OUT=${OUT:-python}
WHEELS=build/wheels

mapfile -t deps < <("$PY" - <<'PYCODE'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
PYCODE
)
rm -rf "$OUT" "$WHEELS"
mkdir -p "$WHEELS"
CC=/bin/false "$PY" -m pip wheel --quiet --no-cache-dir --no-deps -w "$WHEELS" \
    "oss2>=2.18,<3" "alibabacloud-tea>=0.3" "crcmod>=1.7" 2>&1 | grep -v "^WARNING: Location" || true
"$PY" -m pip install --quiet --target "$OUT" --find-links "$WHEELS" \
    --platform manylinux2014_x86_64 --implementation cp --python-version "$PYTHON_VERSION" \
    --only-binary=:all: "${deps[@]}" 2>&1 | grep -v "^WARNING: Location" || true
# Fail loudly if pip did not produce the tree (its output is filtered above).
"$PY" - "$OUT" <<'PYCODE'
import pathlib, sys
out = pathlib.Path(sys.argv[1])
for name in ("pydantic", "pydantic_core", "oss2", "alibabacloud_ice20201109", "aws_lambda_powertools"):
    if not (out / name).is_dir():
        sys.exit(f"package: {name} is missing from {out}")
PYCODE
find "$OUT" -name "__pycache__" -type d -prune -exec rm -rf {} +
echo "package: dependencies for python${PYTHON_VERSION} in ${OUT}/: $(du -sh "$OUT" | cut -f1)"
echo "package: the code Function Compute uploads (s.yaml code: ./, trimmed by .fcignore):"
"$PY" scripts/fcignore_size.py
