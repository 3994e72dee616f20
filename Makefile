# ecomon: two commands do everything — `make demo` (run the platform on real data) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo up test test-external install assets system bench clean-var

$(STAMP): pyproject.toml setup.py src/ecomon/ingest/hj212/codec/_speedups.c
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ecomon needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) assets system

system:
	@scripts/install-system.sh

assets:
	@scripts/install-assets.sh

demo: install
	$(BIN)/ecomon demo

up: install
	$(BIN)/ecomon up

test: install
	scripts/run-tests.sh

# The same tests against engines reached by URL (the production path), used by CI.
test-external: install
	scripts/run-tests-external.sh

bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-var:
	-$(BIN)/ecomon stop
	rm -rf var
