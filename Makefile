# Two entry points do all the set-up on a fresh machine with Python 3.11:
#   make run    install, ingest corpus/, serve the API and chat UI on http://127.0.0.1:8000
#   make test   install, then run every test (slow ones included)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint bench clean browser ocr postgres

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# CPU torch first, pinned: a plain `torch` would pull a multi-GB CUDA build. pip's own
	# progress is shown (no --quiet): the two steps take minutes on a fresh machine.
	@echo "==> 1/2 CPU torch 2.13.0"
	$(BIN)/python -m pip install --progress-bar on torch==2.13.0
	@echo "==> 2/2 the project and its dev tools, at the versions of constraints.txt"
	$(BIN)/python -m pip install --progress-bar on -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) ocr
	$(BIN)/assistant ingest corpus/
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium (no browser download); install it when missing.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "error: /usr/bin/chromium is missing; run: sudo apt-get install chromium"; exit 1; fi; }

# Scanned PDF pages are read by Debian's tesseract-ocr (through pytesseract); install it when
# missing, as for chromium.
ocr:
	@command -v tesseract >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null; \
	  else echo "error: tesseract is missing; run: sudo apt-get install tesseract-ocr"; exit 1; fi; }

# The shared-state and scale-out tests run a real PostgreSQL from Debian's server binaries (as
# an unprivileged user, on loopback); install them when missing, as for chromium.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "error: PostgreSQL's server is missing; run: sudo apt-get install postgresql"; exit 1; fi; }

test: $(STAMP) browser ocr postgres
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check assistant tests benchmarks evals
	$(BIN)/mypy assistant

bench: $(STAMP)
	$(BIN)/python benchmarks/retrieval.py

clean:
	rm -rf $(VENV) index/generations index/CURRENT index/*.sqlite index/*.sqlite-* index/*.sqlite.lock
