# Two commands from clone to book:  make book   and   make test
# Both create .venv when it is missing and install the exact pins.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Matplotlib and Jupyter write caches under HOME; keep runs quiet and reproducible.
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book pdf test check nbval notebooks install clean benchmarks validate synthetic help

help:
	@echo "make book        execute every notebook and build the HTML book into _build/html"
	@echo "make pdf         the print edition: _build/pdf/innovation-in-complex-safeguarding.pdf (needs chromium)"
	@echo "make test        unit tests, notebook tests (nbval) and the book-build and browser gates"
	@echo "make nbval       nbval itself: execute every notebook and compare its outputs with the committed ones"
	@echo "make .venv-acro  ACRO (the disclosure gate's independent output checker) in its own environment"
	@echo "make check       the inner loop (under a minute): lint, format, types if configured, unit tests"
	@echo "make notebooks   re-execute the notebooks in place to refresh their committed outputs"
	@echo "make benchmarks  run the performance measurements in benchmarks/"
	@echo "make clean       remove _build (keeps .venv)"

install: $(STAMP)

# requirements-dev.txt includes requirements.txt (the reader's pins) and adds the test tools.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Browser-side test assets (axe-core, MathJax) at the versions package-lock.json pins.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# First the notebooks the execution cache lacks (new, edited, or importing an edited module)
# run side by side, one kernel a core, slowest first; then Sphinx renders from the cache.
book: $(STAMP)
	$(BIN)/python -m innovate.notebooks cache
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo ""
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# The print edition: the single-page build (from the same execution cache as `make book`)
# printed by headless Chromium with a title page, contents and page numbers (innovate.pdf).
PDF := _build/pdf/innovation-in-complex-safeguarding.pdf
pdf: $(STAMP)
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(BIN)/python -m innovate.pdf _build/singlehtml $(PDF)

# ACRO, the independent output checker of the disclosure gate, in its own environment (it
# needs an older pandas than the book's); requirements-acro.txt pins it and its dependencies.
ACRO_VENV  := .venv-acro
ACRO_STAMP := $(ACRO_VENV)/.installed
$(ACRO_VENV): $(ACRO_STAMP)
$(ACRO_STAMP): requirements-acro.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	test -x $(ACRO_VENV)/bin/python || $(PYTHON) -m venv $(ACRO_VENV)
	$(ACRO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ACRO_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-acro.txt
	$(ACRO_VENV)/bin/python -m pip check
	touch $(ACRO_STAMP)

# Every notebook is executed once (second-run settings) and once more on other data if it
# reads the case data; those executions serve the output, determinism, data and build gates.
test: $(STAMP) $(NODE_STAMP) $(ACRO_STAMP)
	$(BIN)/python -m pytest

# nbval's own check, by hand (make test makes the same comparison on its one execution).
nbval: $(STAMP)
	$(BIN)/python -m pytest notebooks --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg

# The inner loop. Types are checked when a mypy configuration is present ([tool.mypy] or
# mypy.ini). --quick leaves out the unit tests that took over half a second in their last
# run (tests/conftest.py keeps their durations in _build/); make test runs every test. They
# run in two processes (pytest-xdist): 39 s for the whole target on 2 cores, mypy's cache warm.
MYPY := $(shell { grep -qs '^\[tool.mypy' pyproject.toml || test -f mypy.ini; } && echo yes)
check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(if $(MYPY),$(BIN)/python -m mypy,@echo "no mypy configuration: types not checked")
	$(BIN)/python -m pytest tests/unit -q -m "not book and not browser" --quick -n 2

notebooks: $(STAMP)
	$(BIN)/python -m innovate.notebooks execute

benchmarks: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf _build
