# Two commands for a fresh machine: `make app` and `make test`. Everything they need is installed here.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: setup system-deps app test test-fast lint docs docs-serve bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@echo "Installing Python packages (the first time, llama-cpp-python compiles: about 3 minutes)"
	$(PY) -m pip install -q -e '.[dev,postgres]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests use: chromium for the browser tests (never `playwright install`),
# postgresql for the store's PostgreSQL tests (they start their own throwaway server; the
# default cluster Debian may create and start is never used, and may fail to start harmlessly),
# bubblewrap (bwrap) for the approval lab's sandbox, which runs model-written code isolated, with
# libseccomp2 for its seccomp filter, Debian's python3 as the interpreter inside it when ours is
# not readable by the sandbox's throwaway uid (e.g. a pyenv build under /root), and setpriv
# (util-linux) for the tests that attack the sandbox as an unprivileged user.
system-deps:
	@pkgs=""; \
	[ -x /usr/bin/chromium ] || pkgs="$$pkgs chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs="$$pkgs postgresql"; \
	command -v bwrap >/dev/null 2>&1 || pkgs="$$pkgs bubblewrap"; \
	ldconfig -p | grep -q 'libseccomp\.so\.2 ' || pkgs="$$pkgs libseccomp2"; \
	[ -x /usr/bin/python3 ] || pkgs="$$pkgs python3"; \
	command -v setpriv >/dev/null 2>&1 || pkgs="$$pkgs util-linux"; \
	if [ -n "$$pkgs" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		{ $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$pkgs || \
		  { [ -x /usr/bin/chromium ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && \
		    command -v bwrap >/dev/null 2>&1 && [ -x /usr/bin/python3 ] && \
		    echo "system-deps: apt-get failed after installing the binaries (e.g. Debian's default PostgreSQL cluster did not start); the tests do not need it"; }; }; \
	fi

app: setup
	$(VENV)/bin/playground app --port $(PORT) --headless

# tests/test_docs.py builds the docs with `mkdocs build --strict`: a broken doc link fails here.
test: setup system-deps
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

# Unit and loopback tests only: no embedded model, no browser.
test-fast: setup
	$(PY) -m pytest -m "not embedded and not browser"

lint: setup
	$(VENV)/bin/ruff check playground tests pages app.py benchmarks
	$(VENV)/bin/ruff format --check playground tests pages app.py benchmarks
	$(VENV)/bin/mypy playground pages

# The documentation site (MkDocs + Material, from docs/ and mkdocs.yml) into site/ (git-ignored);
# the command-line page is generated from playground.cli at build time.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

docs-serve: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
