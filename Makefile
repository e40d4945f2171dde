# Two commands do all the set-up on a fresh Debian machine: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test test-ffmpeg-new demo lint system venv schema package clean

# The venv is set up quietly, in one line, so that `make demo` prints what the README shows.
$(STAMP): pyproject.toml
	@echo "setting up $(VENV): the Python packages from PyPI (once)"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev,tts,cli]'
	@touch $(STAMP)

venv: $(STAMP)

system:
	@bash scripts/install-system-packages.sh

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

test: system venv lint
	$(PY) -m pytest

# The engine on a current ffmpeg as well: Debian 12 ships 5.1, and 7.0 changed what the engine
# relies on (-/filter_complex, graphs without inputs). The static ffmpeg that imageio-ffmpeg
# ships on PyPI renders the media and end-to-end tests; ffprobe stays Debian's.
IMAGEIO_FFMPEG ?= imageio-ffmpeg==0.8.1
test-ffmpeg-new: system venv
	$(PY) -m pip install --quiet '$(IMAGEIO_FFMPEG)'
	HIGHLIGHTS_FFMPEG="$$($(PY) -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')" \
		$(PY) -m pytest -q tests/integration/render tests/e2e

demo: system venv
	@$(VENV)/bin/highlights demo

# What Function Compute runs (python3.10, manylinux x86_64), built without Docker; see infra/README.md.
package: venv
	bash scripts/package.sh

schema: venv
	$(VENV)/bin/highlights schema --write

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist python
