# The three commands a newcomer needs: make install, make demo, make test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements.lock)

.PHONY: install os-packages demo test test-fast lint bench lock clean elasticsearch elasticsearch-stop elasticsearch-status

install: $(STAMP)

# Debian packages the reports, PDFs and browser tests use: CJK fonts (Korean in charts, pages and PDFs),
# pango and harfbuzz-subset (its font subsetting) for WeasyPrint, poppler for rendering PDF pages in
# tests, Chromium for the browser tests,
# Maven for fetching the test Elasticsearch node (tools/es_node.py; it also needs a Java 21+).
# Installed where apt-get can be used (root or sudo); elsewhere it names what is missing.
OS_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium maven
os-packages:
	@missing=$$(for p in $(OS_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "Debian packages: all present ($(OS_PACKAGES))"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "warning: Debian packages missing: $$missing (Korean text in reports, PDFs and browser tests need them)"; fi

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

demo: install
	$(BIN)/ews run --demo

test: install lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-fast: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not integration"

# A local single-node Elasticsearch on 127.0.0.1 (no Docker), fetched once through Maven;
# prints EWS_ES_URL=http://127.0.0.1:PORT. ES_DIR chooses its state directory.
ES_NODE = $(PYTHON) tools/es_node.py $(if $(ES_DIR),--dir $(ES_DIR))

elasticsearch:
	@$(ES_NODE) start

elasticsearch-stop:
	@$(ES_NODE) stop

elasticsearch-status:
	@$(ES_NODE) status

# The floors (import-linter contracts in pyproject.toml) and the style (ruff).
lint: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .

# Re-resolve the lock files after changing dependencies in pyproject.toml; the image's lock (deploy/,
# no test tools) takes the development lock's versions as constraints, so both run the same code.
lock:
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 --generate-hashes --no-header -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra deploy -c requirements.lock --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 --generate-hashes --no-header -q -o deploy/requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
