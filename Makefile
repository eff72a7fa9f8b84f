# The two commands of the README (make run, make test) set themselves up: system libraries
# Qt needs (installed when root, otherwise the apt line is printed), a virtual environment in
# .venv and the project's dependencies. Everything else here is for developers.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench deb sysdeps-run sysdeps-test sysdeps-package clean

run: sysdeps-run $(STAMP)
	$(BIN)/python -m tiktok_desktop $(ARGS)

# pytest exits 5 when a selection (PYTEST_ARGS) matched no test: say so instead of failing.
test: sysdeps-test $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected"; exit 0; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every benchmark, one combined table, JSON in build/bench/ (BENCH_ARGS="--quick", "--only
# startup", "--bundle"...; see python -m benchmarks --help).
bench: sysdeps-test $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Linux installer: the PyInstaller bundle (dist/tiktok-desktop/) wrapped into dist/*.deb.
deb: sysdeps-package $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean packaging/tiktok_desktop.spec
	PYTHON=$(BIN)/python packaging/linux/build_deb.sh dist/tiktok-desktop dist

sysdeps-run:
	@packaging/linux/system-deps.sh run "$(PYTHON)"

sysdeps-test:
	@packaging/linux/system-deps.sh test "$(PYTHON)"

sysdeps-package:
	@packaging/linux/system-deps.sh package "$(PYTHON)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build dist *.egg-info
